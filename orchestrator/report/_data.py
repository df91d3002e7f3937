"""Everything a report shows, read from one run directory into plain data.

This is the only module of the report package that reads files: summary.json, run.json, spec.yaml,
the raw gctrace and workload samples of the baseline and the recommended trial, and the Optuna
study. The rest of the package computes and presents from :class:`ReportData` alone, so it can be
tested on hand-built data.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import UsageError
from orchestrator.parsers.gctrace import GCCycle, parse_gctrace
from orchestrator.results import Night
from orchestrator.store import RunDir


@dataclass(frozen=True)
class TraceRun:
    """The GC cycles of one container run (one repeat) and its measurement window."""

    repeat: int
    cycles: tuple[GCCycle, ...]
    window: tuple[float, float] | None  # seconds since process start, as the gctrace @ times

    def window_cycles(self) -> tuple[GCCycle, ...]:
        """The cycles that ended inside the measurement window (all of them when it is unknown)."""
        if self.window is None:
            return self.cycles
        start, end = self.window
        return tuple(c for c in self.cycles if start <= c.end_s <= end)


@dataclass
class ReportData:
    """A run's results as plain data: the summary, run facts, spec, traces and (optionally) the study."""

    run_dir: Path
    summary: dict[str, Any]
    run_info: dict[str, Any] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)  # spec.yaml as written
    traces: dict[str, list[TraceRun]] = field(default_factory=dict)  # "baseline", "recommended"
    study: Any = None  # optuna.Study, or None when the storage cannot be opened
    study_problem: str | None = None  # why there is no study
    nights: list[dict[str, Any]] = field(default_factory=list)  # nightly runs up to this one, oldest first
    analysis: dict[str, Any] = field(default_factory=dict)  # analysis.json: profiles, escape analysis

    @property
    def experiment(self) -> str:
        return str(self.summary.get("experiment") or self.spec.get("name") or self.run_dir.parent.name)

    @property
    def run_id(self) -> str:
        return str(self.summary.get("run_id") or self.run_dir.name)

    @property
    def trials(self) -> list[dict[str, Any]]:
        return list(self.summary.get("trials") or [])

    @property
    def objectives(self) -> list[tuple[str, str]]:
        return [(o["metric"], o["direction"]) for o in self.summary.get("objectives") or []]

    @property
    def recommended(self) -> dict[str, Any] | None:
        return self.summary.get("recommended")

    @property
    def baseline(self) -> dict[str, Any]:
        return self.summary.get("baseline") or {}

    @property
    def go_version(self) -> str | None:
        """The Go release the workload was built with and measured on."""
        version = self.run_info.get("go_toolchain") or self.baseline.get("metrics", {}).get("go_version")
        return str(version) if version else None

    def searched_settings(self) -> dict[str, Any]:
        """The spec's space entries that vary (a range, or a list of more than one value); without a
        readable spec, the settings whose values differ between trials."""
        space = self.spec.get("space")
        if isinstance(space, dict) and space:
            return {k: v for k, v in space.items() if isinstance(v, dict) or (isinstance(v, list) and len(v) > 1)}
        names: dict[str, Any] = {}
        for name in ("GOGC", "GOMEMLIMIT", "GOMAXPROCS", "cpus", "memory"):
            if len({repr((t.get("params") or {}).get(name)) for t in self.trials}) > 1:
                names[name] = None
        return names


def load_report_data(run_dir: Path, nights: Sequence[Night] = ()) -> ReportData:
    """Read a run directory; UsageError when it is not one or has no summary.json yet."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such directory; give the run directory that `gctune run` printed, "
                         "e.g. results/<name>/<run id>")
    store = RunDir.open(run_dir)
    if not store.summary_path.exists():
        raise UsageError(f"{run_dir}: no summary.json yet - the run has not measured its baseline; "
                         "run or resume it (`gctune run --resume DIR`) first")
    try:
        summary = store.read_json(store.summary_path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"{store.summary_path}: cannot be read as JSON ({exc})") from None
    data = ReportData(run_dir=run_dir, summary=summary, run_info=_read_json(store.info_path),
                      spec=_read_yaml(store.spec_path))
    data.traces["baseline"] = _traces(store.baseline_dir)
    recommended = summary.get("recommended") or {}
    if isinstance(recommended.get("trial"), int):
        data.traces["recommended"] = _traces(store.trial_dir(recommended["trial"]))
    elif recommended.get("trial") == "baseline":
        data.traces["recommended"] = data.traces["baseline"]
    data.study, data.study_problem = _load_study(store, summary)
    data.nights = [night.to_dict() for night in nights]  # a nightly run's history, given by the caller
    data.analysis = _read_json(store.root / "analysis.json")
    return data


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        value = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return value if isinstance(value, dict) else {}


def _traces(folder: Path) -> list[TraceRun]:
    """Every repeat-N folder's gctrace, with the window from its workload samples."""
    runs = []
    for repeat in sorted(folder.glob("repeat-*"), key=lambda p: _repeat_number(p.name)):
        gctrace = repeat / "gctrace.txt"
        if not gctrace.exists():
            continue
        cycles = parse_gctrace(gctrace.read_text(errors="replace")).cycles
        runs.append(TraceRun(_repeat_number(repeat.name), cycles, _window(repeat / "workload.jsonl")))
    return runs


def _repeat_number(name: str) -> int:
    try:
        return int(name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return 0


def _window(path: Path) -> tuple[float, float] | None:
    """The measurement window's start and end (seconds since start) from the workload's samples."""
    start = end = None
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            sample = json.loads(line)
        except ValueError:
            continue
        if not isinstance(sample, dict) or sample.get("type") != "sample":
            continue
        if sample.get("event") == "window_start":
            start = sample.get("t")
        elif sample.get("event") == "window_end":
            end = sample.get("t")
    if isinstance(start, (int, float)) and isinstance(end, (int, float)) and end > start:
        return float(start), float(end)
    return None


def _load_study(store: RunDir, summary: dict[str, Any]) -> tuple[Any, str | None]:
    """The Optuna study, read-only in spirit: never create an empty SQLite file by opening it."""
    storage = summary.get("storage") or store.default_storage
    name = summary.get("study_name") or summary.get("experiment")
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
