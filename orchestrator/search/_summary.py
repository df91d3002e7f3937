"""What a study found: the recommendation, its saving against the baseline, the Pareto front.

Rules (also in the README):
- Single objective: the feasible trial with the best median value. A feasible baseline competes too:
  when no feasible trial beats it, the recommendation is to keep Go's defaults.
- Several objectives: the feasible Pareto front; the recommended point is the one closest (Euclidean)
  to the ideal point after scaling each objective to [0, 1] over the front - the "knee".
- Nothing feasible, baseline included: say so and name the nearest miss, the trial with the smallest
  total violation (each violation is relative to its threshold).
"""

from __future__ import annotations

from collections import Counter

import optuna
from optuna.trial import FrozenTrial, TrialState

from orchestrator.results import (
    Baseline, Decision, Headroom, NearestMiss, NoFeasible, ObjectiveSpec, Recommendation, RunnerUp, Saving, Summary,
    TrialRecord)
from orchestrator.search._states import baseline_machine, finished_trials, named_constraints
from orchestrator.spec import Spec
from orchestrator.stats import knee, pareto_front


def on_machine(measured_on: str | None, baseline_machine: str | None) -> bool:
    """Whether a trial is compared with the others: trials are compared only on the baseline's machine, as
    workers on other machines measure other speeds (None: a run from before fingerprints)."""
    return baseline_machine is None or measured_on in (None, baseline_machine)


def build_summary(spec: Spec, study: optuna.Study, baseline: Baseline, run_id: str, storage: str,
                  finished: bool) -> Summary:
    trials = finished_trials(study)
    machine = baseline_machine(study)
    feasible = [t for t in trials if t.state == TrialState.COMPLETE and t.user_attrs.get("feasible")
                and on_machine(t.user_attrs.get("machine"), machine)]
    front = _front(feasible, spec) if len(spec.objectives) > 1 else []
    recommended = _recommend(spec, feasible, front, baseline)
    summary = Summary(
        run_id=run_id, experiment=spec.name, storage=storage, study_name=study.study_name, finished=finished,
        objectives=[ObjectiveSpec(metric=m, direction=d) for m, d in spec.objectives],
        constraints=[c.text for c in spec.constraints],
        baseline=baseline,
        recommended=recommended,
        saving=_saving(spec, baseline, recommended),
        runner_up=_runner_up(spec, feasible, recommended),
        pareto_front=[record(t, spec) for t in front] or None,
        by_go_version=_by_go_version(spec, feasible),
        headroom=_headroom(recommended),
        trial_counts=_counts(trials, feasible, machine),
        no_feasible=None if recommended else _nearest_miss(trials),
        trials=[record(t, spec) for t in trials],
    )
    recorded = study.user_attrs.get("race")
    return apply_decision(summary, spec, Decision.model_validate(recorded)) if recorded else summary


def apply_decision(summary: Summary, spec: Spec, decision: Decision) -> Summary:
    """The race's winner as the recommendation, with its racing repeats' medians; the saving against Go's
    defaults and the runner-up from the racing repeats too (only those enter the tests)."""
    winner = decision.winning
    if winner is None:
        return summary.model_copy(update={"decision": decision})
    base = decision.contender("baseline")
    raced_baseline = summary.baseline.model_copy(update={"metrics": base.metrics, "spread": base.spread}) \
        if base is not None and base.values else summary.baseline
    if winner.role == "baseline":
        recommended = Recommendation(trial="baseline", params=winner.params, metrics=winner.metrics,
                                     spread=winner.spread, rule=decision.winner_rule)
    else:
        trial = summary.trial(int(winner.trial))
        recommended = Recommendation(
            trial=winner.trial, params=winner.params, metrics=winner.metrics, spread=winner.spread,
            rule=decision.winner_rule, state="COMPLETE", optuna_params=trial.optuna_params if trial else {},
            values={decision.metric: winner.metrics.get(decision.metric)})
    others = sorted((c for c in decision.contenders if c is not winner and c.role != "baseline" and c.feasible
                     and c.values and isinstance(c.trial, int)),
                    key=lambda c: c.metrics.get(decision.metric), reverse=decision.direction == "maximize")
    runner_up = summary.runner_up
    if others:
        runner_up = RunnerUp(trial=int(others[0].trial), params=others[0].params,
                             value=others[0].metrics.get(decision.metric), within_noise=others[0].within_noise)
    return summary.model_copy(update={
        "decision": decision, "recommended": recommended, "baseline": raced_baseline, "runner_up": runner_up,
        "saving": _saving(spec, raced_baseline, recommended), "headroom": _headroom(recommended)})


def _front(trials: list[FrozenTrial], spec: Spec) -> list[FrozenTrial]:
    """The trials no other trial beats in every objective."""
    return pareto_front(trials, _values, [d for _, d in spec.objectives])


def _knee(front: list[FrozenTrial], spec: Spec) -> FrozenTrial:
    return knee(front, _values, [d for _, d in spec.objectives])


def _values(trial: FrozenTrial) -> list[float]:
    return trial.values


def record(trial: FrozenTrial, spec: Spec) -> TrialRecord:
    """A finished Optuna trial as the results contract holds it."""
    attrs = trial.user_attrs
    return TrialRecord(
        trial=trial.number, state=trial.state.name, outcome=attrs.get("outcome"), reason=attrs.get("reason") or None,
        feasible=bool(attrs.get("feasible")), params=attrs.get("settings", {}), optuna_params=trial.params,
        values=dict(zip([m for m, _ in spec.objectives], trial.values)) if trial.values else None,
        violations=named_constraints(trial) if trial.state == TrialState.COMPLETE else None,
        metrics=attrs.get("metrics", {}), spread=attrs.get("spread", {}), machine=attrs.get("machine"),
        proposed_by=attrs.get("proposed_by"), prediction=attrs.get("prediction"),
    )


