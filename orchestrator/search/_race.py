"""Race to a decision: re-measure the leaders and Go's defaults in interleaved rounds until a test separates them.

After the exploration trials, the ``RACE_LEADERS`` best feasible configurations, Go's defaults (the
baseline) and, when the CPU limit is below 2 or fractional or GOMAXPROCS is searched, the leader at
GOMAXPROCS = floor(limit), Go's default and ceil(limit) are measured once each per round, in the same
order every round (A B C base A B C ...), so a slow drift of the machine hits all of them alike.

Rules (also in the README, "How a run decides"):
- Only racing repeats enter the tests: an exploration value chose the leaders and is biased to luck.
- Feasible means every racing repeat met every constraint (not the median): one repeat over a bound
  drops the contender. Near a bound this takes repeats to show, which is what the minimum is for.
- After each round from ``min_repeats`` on, every contender is compared with the current best by a
  one-sided Mann-Whitney U test; one worse at ``p <= level`` is no longer measured, where ``level`` is
  the preset's ``alpha`` divided by the number of rounds it may look at (Bonferroni over the looks). The race stops when
  only the best is left ("separated"), after ``max_repeats`` rounds, or when the next round would not
  fit in ``search.time_budget``.
- The decision is taken from every racing repeat at the end. Leaders within noise of the best (p above
  the level) and whose median lies within ``TIE_MARGIN`` of the best's tie; the tie goes to the one with
  the lowest median peak memory (most headroom). The effect
  against Go's defaults is the Hodges-Lehmann shift with its distribution-free interval.
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import optuna

from orchestrator.results import Decision, Effect, GomaxprocsAdvice, GomaxprocsValue, RaceContender, TrialRecord
from orchestrator.search._aggregate import aggregate
from orchestrator.search._space import suggest
from orchestrator.search._states import baseline_machine
from orchestrator.search._summary import on_machine
from orchestrator.spec import CONFIDENCE_PRESETS, Spec, TrialSettings, baseline_settings, resolve_trial_settings
from orchestrator.stats import Spread, mann_whitney_greater, shift

if TYPE_CHECKING:
    from orchestrator.search._study import StudyRun

RACE_LEADERS = 3  # leading feasible configurations raced against Go's defaults
RACE_ATTR = "race"  # the study's user attribute holding the race (a Decision), so a resumed run continues it
PEAK = "peak_memory_bytes"
# A test that cannot separate two leaders does not make them equal: a leader takes a tie only if its median
# is also within this share of the best's median.
TIE_MARGIN = 0.05
# What a racing repeat reports back: its metrics, its outcome (ok, oom, ...) and its constraint violations.
Measure = Callable[[RaceContender, int], tuple[dict[str, Any], str, dict[str, float]]]


def wanted(spec: Spec) -> bool:
    """Whether the spec asks for a race: ``search.confidence`` set and one objective to decide on."""
    return spec.search.confidence is not None and len(spec.objectives) == 1


def new_decision(spec: Spec) -> Decision:
    preset = CONFIDENCE_PRESETS[spec.search.confidence or "standard"]
    metric, direction = spec.objectives[0]
    return Decision(metric=metric, direction=direction, preset=preset.name, alpha=preset.alpha, level=preset.level,
                    min_repeats=preset.min_repeats, max_repeats=preset.max_repeats)


# --- who races ---------------------------------------------------------------------------------------------

def leaders(trials: list[TrialRecord], metric: str, direction: str, count: int = RACE_LEADERS) -> list[TrialRecord]:
    """The ``count`` best feasible trials of distinct settings; Go's defaults proposed as a trial are left
    out (the baseline races anyway)."""
    ranked = sorted((t for t in trials if t.feasible and t.state == "COMPLETE" and t.values and metric in t.values),
                    key=lambda t: t.values[metric], reverse=direction == "maximize")  # type: ignore[index]
    chosen: list[TrialRecord] = []
    for trial in ranked:
        same = trial.metrics.get("same_as") == "baseline" or any(c.params == trial.params for c in chosen)
        if not same and len(chosen) < count:
            chosen.append(trial)
    return chosen


def gomaxprocs_values(cpus: float | None, searched: bool, own: Any) -> list[str]:
    """GOMAXPROCS values to race the leader at, besides its own: floor(limit) (at least 1), Go's default
    ("auto") and ceil(limit); none when the limit is 2 or more and whole and GOMAXPROCS is not searched."""
    if cpus is None or (cpus >= 2 and float(cpus).is_integer() and not searched):
        return []
    values = dict.fromkeys([str(max(1, math.floor(cpus))), "auto", str(max(1, math.ceil(cpus)))])
    return [v for v in values if v != str(own)]


def plan_contenders(spec: Spec, top: list[TrialRecord], baseline_params: dict[str, Any],
                    default_gomaxprocs: int | None) -> list[RaceContender]:
    """The race's entrants in round order: the leaders, Go's defaults, then the leader's GOMAXPROCS variants.
    A variant equal to Go's default value (the baseline's measured GOMAXPROCS) is left to "auto"."""
    entrants = [RaceContender(label=f"trial {t.trial}", trial=t.trial, role="leader", params=dict(t.params))
                for t in top]
    entrants.append(RaceContender(label="baseline", trial="baseline", role="baseline", params=dict(baseline_params)))
    if top:
        lead = top[0]
        own = lead.params.get("GOMAXPROCS", "auto")
        own_value = str(default_gomaxprocs) if own == "auto" else str(own)
        for value in gomaxprocs_values(lead.params.get("cpus"), "GOMAXPROCS" in spec.space.searched(), own):
            if value != "auto" and value == own_value:
                continue  # the leader itself runs at this value
            if value != "auto" and own != "auto" and str(default_gomaxprocs) == value:
                continue  # "auto" is this value here; it is raced as "auto"
            entrants.append(RaceContender(label=f"trial {lead.trial} at GOMAXPROCS={value}", trial=lead.trial,
                                          role="gomaxprocs",
                                          params={**lead.params, "GOMAXPROCS": value if value == "auto" else int(value)}))
    return entrants


# --- the race ------------------------------------------------------------------------------------------------

def record(decision: Decision, contender: RaceContender, metrics: dict[str, Any], outcome: str,
           violations: dict[str, float]) -> None:
    """Add one racing repeat; a broken constraint or a failed run drops the contender at once."""
    value = metrics.get(decision.metric)
    number = float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
    contender.values.append(number)
    contender.repeat_metrics.append(metrics)
    contender.outcomes.append(outcome)
    broken = sorted(k for k, v in violations.items() if v > 0)
    contender.violated = sorted(set(contender.violated) | set(broken))
    if broken or outcome != "ok" or math.isnan(number):
        contender.feasible = False
        contender.eliminated_round = decision.rounds + 1
    medians, spreads = aggregate(contender.repeat_metrics)
    medians["repeats"] = len(contender.repeat_metrics)
    contender.metrics = medians
    contender.spread = {k: Spread.from_dict(v) for k, v in spreads.items()}
    decision.repeats_spent += 1


def active(decision: Decision) -> list[RaceContender]:
    return [c for c in decision.contenders if c.eliminated_round is None]


def p_better(ours: list[float], theirs: list[float], direction: str) -> float:
    """One-sided Mann-Whitney p of "ours is better than theirs" (lower when minimising)."""
    return mann_whitney_greater(theirs, ours) if direction == "minimize" else mann_whitney_greater(ours, theirs)


def _median(contender: RaceContender) -> float:
    return statistics.median(contender.values) if contender.values else math.nan


def _best(contenders: list[RaceContender], direction: str) -> RaceContender | None:
    ranked = [c for c in contenders if c.feasible and c.values]
    if not ranked:
        return None
    return (min if direction == "minimize" else max)(ranked, key=_median)


def eliminate(decision: Decision) -> None:
    """After a round: drop every contender the current best beats at ``alpha``; stop when only it is left."""
    if decision.rounds < decision.min_repeats:
        return
    running = active(decision)
    best = _best(running, decision.direction)
    if best is None:
        decision.stopped = "nothing_to_race"
        return
    for contender in running:
        if contender is not best and p_better(best.values, contender.values, decision.direction) <= decision.level:
            contender.eliminated_round = decision.rounds
    if len(active(decision)) <= 1:
        decision.stopped = "separated"
    elif decision.rounds >= decision.max_repeats:
        decision.stopped = "max_repeats"


def run_rounds(decision: Decision, measure: Measure, time_left: Callable[[], float | None],
               run_seconds: Callable[[], float], on_change: Callable[[Decision], None] = lambda d: None) -> Decision:
    """Measure the active contenders round after round until the stop rule or the time budget ends it;
    a round cut short by an interruption is completed on resume (contenders behind it are measured first)."""
    started = time.monotonic() - decision.seconds_spent
    while decision.stopped == "running":
        running = active(decision)
        due = [c for c in running if c.repeats <= decision.rounds]
        left = time_left()
        if not running:
            decision.stopped = "nothing_to_race"
            break
        if left is not None and left < len(due) * run_seconds():
            decision.stopped = "time_budget"
            break
        for contender in due:
            record(decision, contender, *measure(contender, contender.repeats + 1))
            decision.seconds_spent = time.monotonic() - started
            on_change(decide(decision))
        decision.rounds += 1
        eliminate(decision)
        on_change(decide(decision))
    decision.finished = True
    return decide(decision)


# --- the decision --------------------------------------------------------------------------------------------

def decide(decision: Decision) -> Decision:
    """The winner, ties, effect against Go's defaults, GOMAXPROCS advice and confidence, from every racing
    repeat so far (``decision`` is updated in place and returned)."""
    direction, alpha = decision.direction, decision.level
    best = _best(decision.contenders, direction)
    decision.best_by_median = best.label if best else None
    best = _default_gomaxprocs_in_a_tie(decision, best)
    if best is None:
        decision.winner, decision.confidence = None, "none"
        decision.reasons = ["no raced configuration kept every constraint in every racing repeat"]
        return decision
    winner = best
    tied = _tied(decision, best)
    if best.role != "baseline" and tied:
        winner = min([best, *tied], key=lambda c: (c.metrics.get(PEAK) or math.inf))
    decision.winner = winner.label
    decision.tie_broken_by_headroom = winner is not best
    for contender in decision.contenders:
        other = contender is not winner and contender.values
        contender.p_vs_winner = p_better(winner.values, contender.values, direction) if other else None
        contender.within_noise = (contender.p_vs_winner > alpha and contender.feasible
                                  if contender.p_vs_winner is not None else None)
    decision.within_noise = [c.label for c in decision.contenders if c.within_noise and c.role != "baseline"]
    decision.effect = _effect(decision, winner)
    decision.separated_from_baseline = None if decision.effect is None or decision.effect.p is None else (
        decision.effect.p <= alpha)
    decision.gomaxprocs = _gomaxprocs_advice(decision)
    decision.winner_rule = _rule(decision, winner, best)
    decision.confidence, decision.reasons = _confidence(decision, winner)
    return decision


def _default_gomaxprocs_in_a_tie(decision: Decision, best: RaceContender | None) -> RaceContender | None:
    """A GOMAXPROCS variant is best only beyond noise over its own leader (the GOMAXPROCS the study chose)."""
    if best is None or best.role != "gomaxprocs":
        return best
    leader = next((c for c in decision.contenders if c.role == "leader" and c.trial == best.trial), None)
    if leader is None or not leader.feasible or not leader.values:
        return best
    return best if p_better(best.values, leader.values, decision.direction) <= decision.level else leader


def _tied(decision: Decision, best: RaceContender) -> list[RaceContender]:
    """Leaders within noise of the best that may take the tie: each with a median close to the best's, as
    clearly better than Go's defaults as the best is, and no GOMAXPROCS variant whose own leader (Go's default
    GOMAXPROCS) ties too."""
    direction, level = decision.direction, decision.level
    base = decision.contender("baseline")

    def beats_base(c: RaceContender) -> bool:
        return base is None or not base.values or p_better(c.values, base.values, direction) <= level

    def close(c: RaceContender) -> bool:
        return abs(_median(c) - _median(best)) <= TIE_MARGIN * abs(_median(best))

    tied = [c for c in decision.contenders if c is not best and c.role != "baseline" and c.feasible and c.values
            and p_better(best.values, c.values, direction) > level and close(c)
            and (beats_base(c) or not beats_base(best))]
    leaders_tied = {c.trial for c in [best, *tied] if c.role == "leader"}
    return [c for c in tied if c.role != "gomaxprocs" or c.trial not in leaders_tied]


def _effect(decision: Decision, winner: RaceContender) -> Effect | None:
    base = decision.contender("baseline")
    if base is None or winner is base or not base.values or not winner.values:
        return None
    estimate = shift(winner.values, base.values)
    base_median = _median(base)
    return Effect(metric=decision.metric, estimate=estimate.estimate, low=estimate.low, high=estimate.high,
                  coverage=estimate.coverage, relative=estimate.estimate / abs(base_median) if base_median else None,
                  p=p_better(winner.values, base.values, decision.direction))


def _rule(decision: Decision, winner: RaceContender, best: RaceContender) -> str:
    metric = decision.metric
    if winner.role == "baseline":
        return f"Go's defaults had the best median {metric} in the race"
    if decision.tie_broken_by_headroom:
        return (f"raced: within noise of {best.label}; preferred for its lower peak memory (more headroom)")
    if winner.label != decision.best_by_median:
        return (f"raced: within noise of {decision.best_by_median} (the best median {metric}), which differs "
                "only in GOMAXPROCS; the leader's own GOMAXPROCS kept")
    return f"raced: best median {metric} over {winner.repeats} racing repeats"


def _confidence(decision: Decision, winner: RaceContender) -> tuple[str, list[str]]:
    """high: the winner is separated from every other contender; medium: from Go's defaults but tied with
    a leader (either is as good); low: not separated from Go's defaults, or too few rounds."""
    alpha, effect = decision.level, decision.effect
    reasons = [f"{decision.rounds} racing rounds ({decision.repeats_spent} racing repeats, interleaved), "
               f"preset {decision.preset}: {decision.test} at level {alpha:.3g} (alpha {decision.alpha:g} over "
               f"{decision.max_repeats - decision.min_repeats + 1} looks)"]
    if effect is not None and effect.p is not None:
        side = "separated from" if effect.p <= alpha else "not separated from"
        reasons.append(f"{winner.label} is {side} Go's defaults (p = {effect.p:.3g})")
    if decision.within_noise:
        reasons.append(f"within noise of the winner: {', '.join(decision.within_noise)}")
    if decision.tie_broken_by_headroom:
        reasons.append("the tie went to the one with the most memory headroom")
    if decision.rounds < decision.min_repeats:
        reasons.append(f"fewer rounds than the preset's minimum of {decision.min_repeats} ({decision.stopped})")
        return "low", reasons
    if winner.role == "baseline":
        return ("medium" if decision.within_noise else "high"), reasons
    if not decision.separated_from_baseline:
        return "low", reasons
    return ("medium" if decision.within_noise else "high"), reasons


