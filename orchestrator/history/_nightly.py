"""``gctune nightly``: one night's run, appended to the history and judged against the last night."""

from __future__ import annotations

import hashlib
import json
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.history._regression import compare
from orchestrator.history._store import HistoryStore, Night
from orchestrator.report import write_reports
from orchestrator.search import Plan, Progress, RunOptions, run_study
from orchestrator.spec import Spec, load_spec
from orchestrator.store import RunDir

REGRESSION_EXIT = 3


@dataclass(frozen=True)
class NightlyResult:
    run_dir: RunDir
    night: Night
    previous: Night | None

    @property
    def regression(self) -> bool:
        return self.night.verdict == "regression"


def history_store(spec: Spec, results_dir: Path) -> HistoryStore:
    return HistoryStore(spec.nightly.history or HistoryStore.default_url(results_dir / spec.name))


def run_nightly(spec_path: Path, options: RunOptions, on_progress: Callable[[Progress], None] | None = None,
                on_start: Callable[[RunDir], None] | None = None) -> NightlyResult:
    """Run tonight's study (or recheck), record it, compare it, report it, and act on a regression."""
    spec = load_spec(spec_path)
    history = history_store(spec, options.results_dir)
    key = comparable_key(spec)
    previous = history.last_comparable(spec.name, key)
    plan = _plan(spec, previous)
    run_dir, summary = run_study(spec_path, options, on_progress, on_start, plan, write_report=False)
    night = night_from_summary(spec, run_dir, summary, key, mode="recheck" if plan else "study")
    judge(night, previous, spec)
    night.report = str((run_dir.root / "report.html").resolve())
    history.append(night)
    run_dir.write_json(run_dir.root / "night.json", night.to_dict())
    write_reports(run_dir.root)  # after the append, so the trend section includes tonight
    if night.verdict == "regression" and spec.nightly.on_regression:
        _notify(spec.nightly.on_regression, night.report)
    return NightlyResult(run_dir, night, previous)


def comparable_key(spec: Spec) -> str:
    """Nights are compared only when they optimise the same thing under the same limits."""
    basis = {"objectives": spec.objectives, "constraints": [c.text for c in spec.constraints],
             "cpus": spec.container.cpus, "memory": spec.container.memory}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:12]


def _plan(spec: Spec, previous: Night | None) -> Plan | None:
    """A recheck re-measures last night's recommendation and runners-up; the first night searches."""
    if spec.nightly.mode != "recheck" or previous is None:
        return None
    configurations = [p for p in [previous.recommended_trial_params, *previous.top_trial_params] if p]
    unique = [json.loads(c) for c in dict.fromkeys(json.dumps(p, sort_keys=True) for p in configurations)]
    return Plan(configurations=unique[: spec.nightly.top + 1], repeats=spec.nightly.repeats)


def night_from_summary(spec: Spec, run_dir: RunDir, summary: dict[str, Any], key: str, mode: str) -> Night:
    metric, direction = spec.objectives[0]
    rec = summary.get("recommended") or {}
    info = run_dir.read_json(run_dir.info_path)
    ranked = sorted((t for t in summary["trials"] if t["feasible"] and t["trial"] != rec.get("trial")),
                    key=lambda t: t["values"][metric], reverse=direction == "maximize")
    return Night(
        experiment=spec.name, run_id=run_dir.run_id, date=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        mode=mode, comparable_key=key, go_version=(summary["baseline"]["metrics"] or {}).get("go_version"),
        workload_hash=_workload_hash(spec, info), objective=metric, direction=direction,
        recommended=rec.get("params"), recommended_trial_params=rec.get("optuna_params"),
        objective_values=_values(rec, metric), baseline_values=_values(summary["baseline"], metric),
        peak_memory_values=_values(rec, "peak_memory_bytes"),
        top_trial_params=[t["optuna_params"] for t in ranked[: spec.nightly.top]],
        feasible_trials=summary["trial_counts"]["feasible"], total_trials=summary["trial_counts"]["total"],
    )


def judge(night: Night, previous: Night | None, spec: Spec) -> None:
    """Fill in the night's findings and verdict against the previous comparable night."""
    if previous is None:
        night.verdict = "first night"
        return
    settings = spec.nightly
    checks = [("objective at the recommendation", night.objective, previous.objective_values,
               night.objective_values, night.direction),
              ("objective at Go's defaults", night.objective, previous.baseline_values, night.baseline_values,
               night.direction),
              ("peak memory at the recommendation", "peak_memory_bytes", previous.peak_memory_values,
               night.peak_memory_values, "minimize")]
    for what, metric, before, after, direction in checks:
        if before and after:
            result = compare(metric, before, after, direction, settings.threshold_percent, settings.alpha)
            night.findings.append({"kind": what, **result.to_dict()})
    if previous.recommended and night.recommended and previous.recommended != night.recommended:
        night.findings.append({"kind": "recommendation changed", "from": previous.recommended,
                               "to": night.recommended, "regression": False})
    if _feasible_share(previous) - _feasible_share(night) >= 0.25:
        night.findings.append({"kind": "feasible region shrank", "regression": False,
                               "from": f"{previous.feasible_trials}/{previous.total_trials}",
                               "to": f"{night.feasible_trials}/{night.total_trials}"})
    if any(f["regression"] for f in night.findings):
        night.verdict = "regression"
    else:
        night.verdict = "changed" if any(f["kind"] in ("recommendation changed", "feasible region shrank")
                                         for f in night.findings) else "no regression"


def _values(entry: dict[str, Any], metric: str) -> list[float]:
    spread = (entry.get("spread") or {}).get(metric)
    if spread and spread.get("values"):
        return [float(v) for v in spread["values"]]
    value = (entry.get("metrics") or {}).get(metric)
    return [float(value)] if isinstance(value, (int, float)) and not isinstance(value, bool) else []


def _feasible_share(night: Night) -> float:
    return night.feasible_trials / night.total_trials if night.total_trials else 0.0


def _workload_hash(spec: Spec, info: dict[str, Any]) -> str:
    """The built binary (its image tag carries the source hash) plus the workload's arguments."""
    basis = json.dumps([info.get("image"), spec.workload.argv()])
    return hashlib.sha256(basis.encode()).hexdigest()[:12]


def _notify(command: str, report: str) -> None:
    """Run the user's on_regression command with the report path as its last argument."""
    subprocess.run(f"{command} {shlex.quote(report)}", shell=True, check=False, timeout=300)
