"""Run an Optuna study whose trials are real container runs, resumably.

Each configuration runs ``repeats`` times; its value is the median. Every finished trial carries
its constraint values (Optuna 5 counts a trial without them as feasible), its metrics and its
outcome in the study, and its raw output in the run directory. An interrupted trial is put back in
the queue, so a resumed study redoes only that one.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import optuna
from optuna.trial import TrialState

from orchestrator.errors import EngineError
from orchestrator.metrics._thrash import ThrashDetector
from orchestrator.runners import Runner
from orchestrator.search._artifacts import FILES_ATTR, ArtifactStore, fetch_trial_files, upload_trial_files
from orchestrator.search._claim import claim, heartbeat, may_measure, owner, recover_dead, stale_numbers
from orchestrator.search._samplers import create_sampler
from orchestrator.search._storage import open_storage, redact
from orchestrator.search._space import grid_space, space_size, suggest
from orchestrator.search._states import (
    BASELINE_MACHINE_ATTR, DECLINED, INTERRUPTED, REPEATED, baseline_machine, finished_trials, named_constraints,
    set_constraints)
from orchestrator.search._aggregate import aggregate
from orchestrator.search import _race
from orchestrator.search._summary import build_summary, on_machine, record
from orchestrator.search._guide import PLAN, SAMPLER, ModelGuide, prediction_attrs
from orchestrator.results import Baseline, Summary
from orchestrator.spec import Spec, TrialSettings, baseline_settings, resolve_trial_settings
from orchestrator.store import RunDir
from orchestrator.trial import TrialOutcome, run_trial, save_trial
from orchestrator.workloads import WorkloadImages

# A sampler that proposes only measured configurations this many times in a row has exhausted the
# space (a small grid of choices, a converged TPE): the study ends there instead of spinning.
MAX_REPEATED_PROPOSALS = 50

ENGINE = "engine"  # the outcome of a trial the Docker engine failed under
WAIT_S = 1.0  # between looks at the study while other processes' trials fill the rest of the budget

# gctune's own constraints, each violated by one outcome of a trial.
BUILTIN_CONSTRAINTS = {"no OOM kill": "oom", "no GC thrashing": "thrashing", "runnable configuration": "skipped"}


@dataclass
class Measurement:
    """One configuration measured ``repeats`` times: median metrics, spread and what happened."""

    params: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    spread: dict[str, dict[str, float]] = field(default_factory=dict)
    outcome: str = "ok"  # ok | oom | thrashing | skipped | crash | timeout | engine
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"params": self.params, "metrics": self.metrics, "spread": self.spread,
                "outcome": self.outcome, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    """Overrides for a study that re-measures known configurations (a nightly recheck)."""

    configurations: list[dict[str, Any]] | None = None  # Optuna params to run, in order, once each
    repeats: int | None = None


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    best: float | None
    elapsed_s: float
    last: str
    running: tuple[str, ...] = ()  # with parallel jobs: what each job is measuring


class StudyRun:
    """Baseline first, then trials until the budget is spent; the study and run dir stay consistent."""

    def __init__(self, spec: Spec, run_dir: RunDir, storage: str, runner: Runner, images: WorkloadImages,
                 host_cpus: int | None, on_progress: Callable[[Progress], None] | None = None,
                 plan: Plan | None = None, cpusets: Sequence[str] = (), study_name: str | None = None,
                 artifacts: ArtifactStore | None = None) -> None:
        self.spec, self.run_dir, self.storage, self.runner, self.images = spec, run_dir, storage, runner, images
        # One job per cpuset, each container pinned to its own cores; none given: one job, unpinned.
        self.cpusets: tuple[str | None, ...] = tuple(cpusets) or (None,)
        self._lock = threading.Lock()  # parallel jobs: the budget claim, the summary file, progress
        self._running: dict[int, str] = {}  # slot -> what that job measures, for the progress line
        self._in_flight: set[str] = set()  # settings being measured now
        self.host_cpus, self.on_progress = host_cpus, on_progress
        self.plan = plan or Plan()
        self.repeats = self.plan.repeats or spec.search.repeats
        self.searched = spec.space.searched()
        self.grid = spec.search.sampler == "grid"
        self.started = time.time()
        self.engine_failures = 0
        self.repeated_in_a_row = 0  # proposals of measured configurations since the last new one
        self.runner_aborted = False
        self.fingerprint = runner.fingerprint()
        self.machine_id = self.fingerprint.machine_id  # which machine measured each trial
        # One study per run, so runs sharing a storage (a team's PostgreSQL) never mix their trials.
        self.study_name = study_name or f"{spec.name}/{run_dir.run_id}"
        self.run_id = self.study_name.partition("/")[2] or run_dir.run_id  # containers are labelled with it
        self.artifacts = artifacts  # where workers on other hosts keep their trials' files
        self.study = self._open_study()
        self.baseline: Baseline | None = None
        # The run's GC model proposes trials before the sampler while its predictions hold.
        self.guide = ModelGuide(spec, skip_reason, self.budget,
                                disabled="a fixed plan of configurations" if self.plan.configurations is not None else None)
        self.run_seconds: list[float] = []  # wall time of each container run, for the time budget

    @property
    def budget(self) -> int:
        if self.plan.configurations is not None:
            return len(self.plan.configurations)
        if self.grid:
            return min(self.spec.search.trials, math.prod(len(v) for v in grid_space(self.searched).values()))
        return self.spec.search.trials

    def finished_trials(self) -> list[optuna.trial.FrozenTrial]:
        return finished_trials(self.study)

    def measured_trials(self) -> list[optuna.trial.FrozenTrial]:
        """Finished trials that measured their configuration: what the budget counts. A trial the engine
        failed under is recorded (outcome ``engine``) but measured nothing; its configuration runs again."""
        return [t for t in self.finished_trials() if t.user_attrs.get("outcome") != ENGINE]

    def run(self) -> None:
        """Measure the baseline (once per study), then run trials up to the budget."""
        recover_dead(self.study, self.optuna_storage, INTERRUPTED)
        self._enqueue_plan()
        recorded = self.study.user_attrs.get("baseline")
        self.baseline = Baseline.model_validate(recorded) if recorded else self._measure_baseline()
        self._run_trials()
        _race.race(self)  # re-measure the leaders and Go's defaults when search.confidence asks for it

    def _run_trials(self) -> None:
        if len(self.cpusets) > 1:
            self._run_jobs()
            return
        while (step := self._next_step()) != "done":
            if step == "wait":
                time.sleep(WAIT_S)
            else:
                self._run_one(self.cpusets[0])

    def _more_to_do(self, in_flight: int = 0) -> bool:
        measured = self.measured_trials()
        return (len(measured) + in_flight < self.budget
                and self.repeated_in_a_row < MAX_REPEATED_PROPOSALS
                and not self._space_exhausted(measured) and not _race.exploration_over(self))

    def _space_exhausted(self, measured: list[optuna.trial.FrozenTrial]) -> bool:
        """Every configuration of a finite space measured: the sampler could only propose repeats."""
        size = space_size(self.searched)
        return size is not None and len({_settings_key(t.user_attrs.get("settings", {})) for t in measured}) >= size

    def _next_step(self, in_flight: int = 0) -> str:
        """"go" (ask a trial); "done" when the budget is measured or claimed by this process's own
        ``in_flight`` trials; "wait" while other processes' running trials fill the rest (one may die, and
        its configuration must then run again here)."""
        if not self._more_to_do(in_flight) or self.runner_aborted:
            return "done"
        recover_dead(self.study, self.optuna_storage, INTERRUPTED)
        if len(self.measured_trials()) + in_flight + len(self._foreign_running()) < self.budget:
            return "go"
        return "wait"

    def _foreign_running(self) -> list[optuna.trial.FrozenTrial]:
        """Running trials of other processes (workers, another coordinator's jobs)."""
        return [t for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
                if t.system_attrs.get("gctune:owner") != owner()]

    def _run_jobs(self) -> None:
        """One thread per cpuset, each running trials until the budget is claimed (under a lock, so it is
        exact); the sampler keeps parallel proposals apart (TPE's constant liar). Ctrl-C, or a job's
        error, aborts every running container; their trials are put back in the queue."""
        slots = itertools.count()

        def job(cpuset: str | None) -> None:
            while True:
                with self._lock:
                    step = self._next_step(len(self._running))
                    if step == "done":
                        return
                    if step == "go":
                        slot = next(slots)
                        self._running[slot] = f"cores {cpuset}: starting"
                if step == "wait":
                    time.sleep(WAIT_S)
                    continue
                try:
                    self._run_one(cpuset, slot)
                finally:
                    with self._lock:
                        self._running.pop(slot, None)

        with ThreadPoolExecutor(len(self.cpusets), thread_name_prefix="gctune-job") as pool:
            futures = [pool.submit(job, cpuset) for cpuset in self.cpusets]
            try:
                for future in futures:
                    future.result()
            except BaseException:
                self.runner_aborted = True
                self.runner.abort()
                raise

    def _open_study(self) -> optuna.Study:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        sampler = create_sampler(self.spec.search.sampler, self.spec.search.seed, grid_space(self.searched),
                                 self.spec.search.trials)
        self.optuna_storage = open_storage(self.storage)
        return optuna.create_study(storage=self.optuna_storage, study_name=self.study_name,
                                   sampler=sampler, directions=[d for _, d in self.spec.objectives],
                                   load_if_exists=True)

    def _enqueue_plan(self) -> None:
        """Queue the plan's fixed configurations once, when the study is new."""
        if self.plan.configurations and not self.study.trials:
            for params in self.plan.configurations:
                self.study.enqueue_trial(params, skip_if_exists=False)

    def _measure_baseline(self) -> Baseline:
        baseline = self._measure_baseline_here()
        self.study.set_user_attr(BASELINE_MACHINE_ATTR, self.machine_id)  # trials are compared on its machine
        self.study.set_user_attr("baseline", baseline.to_dict())
        return baseline

    def _measure_baseline_here(self) -> Baseline:
        """Go's defaults measured on this runner's machine, kept in the run folder."""
        settings = baseline_settings(self.spec)
        measurement = self._measure(settings, self.run_dir.baseline_dir, self.cpusets[0])
        if measurement.outcome == "engine":
            raise EngineError(f"the baseline could not run: {measurement.reason}")
        # Constraints relative to the baseline are judged against its own metrics.
        self.baseline = Baseline(metrics=measurement.metrics)
        violations = self.violations(measurement)
        baseline = Baseline.model_validate({**measurement.to_dict(), "metrics": _jsonable(measurement.metrics),
                                            "violations": violations,
                                            "feasible": all(v <= 0 for v in violations.values())})
        self.run_dir.write_json(self.run_dir.baseline_dir / "trial.json", baseline.to_dict())
        return baseline

    def _ask(self) -> optuna.Trial:
        with self._lock, warnings.catch_warnings():
            # gctune asks and tells itself, and starts the heartbeat itself (claim.heartbeat)
            warnings.filterwarnings("ignore", "Heartbeat of storage is supposed to be used with Study.optimize")
            self._ask_guide()
            trial = self.study.ask()
            # Claimed under the lock: another job's recovery, which runs under it too, would take a running
            # trial without an owner for one whose process died between ask and claim.
            claim(self.optuna_storage, trial)
        return trial

    def _run_one(self, cpuset: str | None = None, slot: int | None = None) -> None:
        trial = self._ask()
        with heartbeat(self.optuna_storage, trial._trial_id):
            self._run_asked(trial, cpuset, slot)

    def _run_asked(self, trial: optuna.Trial, cpuset: str | None, slot: int | None) -> None:
        try:
            if self._decline_over_budget(trial):
                return
            settings = resolve_trial_settings(self.spec, suggest(trial, self.searched, self.grid))
            self._note_proposer(trial, settings)
            if self._tell_measured_before(trial, settings):
                return
            measurement = self._measure_and_tell(trial, settings, cpuset, slot)
        except BaseException:
            if trial.number not in {t.number for t in self.finished_trials()}:
                trial.set_user_attr("outcome", INTERRUPTED)
                self.study.tell(trial, state=TrialState.FAIL)
                self.study.enqueue_trial(trial.params, skip_if_exists=False)
            raise
        if measurement.outcome == ENGINE:
            self.study.enqueue_trial(trial.params, skip_if_exists=False)  # run again once the engine answers
        self.write_summary(finished=False)
        self._report(f"trial {trial.number}: {measurement.outcome} {measurement.reason}".strip())
        self._count_engine_failures(measurement)

    def _ask_guide(self) -> None:
        """Queue the GC model's proposal, if it has one, so the next ask() measures it before the sampler's."""
        if not self.guide.active or self.study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            return
        finished = self.measured_trials()
        here = baseline_machine(self.study) or self.machine_id
        self.guide.refit([self.run_dir.baseline_dir] + [  # one machine's speed: the baseline's
            self.run_dir.trial_dir(t.number) for t in finished
            if t.user_attrs.get("outcome") == "ok" and on_machine(t.user_attrs.get("machine"), here)])
        proposal = self.guide.propose([record(t, self.spec) for t in finished], self.baseline)
        if proposal is not None:
            self.study.enqueue_trial(proposal.params, user_attrs=proposal.user_attrs(), skip_if_exists=False)

    def _note_proposer(self, trial: optuna.Trial, settings: TrialSettings) -> None:
        """Record who proposed a trial the model did not, and what the model predicted for it."""
        if "proposed_by" in trial.user_attrs:
            return
        trial.set_user_attr("proposed_by", PLAN if self.plan.configurations is not None else SAMPLER)
        prediction = self.guide.predict(settings)
        if prediction is not None:
            trial.set_user_attr("prediction", prediction_attrs(prediction))

    def _measure_and_tell(self, trial: optuna.Trial, settings: TrialSettings, cpuset: str | None,
                          slot: int | None) -> Measurement:
        key = _settings_key(settings.params())
        try:
            if slot is not None:
                with self._lock:
                    self._running[slot] = f"cores {cpuset}: trial {trial.number} {_short(settings.params())}"
            measurement = self._baseline_as_trial(trial, settings) or self._measure(
                settings, self.run_dir.trial_dir(trial.number), cpuset)
            self._tell(trial, measurement)
            return measurement
        finally:
            with self._lock:
                self._in_flight.discard(key)

    def _decline_over_budget(self, trial: optuna.Trial) -> bool:
        """Another process asked the last trials of the budget first: this one measures nothing. It is told
        failed (outcome ``declined``, outside the budget); a queued configuration is queued again."""
        running = [t._trial_id for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
        if may_measure(trial._trial_id, len(self.measured_trials()), running, self.budget):
            return False
        asked = self.optuna_storage.get_trial(trial._trial_id)
        queued = asked.system_attrs.get("fixed_params") or asked.params  # a queued or retried configuration
        trial.set_user_attr("outcome", DECLINED)
        self.study.tell(trial, state=TrialState.FAIL)
        if queued:
            self.study.enqueue_trial(queued, skip_if_exists=False)
        return True

    def _running_elsewhere(self, trial: optuna.Trial, key: str) -> bool:
        """Whether another running trial (another process's) is measuring these settings now. Each trial
        names its settings before it looks, so of two that start alike at least one sees the other."""
        return any(t.number != trial.number and _settings_key(t.user_attrs.get("settings", {})) == key
                   for t in self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))

    def _tell_measured_before(self, trial: optuna.Trial, settings: TrialSettings) -> bool:
        """A configuration a trial of this run measured already (a resumed seeded sampler proposes its first
        points again) is not run twice: Optuna is told the earlier result, and the trial is marked
        ``repeated``, outside the budget and the summary. Returns whether it was."""
        key = _settings_key(settings.params())
        trial.set_user_attr("settings", settings.params())  # seen by other processes' _running_elsewhere
        earlier = next((t for t in self.measured_trials() if _settings_key(t.user_attrs.get("settings", {})) == key),
                       None)
        elsewhere = earlier is None and self._running_elsewhere(trial, key)
        with self._lock:
            in_flight = key in self._in_flight or elsewhere
            if earlier is None and not in_flight:
                self._in_flight.add(key)  # released by _tell once measured
                self.repeated_in_a_row = 0
                return False
        if earlier is None:  # another job is measuring it right now: its result will stand for both
            trial.set_user_attr("outcome", REPEATED)
            trial.set_user_attr("settings", settings.params())
            trial.set_user_attr("same_as", "in flight")
            self.study.tell(trial, state=TrialState.FAIL)
            return True
        self.repeated_in_a_row += 1
        trial.set_user_attr("outcome", REPEATED)
        trial.set_user_attr("settings", settings.params())
        trial.set_user_attr("same_as", earlier.number)
        if earlier.state == TrialState.COMPLETE:
            set_constraints(self.optuna_storage, self.study, trial, named_constraints(earlier))
            self.study.tell(trial, list(earlier.values))
        else:
            self.study.tell(trial, state=TrialState.FAIL)
        return True

    def _baseline_as_trial(self, trial: optuna.Trial, settings: TrialSettings) -> Measurement | None:
        """Go's defaults proposed as a trial: a point of the space, counted, with the baseline's own repeats
        (measured first, in the same container) instead of new ones."""
        baseline = self.baseline
        if baseline is None or _settings_key(baseline.params) != _settings_key(settings.params()):
            return None
        trial.set_user_attr("same_as", "baseline")
        return Measurement(baseline.params, dict(baseline.metrics), {k: v.to_dict() for k, v in baseline.spread.items()},
                           baseline.outcome or "ok", baseline.reason or "")

    uploads_files = False  # a worker's trial files go to the artifact store; the coordinator's are here

    def _record_where(self, trial: optuna.Trial) -> None:
        """The machine (its whole fingerprint) and process that measured the trial."""
        trial.set_user_attr("fingerprint", self.fingerprint.to_dict())
        trial.set_user_attr("measured_by", owner())
        engine_url = getattr(self.runner, "engine_url", None)
        if engine_url:
            trial.set_user_attr("engine_url", engine_url)

    def fetch_remote_files(self) -> None:
        """Bring the files of trials measured elsewhere into this run folder (from the artifact store)."""
        if self.artifacts is None:
            return
        for trial in self.finished_trials():
            artifact = trial.user_attrs.get(FILES_ATTR)
            folder = self.run_dir.trial_dir(trial.number)
            if artifact and not (folder / "trial.json").exists():
                fetch_trial_files(self.artifacts, artifact, folder)

    def write_summary(self, finished: bool) -> Summary:
        """Rewrite summary.json from the study (after every trial, so an interruption loses nothing)."""
        assert self.baseline is not None  # measured (or read back) before any trial
        self.fetch_remote_files()
        with self._lock:
            summary = build_summary(self.spec, self.study, self.baseline, self.run_dir.run_id, redact(self.storage),
                                    finished)
            self.run_dir.write_summary(summary)
        return summary

    def _measure(self, settings: TrialSettings, folder, cpuset: str | None = None) -> Measurement:
        """Run the configuration ``repeats`` times (fewer when a run is already conclusive)."""
        skip = skip_reason(settings)
        if skip:
            return Measurement(settings.params(), outcome="skipped", reason=skip)
        repeats: list[dict[str, Any]] = []
        outcome, reason = "ok", ""
        for index in range(self.repeats):
            try:
                result = self._run_container(settings, folder / f"repeat-{index + 1}", cpuset)
            except EngineError as exc:
                return Measurement(settings.params(), outcome="engine", reason=str(exc))
            repeats.append(result.metrics)
            outcome, reason = classify(result)
            if outcome != "ok":
                break  # an OOM kill, thrashing or a crash is not made better by repeating it
        metrics, spread = aggregate(repeats)
        metrics["repeats"] = len(repeats)
        return Measurement(settings.params(), metrics, spread, outcome, reason)

    def _run_container(self, settings: TrialSettings, folder, cpuset: str | None = None) -> TrialOutcome:
        detector = ThrashDetector(self.spec.search.thrash_gc_cpu_percent, self.spec.search.thrash_for,
                                  settings.cpus, self.host_cpus)
        image = self.images.for_settings(settings)
        began = time.monotonic()
        outcome = run_trial(self.spec, settings, self.runner, image, self.run_id,
                            on_stdout_line=detector.feed, cpuset=cpuset)
        self.run_seconds.append(time.monotonic() - began)
        outcome.metrics["thrashing"] = detector.thrashing
        outcome.metrics["thrash_gc_cpu_percent_max"] = detector.highest_percent
        save_trial(outcome, folder)
        return outcome

    def _tell(self, trial: optuna.Trial, measurement: Measurement) -> None:
        trial.set_user_attr("outcome", measurement.outcome)
        trial.set_user_attr("reason", measurement.reason)
        trial.set_user_attr("settings", measurement.params)
        trial.set_user_attr("metrics", _jsonable(measurement.metrics))
        trial.set_user_attr("spread", measurement.spread)
        trial.set_user_attr("machine", self.machine_id)
        self._record_where(trial)
        self.run_dir.write_json(self.run_dir.trial_dir(trial.number) / "trial.json",
                                {"number": trial.number, **measurement.to_dict()})
        if self.artifacts is not None and self.uploads_files:
            trial.set_user_attr(FILES_ATTR, upload_trial_files(self.artifacts, trial, self.run_dir.trial_dir(trial.number)))
        values = self._objective_values(measurement)
        if measurement.outcome in ("crash", "timeout", "engine") or values is None:
            self.study.tell(trial, state=TrialState.FAIL)
            return
        violations = self.violations(measurement)
        set_constraints(self.optuna_storage, self.study, trial, violations)
        trial.set_user_attr("feasible", all(v <= 0 for v in violations.values()))
        self.study.tell(trial, values)

    def violations(self, measurement: Measurement) -> dict[str, float]:
        """Optuna constraint values (<= 0 satisfied): the spec's constraints plus gctune's own."""
        metrics = measurement.metrics
        result = {name: float(measurement.outcome == outcome) for name, outcome in BUILTIN_CONSTRAINTS.items()}
        baseline = self.baseline.metrics if self.baseline else None
        for constraint in self.spec.constraints:
            try:
                threshold = constraint.threshold(baseline)
                scale = abs(threshold) if not isinstance(threshold, bool) and threshold else 1.0
                # Relative to the threshold (0.05 = 5% over), so bytes and percentages weigh alike.
                result[constraint.text] = constraint.violation(metrics, baseline) / scale
            except ValueError:
                result[constraint.text] = 1.0  # the trial has no value for it (e.g. killed before the window)
        return result

    def _objective_values(self, measurement: Measurement) -> list[float] | None:
        """The medians of the objective metrics; a failed run gets the worst value seen so far."""
        values = []
        for index, (metric, direction) in enumerate(self.spec.objectives):
            value = measurement.metrics.get(metric)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                value = self._worst_known(index, metric, direction)
            if value is None:
                return None
            values.append(float(value))
        return values

    def _worst_known(self, index: int, metric: str, direction: str) -> float | None:
        known = [t.values[index] for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
        base = self.baseline.number(metric) if self.baseline else None
        known += [base] if base is not None else []
        if not known:
            return None
        return max(known) if direction == "minimize" else min(known)

    def _count_engine_failures(self, measurement: Measurement) -> None:
        self.engine_failures = self.engine_failures + 1 if measurement.outcome == "engine" else 0
        if self.engine_failures >= self.spec.search.max_engine_failures:
            raise EngineError(f"stopping the study: {self.engine_failures} trials in a row failed in the "
                              f"Docker engine; last error: {measurement.reason}")

    def _report(self, last: str) -> None:
        if self.on_progress is None:
            return
        finished = self.measured_trials()
        feasible = [t.values[0] for t in finished if t.user_attrs.get("feasible")]
        pick = min if self.spec.objectives[0][1] == "minimize" else max
        best = pick(feasible) if feasible else None
        with self._lock:
            running = tuple(self._running.values()) if len(self.cpusets) > 1 else ()
        self.on_progress(Progress(len(finished), self.budget, best, time.time() - self.started, last, running))


def skip_reason(settings: TrialSettings) -> str:
    """Configurations that cannot work and are not run: say why instead of spending a trial on an OOM."""
    if settings.gogc == "off" and settings.gomemlimit_bytes is None:
        return "GOGC=off without GOMEMLIMIT never collects: the heap grows until the OOM kill"
    if settings.gomemlimit_bytes and settings.memory_bytes and settings.gomemlimit_bytes >= settings.memory_bytes:
        return "GOMEMLIMIT at or above the container memory cannot keep the program below the limit"
    return ""


def classify(outcome: TrialOutcome) -> tuple[str, str]:
    """What happened in one run, for the study: ok, oom, thrashing, timeout or crash."""
    metrics = outcome.metrics
    if metrics.get("oom_killed"):
        return "oom", "OOM-killed (" + "; ".join(metrics.get("oom_signals") or []) + ")"
    if metrics.get("thrashing"):
        return "thrashing", (f"GC CPU above the thrashing threshold, up to "
                             f"{metrics['thrash_gc_cpu_percent_max']:.0f}%; stopped early")
    if metrics.get("timed_out"):
        return "timeout", "killed at the trial timeout"
    # A program gctune stopped as planned (SIGTERM at the end of `duration`) exits by that signal.
    planned_stop = outcome.run.stopped_as_planned and outcome.run.exit_code in (137, 143)
    if (metrics.get("exit_code") != 0 and not planned_stop) or not metrics.get("window_complete"):
        return "crash", f"exit code {metrics.get('exit_code')}: {last_words(outcome.run.stderr)[:200]}"
    return "ok", ""


# How a dying Go program says why: "panic: ...", or "fatal error: ..." after the runtime's own "runtime: ..."
# line; the stack trace after them ends in a frame that says nothing.
_DEATH_NOTICE = re.compile(r"^(?:panic|fatal error): .*$", re.MULTILINE)


def last_words(stderr: str) -> str:
    """Why a program died, from its stderr: its Go panic or fatal error, else its last line."""
    notice = _DEATH_NOTICE.search(stderr)
    if notice is None:
        tail = [line for line in stderr.strip().splitlines() if not line.startswith("gctune: output cut here")]
        return tail[-1] if tail else ""
    before = list(itertools.takewhile(lambda line: line.startswith("runtime: "),
                                      reversed(stderr[:notice.start()].rstrip("\n").split("\n"))))
    return f"{before[-1]}; {notice.group()}" if before else notice.group()


def _jsonable(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if v is None or isinstance(v, (bool, int, float, str, list))}


def _settings_key(params: dict[str, Any]) -> str:
    """Settings compared as recorded (JSON), so a float and its int spelling compare alike."""
    return json.dumps({k: (float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                       for k, v in params.items()}, sort_keys=True)


def _short(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items() if k in ("GOGC", "GOMEMLIMIT", "GOMAXPROCS") and v is not None)