def _recommend(spec: Spec, feasible: list[FrozenTrial], front: list[FrozenTrial],
               baseline: Baseline) -> Recommendation | None:
    if front:
        return _recommendation(record(_knee(front, spec), spec), "knee of the Pareto front")
    metric, direction = spec.objectives[0]
    best = (min if direction == "minimize" else max)(feasible, key=lambda t: t.values[0]) if feasible else None
    base_value = baseline.number(metric)
    if baseline.feasible and base_value is not None and (
            best is None or not _better(best.values[0], base_value, direction)):
        return Recommendation(trial="baseline", params=baseline.params, metrics=baseline.metrics,
                              spread=baseline.spread, rule="no feasible trial beat Go's defaults")
    return None if best is None else _recommendation(record(best, spec), f"best feasible {metric}")


def _recommendation(trial: TrialRecord, rule: str) -> Recommendation:
    return Recommendation.model_validate({**trial.model_dump(exclude={"go_version_built", "machine"}), "rule": rule})


def _better(value: float, other: float, direction: str) -> bool:
    return value < other if direction == "minimize" else value > other


def _by_go_version(spec: Spec, feasible: list[FrozenTrial]) -> dict[str, TrialRecord] | None:
    """When the study compares Go versions: the best feasible trial of each (first objective)."""
    versions = {t.user_attrs.get("settings", {}).get("go_version") for t in feasible}
    if "go_version" not in spec.space.searched() or len(versions) < 2:
        return None
    metric, direction = spec.objectives[0]
    best: dict[str, TrialRecord] = {}
    for version in sorted(v for v in versions if v):
        trials = [t for t in feasible if t.user_attrs.get("settings", {}).get("go_version") == version]
        pick = (min if direction == "minimize" else max)(trials, key=lambda t: t.values[0])
        best[version] = record(pick, spec).model_copy(
            update={"go_version_built": pick.user_attrs.get("metrics", {}).get("go_version")})
    return best


def _saving(spec: Spec, baseline: Baseline, recommended: Recommendation | None) -> Saving | None:
    metric, direction = spec.objectives[0]
    base = baseline.number(metric)
    if recommended is None or base is None:
        return None
    value = recommended.metrics.get(metric)
    absolute = (base - value) if direction == "minimize" else (value - base)
    return Saving(metric=metric, baseline=base, recommended=value, absolute=absolute,
                  relative=absolute / abs(base) if base else None)


def _runner_up(spec: Spec, feasible: list[FrozenTrial], recommended: Recommendation | None) -> RunnerUp | None:
    """The next-best feasible trial, and whether its difference from the recommendation is within noise."""
    if recommended is None or len(spec.objectives) > 1:
        return None
    metric, direction = spec.objectives[0]
    others = sorted((t for t in feasible if t.number != recommended.trial),
                    key=lambda t: t.values[0], reverse=direction == "maximize")
    if not others:
        return None
    entry = record(others[0], spec)
    ours, theirs = recommended.spread.get(metric), entry.spread.get(metric)
    within_noise = ours.overlaps(theirs) if ours and theirs and ours.n > 1 else None
    return RunnerUp(trial=entry.trial, params=entry.params, value=entry.values[metric],  # type: ignore[index]
                    within_noise=within_noise)


def _headroom(recommended: Recommendation | None) -> Headroom | None:
    if recommended is None or not recommended.params.get("memory"):
        return None
    memory = recommended.params["memory"]
    limit = recommended.params.get("GOMEMLIMIT")
    peak = recommended.number("peak_memory_bytes")
    return Headroom(
        memory_limit_bytes=memory, gomemlimit_bytes=limit,
        gomemlimit_headroom_bytes=memory - limit if limit else None,
        gomemlimit_headroom_percent=100 * (memory - limit) / memory if limit else None,
        peak_headroom_bytes=memory - peak if peak is not None else None,
        peak_go_memory_bytes=recommended.number("peak_go_memory_bytes"),
        memory_outside_go_bytes=recommended.number("memory_outside_go_bytes"),
        margin_percent=100 * (memory - peak) / memory if peak is not None else None,
    )


def _counts(trials: list[FrozenTrial], feasible: list[FrozenTrial], machine: str | None) -> dict[str, int]:
    outcomes = Counter(t.user_attrs.get("outcome", "unknown") for t in trials)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    elsewhere = sum(1 for t in complete if not on_machine(t.user_attrs.get("machine"), machine))
    return {"total": len(trials), "feasible": len(feasible),
            "infeasible": sum(1 for t in complete if not t.user_attrs.get("feasible")),
            **({"other_machine": elsewhere} if elsewhere else {}),
            **{f"outcome_{name}": count for name, count in sorted(outcomes.items())}}


def _nearest_miss(trials: list[FrozenTrial]) -> NoFeasible:
    complete = [t for t in trials if t.state == TrialState.COMPLETE and named_constraints(t)]
    message = "neither the baseline nor any trial met every constraint"
    if not complete:
        return NoFeasible(message=message, nearest_miss=None)
    miss = min(complete, key=lambda t: sum(max(0.0, v) for v in named_constraints(t).values()))
    return NoFeasible(message=message, nearest_miss=NearestMiss(
        trial=miss.number, params=miss.user_attrs.get("settings"),
        violated={k: v for k, v in named_constraints(miss).items() if v > 0}))