def _gomaxprocs_advice(decision: Decision) -> GomaxprocsAdvice | None:
    variants = [c for c in decision.contenders if c.role == "gomaxprocs"]
    if not variants:
        return None
    parent = next((c for c in decision.contenders if c.role == "leader" and c.trial == variants[0].trial), None)
    group = [c for c in [parent, *variants] if c is not None]
    best = _best(group, decision.direction)
    base = decision.contender("baseline")
    default = base.metrics.get("gomaxprocs") if base else None
    values = []
    for c in group:
        p = p_better(best.values, c.values, decision.direction) if best and c is not best and c.values else None
        values.append(GomaxprocsValue(gomaxprocs=str(c.params.get("GOMAXPROCS", "auto")), label=c.label,
                                      median=_median(c) if c.values else None, repeats=c.repeats, feasible=c.feasible,
                                      p_vs_winner=p, within_noise=None if p is None else p > decision.level))
    advice = GomaxprocsAdvice(cpus=group[0].params.get("cpus"), default=int(default) if default else None,
                              values=values, best=None if best is None else str(best.params.get("GOMAXPROCS", "auto")))
    advice.advice = _gomaxprocs_text(decision, advice)
    return advice


def _gomaxprocs_text(decision: Decision, advice: GomaxprocsAdvice) -> str:
    measured = "; ".join(f"GOMAXPROCS={v.gomaxprocs}" + (f" (= {advice.default})" if v.gomaxprocs == "auto"
                                                          and advice.default else "")
                         + (f": median {v.median:.3g}" if v.median is not None else ": not measured")
                         + ("" if v.feasible else ", broke a constraint") for v in advice.values)
    if advice.best is None:
        return f"Measured {measured}; none kept every constraint."
    tied = [v.gomaxprocs for v in advice.values if v.within_noise]
    if tied:
        keep = "auto" if "auto" in [advice.best, *tied] else advice.best
        return (f"Measured {decision.metric}: {measured}. GOMAXPROCS={advice.best} and {', '.join(tied)} are "
                f"within noise of each other (Mann-Whitney, level {decision.level:.3g}): "
                + ("keep Go's default." if keep == "auto" else f"set GOMAXPROCS={keep}."))
    return (f"Measured {decision.metric}: {measured}. GOMAXPROCS={advice.best} is best beyond noise "
            f"(Mann-Whitney, level {decision.level:.3g})"
            + (": keep Go's default." if advice.best == "auto" else f": set GOMAXPROCS={advice.best}."))


