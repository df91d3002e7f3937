"""Everything a report shows, read from one run directory into typed data.

This is the only module of the report package that reads files: summary.json and run.json (as the
results models), spec.yaml, the raw gctrace and workload samples of the baseline and the recommended
trial, and the Optuna study. A nightly run's history is given by the caller: the report sits below the
history store. The rest of the package computes and presents from :class:`ReportData` alone, so it can
be tested on hand-built data.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import UsageError
from orchestrator.metrics import Window, measurement_window, window_cycles
from orchestrator.model import Observation, observe_run
from orchestrator.parsers.gctrace import GCCycle, GCTrace, parse_gctrace
from orchestrator.parsers.workload import parse_workload_output
from orchestrator.results import Baseline, Night, Recommendation, RunInfo, Summary, TrialRecord
from orchestrator.spec import SETTING_NAMES, read_spec_data
from orchestrator.store import RunDir


@dataclass(frozen=True)
class TraceRun:
    """The GC cycles of one container run (one repeat) and its measurement window."""

    repeat: int
    trace: GCTrace
    window: Window | None  # from the workload's samples; None when they mark no window

    @property
    def cycles(self) -> tuple[GCCycle, ...]:
        return self.trace.cycles

    @property
    def window_span(self) -> tuple[float, float] | None:
        """The window's start and end in seconds since process start, as the gctrace @ times."""
        return None if self.window is None else (self.window.start.t, self.window.end.t)

    def window_cycles(self) -> tuple[GCCycle, ...]:
        """The cycles the trial's metrics counted (metrics' definition); all of them when there is no window."""
        return self.cycles if self.window is None else tuple(window_cycles(self.window, self.trace))


@dataclass
class ReportData:
    """A run's results: the summary, run facts, spec, traces, (optionally) the study, and a nightly history."""

    run_dir: Path
    summary: Summary
    run_info: RunInfo = field(default_factory=RunInfo)
    spec: dict[str, Any] = field(default_factory=dict)  # spec.yaml as written (GOGC: off stays "off")
    traces: dict[str, list[TraceRun]] = field(default_factory=dict)  # "baseline", "recommended"
    study: Any = None  # optuna.Study, or None when the storage cannot be opened
    study_problem: str | None = None  # why there is no study
    nights: list[Night] = field(default_factory=list)  # nightly runs up to this one, oldest first
    analysis: dict[str, Any] = field(default_factory=dict)  # analysis.json: profiles, escape analysis
    observations: list[Observation] = field(default_factory=list)  # what the GC model is fitted on

    @property
    def experiment(self) -> str:
        return self.summary.experiment or str(self.spec.get("name") or self.run_dir.parent.name)

    @property
    def run_id(self) -> str:
        return self.summary.run_id or self.run_dir.name

    @property
    def trials(self) -> list[TrialRecord]:
        return self.summary.trials

    @property
    def objectives(self) -> list[tuple[str, str]]:
        return list(self.summary.objective_pairs)

    @property
    def first_metric(self) -> str:
        return self.objectives[0][0] if self.objectives else "gc_cpu_percent"

    @property
    def recommended(self) -> Recommendation | None:
        return self.summary.recommended

    @property
    def tuned(self) -> Recommendation | None:
        """The recommendation when it is a trial (not Go's defaults)."""
        rec = self.summary.recommended
        return None if rec is None or rec.is_baseline else rec

    @property
    def baseline(self) -> Baseline:
        return self.summary.baseline

    @property
    def go_version(self) -> str | None:
        """The Go release the workload was built with and measured on."""
        version = self.run_info.go_toolchain or self.baseline.metrics.get("go_version")
        return str(version) if version else None

    def searched_settings(self) -> dict[str, Any]:
        """The spec's space entries that vary (a range, or a list of more than one value); without a
        readable spec, the settings whose values differ between trials."""
        space = self.spec.get("space")
        if isinstance(space, dict) and space:
            return {k: v for k, v in space.items() if isinstance(v, dict) or (isinstance(v, list) and len(v) > 1)}
        return {name: None for name in SETTING_NAMES
                if len({repr(t.params.get(name)) for t in self.trials}) > 1}


def load_report_data(run_dir: Path, nights: Sequence[Night] = ()) -> ReportData:
    """Read a run directory; UsageError when it is not one, has no summary.json yet, or one gctune cannot read.

    ``nights`` is a nightly run's history up to this night, oldest first (the caller reads it).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such directory; give the run directory that `gctune run` printed, "
                         "e.g. results/<name>/<run id>")
    store = RunDir.open(run_dir)
    summary = store.read_summary()
    data = ReportData(run_dir=run_dir, summary=summary, run_info=store.read_info(),
                      spec=read_spec_data(store.spec_path), nights=list(nights))
    data.traces["baseline"] = _traces(store.baseline_dir)
    rec = summary.recommended
    if rec is not None:
        data.traces["recommended"] = data.traces["baseline"] if rec.is_baseline else _traces(
            store.trial_dir(int(rec.trial)))
    data.study, data.study_problem = _load_study(store, summary)
    data.analysis = _read_json(store.root / "analysis.json")
    data.observations = observe_run(store.root)
    return data


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _traces(folder: Path) -> list[TraceRun]:
    """Every repeat-N folder's gctrace, with the measurement window of its workload samples."""
    runs = []
    for repeat in sorted(folder.glob("repeat-*"), key=lambda p: _repeat_number(p.name)):
        gctrace = repeat / "gctrace.txt"
        if not gctrace.exists():
            continue
        trace = parse_gctrace(gctrace.read_text(errors="replace"))
        runs.append(TraceRun(_repeat_number(repeat.name), trace, _window(repeat / "workload.jsonl")))
    return runs


def _repeat_number(name: str) -> int:
    try:
        return int(name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def _window(path: Path) -> Window | None:
    """The measurement window as the trial's metrics took it, from the workload's samples."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return None
    return measurement_window(parse_workload_output(text))


def _load_study(store: RunDir, summary: Summary) -> tuple[Any, str | None]:
    """The Optuna study, read-only in spirit: never create an empty SQLite file by opening it."""
    storage = summary.storage or store.default_storage
    name = summary.study_name or summary.experiment
    if storage.startswith("sqlite:///"):
        path = Path(storage[len("sqlite:///"):])
        if not path.exists():
            if not store.db_path.exists():
                return None, f"the study database {path} is missing"
            storage = store.default_storage  # the run directory was moved
    try:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.load_study(study_name=name, storage=storage), None
    except Exception as exc:  # noqa: BLE001 - any storage problem only costs the importance plot
        return None, f"the study could not be opened ({type(exc).__name__}: {exc})"
