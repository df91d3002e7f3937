"""``gctune nightly``: one night's run, appended to the history, judged against the last night."""

from __future__ import annotations

import json
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from orchestrator.app._backend import Backend, docker_backend
from orchestrator.app._reports import write_run_reports
from orchestrator.app._study import RunOptions, run_study
from orchestrator.history import HistoryStore, comparable_key, history_url, judge, night_from_summary
from orchestrator.results import Night
from orchestrator.search import Plan, Progress
from orchestrator.spec import Spec, load_spec
from orchestrator.store import RunDir

REGRESSION_EXIT = 3
_HOOK_TIMEOUT_S = 300


@dataclass(frozen=True)
class NightlyResult:
    run_dir: RunDir
    night: Night
    previous: Night | None

    @property
    def regression(self) -> bool:
        return self.night.regression


def run_nightly(spec_path: Path, options: RunOptions, on_progress: Callable[[Progress], None] | None = None,
                on_start: Callable[[RunDir], None] | None = None, backend: Backend | None = None,
                on_step: Callable[[str], None] | None = None) -> NightlyResult:
    """Run tonight's study (or recheck), record it, compare it, report it, and act on a regression."""
    spec = load_spec(spec_path)
    history = HistoryStore(history_url(spec.nightly.history, options.results_dir / spec.name))
    key = comparable_key(spec)
    backend = backend or docker_backend()
    previous = history.last_comparable(spec.name, key, backend.runner.fingerprint().machine_id)
    plan = recheck_plan(spec, previous)
    run_dir, summary = run_study(spec_path, options, on_progress, on_start, plan, write_report=False,
                                 backend=backend, on_step=on_step)
    info = run_dir.read_info()
    night = night_from_summary(spec, run_dir.run_id, summary, info.image, key,
                               mode="recheck" if plan else "study", fingerprint=info.fingerprint)
    judge(night, previous, spec, elsewhere=history.last_comparable(spec.name, key))
    night.report = str((run_dir.root / "report.html").resolve())
    history.append(night)
    run_dir.write_night(night)
    write_run_reports(run_dir.root)  # after the append, so the trend section includes tonight
    if night.regression and spec.nightly.on_regression:
        _notify(spec.nightly.on_regression, night.report)
    return NightlyResult(run_dir, night, previous)


def recheck_plan(spec: Spec, previous: Night | None) -> Plan | None:
    """A recheck re-measures last night's recommendation and runners-up; the first night searches."""
    if spec.nightly.mode != "recheck" or previous is None:
        return None
    configurations = [p for p in [previous.recommended_trial_params, *previous.top_trial_params] if p]
    unique = [json.loads(c) for c in dict.fromkeys(json.dumps(p, sort_keys=True) for p in configurations)]
    return Plan(configurations=unique[: spec.nightly.top + 1], repeats=spec.nightly.repeats)


def _notify(command: str, report: str) -> None:
    """Run the user's on_regression command with the report path as its last argument."""
    subprocess.run(f"{command} {shlex.quote(report)}", shell=True, check=False, timeout=_HOOK_TIMEOUT_S)