# --- the race inside a study run -----------------------------------------------------------------------------

def race_reserve_s(run: StudyRun) -> float:
    """Seconds to keep for racing: every expected contender ``min_repeats`` times at the mean run length."""
    if not wanted(run.spec) or run.plan.configurations is not None:
        return 0.0
    preset = CONFIDENCE_PRESETS[run.spec.search.confidence or "standard"]
    cpus = run.spec.container.cpus
    expected = RACE_LEADERS + 1 + len(gomaxprocs_values(cpus, "GOMAXPROCS" in run.searched, "auto"))
    return expected * preset.min_repeats * mean_run_s(run)


def mean_run_s(run: StudyRun) -> float:
    """The mean wall time of the container runs so far (the planned run when none has ended)."""
    if run.run_seconds:
        return statistics.fmean(run.run_seconds)
    planned = run.spec.workload.planned_run_s
    return float(planned) if planned else 10.0


def time_left(run: StudyRun) -> float | None:
    budget = run.spec.search.time_budget
    return None if budget is None else budget - (time.time() - run.started)


def exploration_over(run: StudyRun) -> bool:
    """Whether one more exploration trial would eat into the time kept for racing."""
    left = time_left(run)
    return left is not None and left < mean_run_s(run) * run.repeats + race_reserve_s(run)


