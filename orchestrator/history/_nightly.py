"""What a night found: the night built from its summary, and judged against the previous comparable night.

Pure functions; running the night is the application layer's (``orchestrator.app``).
"""

from __future__ import annotations

import hashlib
import json
import time

from orchestrator.history._regression import compare
from orchestrator.results import BUILD, Finding, Fingerprint, Night, Summary
from orchestrator.spec import Spec

# A night whose share of feasible trials fell by this much is reported (not a regression).
FEASIBLE_SHRINK = 0.25


def comparable_key(spec: Spec) -> str:
    """Nights are compared only when they optimise the same thing under the same limits."""
    basis = {"objectives": spec.objectives, "constraints": [c.text for c in spec.constraints],
             "cpus": spec.container.cpus, "memory": spec.container.memory}
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:12]


def night_from_summary(spec: Spec, run_id: str, summary: Summary, image: str | None, key: str, mode: str,
                       fingerprint: Fingerprint | None = None) -> Night:
    """The night's record: the recommendation's and the baseline's repeats, for later nights to test."""
    metric, direction = spec.objectives[0]
    rec = summary.recommended
    ranked = summary.ranked_feasible(exclude=rec.trial if rec else None)
    return Night(
        experiment=spec.name, run_id=run_id, date=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        mode=mode, comparable_key=key, go_version=summary.baseline.metrics.get("go_version"),
        workload_hash=_workload_hash(spec, image), objective=metric, direction=direction,
        recommended=rec.params if rec else None, recommended_trial_params=rec.optuna_params if rec else None,
        objective_values=rec.repeat_values(metric) if rec else [],
        baseline_values=summary.baseline.repeat_values(metric),
        peak_memory_values=rec.repeat_values("peak_memory_bytes") if rec else [],
        top_trial_params=[t.optuna_params for t in ranked[: spec.nightly.top]],
        feasible_trials=summary.trial_counts.get("feasible", 0), total_trials=summary.trial_counts.get("total", 0),
        fingerprint=fingerprint,
    )


def judge(night: Night, previous: Night | None, spec: Spec, elsewhere: Night | None = None) -> None:
    """Fill in the night's findings and verdict against the previous comparable night on this machine.

    ``elsewhere`` is the latest comparable night on another machine: with no night on this one, the
    verdict is "machine changed" and says what changed, never a regression (a new CPU moves GC CPU
    by more than most regressions do).
    """
    if previous is None:
        night.verdict = "first night"
        if elsewhere is not None and elsewhere.fingerprint and night.fingerprint:
            night.verdict = "machine changed"
            night.findings.append(Finding(kind="machine changed", from_=elsewhere.fingerprint.machine_id,
                                          to=night.fingerprint.machine_id,
                                          note="; ".join(night.fingerprint.differences(elsewhere.fingerprint))))
        return
    if previous.fingerprint and night.fingerprint and night.fingerprint.differences(previous.fingerprint, BUILD):
        night.findings.append(Finding(kind="Go build changed", from_=previous.fingerprint.go_version,
                                      to=night.fingerprint.go_version,
                                      note="; ".join(night.fingerprint.differences(previous.fingerprint, BUILD))))
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
            night.findings.append(Finding(kind=what, **result.to_dict()))
    if previous.recommended and night.recommended and previous.recommended != night.recommended:
        night.findings.append(Finding(kind="recommendation changed", from_=previous.recommended,
                                      to=night.recommended))
    if previous.feasible_share - night.feasible_share >= FEASIBLE_SHRINK:
        night.findings.append(Finding(kind="feasible region shrank",
                                      from_=f"{previous.feasible_trials}/{previous.total_trials}",
                                      to=f"{night.feasible_trials}/{night.total_trials}"))
    if any(f.regression for f in night.findings):
        night.verdict = "regression"
    else:
        night.verdict = "changed" if any(not f.is_test for f in night.findings) else "no regression"


def _workload_hash(spec: Spec, image: str | None) -> str:
    """The built binary (its image tag carries the source hash) plus the workload's arguments."""
    basis = json.dumps([image, spec.workload.argv()])
    return hashlib.sha256(basis.encode()).hexdigest()[:12]
