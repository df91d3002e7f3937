"""A worker's part of a study a coordinator started: the same trial loop, on another engine or host.

It measures and tells trials exactly as the coordinator's jobs do (``StudyRun``'s loop: the budget
rule, repeated configurations, heartbeats), but it never measures the study's baseline nor writes its
summary: it waits for the coordinator's baseline, and keeps each trial's files in the artifact store
for the coordinator to collect. A worker on another machine (another fingerprint) measures Go's
defaults once on its own machine, so its trials' constraints relative to the baseline are judged
against a baseline measured where they were.
"""

from __future__ import annotations

import time

from orchestrator.errors import UsageError
from orchestrator.results import Baseline, Summary
from orchestrator.search._states import baseline_machine
from orchestrator.search._study import WAIT_S, StudyRun

BASELINES_ATTR = "baselines"  # study attr: machine id -> Go's defaults measured on that machine


class WorkerRun(StudyRun):
    uploads_files = True

    def run(self, baseline_timeout_s: float = 3600) -> None:
        self.baseline = self._wait_for_baseline(baseline_timeout_s)
        if baseline_machine(self.study) not in (None, self.machine_id):
            self.baseline = self._own_machine_baseline()
        self._run_trials()

    def _wait_for_baseline(self, timeout_s: float) -> Baseline:
        """The coordinator measures the baseline before any trial; a worker started first waits for it."""
        deadline = time.time() + timeout_s
        while "baseline" not in self.study.user_attrs:
            if time.time() > deadline:
                raise UsageError(f"no baseline in study {self.study_name} after {timeout_s:.0f}s: is its "
                                 "coordinator (`gctune run --storage ...`) running?")
            time.sleep(WAIT_S)
        return Baseline.model_validate(self.study.user_attrs["baseline"])

    def _own_machine_baseline(self) -> Baseline:
        recorded = self.study.user_attrs.get(BASELINES_ATTR, {}).get(self.machine_id)
        if recorded:
            return Baseline.model_validate(recorded)
        baseline = self._measure_baseline_here()
        # Read-modify-write of one attr: two workers of new machines at once may keep one; each still
        # judges by its own, and the other is measured again by its next start.
        known = dict(self.study.user_attrs.get(BASELINES_ATTR, {}))
        self.study.set_user_attr(BASELINES_ATTR, {**known, self.machine_id: baseline.to_dict()})
        return baseline

    def write_summary(self, finished: bool) -> Summary | None:  # type: ignore[override]
        """The coordinator writes the summary; a worker only reports progress."""
        return None