def race(run: StudyRun) -> Decision | None:
    """Race the study's leaders and Go's defaults (resuming a race the study recorded); None when the spec
    asks for none."""
    if not wanted(run.spec) or run.plan.configurations is not None or run.baseline is None:
        return None
    recorded = run.study.user_attrs.get(RACE_ATTR)
    if recorded:
        decision = Decision.model_validate(recorded)
        if decision.finished:
            return decision
    else:
        summary = run.write_summary(finished=False)
        decision = new_decision(run.spec)
        machine = baseline_machine(run.study)
        top = leaders([t for t in summary.trials if on_machine(t.machine, machine)], decision.metric,
                      decision.direction)
        default = run.baseline.number("gomaxprocs")
        decision.contenders = plan_contenders(run.spec, top, run.baseline.params, int(default) if default else None)
        if not top:
            decision.stopped = "nothing_to_race"
    settings = {c.label: settings_of(run, c) for c in decision.contenders}

    def measure(contender: RaceContender, index: int) -> tuple[dict[str, Any], str, dict[str, float]]:
        run._report(f"racing round {decision.rounds + 1}: {contender.label}")
        return measure_once(run, settings[contender.label], race_folder(run, contender, index))

    def on_change(current: Decision) -> None:
        run.study.set_user_attr(RACE_ATTR, current.to_dict())
        run.write_summary(finished=False)

    on_change(decision)
    result = run_rounds(decision, measure, lambda: time_left(run), lambda: mean_run_s(run), on_change)
    on_change(result)
    return result


