"""What the race decided, in words: the test and its p, the ties, the effect against Go's defaults with its
interval, the repeats spent and GOMAXPROCS by measurement. The report's confidence comes from here when a
race ran."""

from __future__ import annotations

from orchestrator.report._format import label, metric_change, metric_value
from orchestrator.results import Decision

STOPPED = {"separated": "the best was separated from every other contender",
           "max_repeats": "the preset's maximum of rounds was reached",
           "time_budget": "the next round would not have fitted in search.time_budget",
           "nothing_to_race": "there was nothing feasible to race", "running": "the race is still running"}


def decision_lines(decision: Decision) -> list[str]:
    """One sentence per fact, for the report's Decision section."""
    metric = decision.metric
    lines = [f"Test: {decision.test}, each test at level {decision.level:.3g} (alpha {decision.alpha:g} of the "
             f"{decision.preset} preset, Bonferroni over {decision.max_repeats - decision.min_repeats + 1} looks). "
             "Only racing repeats (deliberate re-measurements, apart from the trials) enter the tests; feasible means "
             f"{decision.feasibility_rule}.",
             f"Spent {decision.rounds} interleaved rounds, {decision.repeats_spent} racing repeats, "
             f"{decision.seconds_spent:.0f} s; stopped because {STOPPED.get(decision.stopped, decision.stopped)}."]
    if decision.winner:
        lines.append(f"Winner: {decision.winner} ({decision.winner_rule}).")
    for c in decision.contenders:
        median = metric_value(metric, c.metrics.get(metric)) if c.values else "-"
        state = "" if c.feasible else f", dropped: broke {', '.join(c.violated) or 'a run'}"
        versus = "" if c.p_vs_winner is None else (
            f", p = {c.p_vs_winner:.3g} against the winner: " + ("within noise" if c.within_noise else "worse"))
        lines.append(f"{c.label}: median {label(metric)} {median} over {c.repeats} racing repeats{versus}{state}.")
    if decision.within_noise:
        lines.append(f"Within noise of each other: {decision.winner}, {', '.join(decision.within_noise)}"
                     + (" - the tie went to the one with the lowest peak memory (most headroom)."
                        if decision.tie_broken_by_headroom else "."))
    effect = decision.effect
    if effect is not None:
        relative = f" ({effect.relative:+.0%})" if effect.relative is not None else ""
        lines.append(f"Effect against Go's defaults: {metric_change(metric, effect.estimate)}{relative} "
                     f"(Hodges-Lehmann; {effect.coverage:.0%} interval {metric_change(metric, effect.low)} to "
                     f"{metric_change(metric, effect.high)}), p = {effect.p:.3g}.")
    if decision.gomaxprocs is not None:
        lines.append(f"GOMAXPROCS by measurement: {decision.gomaxprocs.advice}")
    return lines