def settings_of(run: StudyRun, contender: RaceContender) -> TrialSettings:
    """A contender's settings: the baseline's or its trial's, at its GOMAXPROCS."""
    if contender.trial == "baseline":
        settings = baseline_settings(run.spec)
    else:
        trial = next(t for t in run.study.get_trials(deepcopy=False) if t.number == contender.trial)
        # The trial's Optuna parameters replayed through the same suggestions as when it ran.
        settings = resolve_trial_settings(run.spec, suggest(optuna.trial.FixedTrial(trial.params), run.searched,
                                                            run.grid))
    procs = contender.params.get("GOMAXPROCS", "auto")
    return dataclasses.replace(settings, gomaxprocs=None if procs in (None, "auto") else int(procs))


def measure_once(run: StudyRun, settings: TrialSettings, folder: Any) -> tuple[dict[str, Any], str, dict[str, float]]:
    """One racing repeat in the study's hardened container: its metrics, outcome and violations."""
    from orchestrator.search._study import Measurement, _jsonable, classify  # noqa: PLC0415 - _study imports us

    outcome = run._run_container(settings, folder, run.cpusets[0])
    status, reason = classify(outcome)
    metrics = _jsonable(outcome.metrics)
    return metrics, status, run.violations(Measurement(settings.params(), metrics, outcome=status, reason=reason))


def race_folder(run: StudyRun, contender: RaceContender, index: int) -> Any:
    """``race/<label>/repeat-N``: racing repeats apart from the trials' folders."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", contender.label).strip("-")
    return run.run_dir.root / "race" / slug / f"repeat-{index}"
