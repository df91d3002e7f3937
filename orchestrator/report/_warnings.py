"""The cautions a careful engineer would attach to the recommendation."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from orchestrator.report._analysis import (
    NEIGHBOUR_TOLERANCE, UNSET, go_release, is_number, memory_bound, neighbours, spread_of)
from orchestrator.report._data import ReportData
from orchestrator.report._format import GO_DEFAULTS_TEXT, interval_text, label
from orchestrator.results import LOW_MARGIN_PERCENT, TrialRecord
from orchestrator.spec import RUNTIME_SETTINGS, format_settings
from orchestrator.units import format_mib

SMALL_HEADROOM_PERCENT = 15.0  # GOGC=off needs room between GOMEMLIMIT and the container limit
NEAR_BOUND = 0.05  # a peak within 5% of a memory bound is "close"


@dataclass(frozen=True)
class ReportWarning:
    """One caution: a stable code for tools, a severity and a sentence for people."""

    code: str
    severity: str  # warning | note
    message: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def find_warnings(data: ReportData, production_go: str | None = None) -> list[ReportWarning]:
    """Every caution that applies to this run, most serious first."""
    found: list[ReportWarning] = []
    for check in (_unfinished, _no_feasible, _limiter, _thrashing_nearby, _gogc_off_headroom, _oom_nearby,
                  _memory_bound, _low_margin, _gomaxprocs, _go_version, _single_repeat, _saving_noise, _runner_up,
                  _baseline_infeasible):
        found.extend(check(data, production_go))
    return sorted(found, key=lambda w: w.severity != "warning")


class _Configured(Protocol):
    """A trial, the runner-up or the nearest miss: a number and its settings."""

    trial: int
    params: Any


def _trial_ref(trial: _Configured) -> str:
    return f"trial {trial.trial} ({format_settings(trial.params, RUNTIME_SETTINGS)})"


def _near(data: ReportData) -> list[TrialRecord]:
    rec = data.recommended
    return [] if rec is None else neighbours(data, rec.params, exclude=rec.trial)


def _unfinished(data: ReportData, _: str | None) -> list[ReportWarning]:
    if data.summary.finished:
        return []
    return [ReportWarning("run_unfinished", "warning",
                          f"The run stopped before its trial budget ({data.summary.trial_counts.get('total', 0)} "
                          "trials so far); this report covers only those. Resume it with `gctune run --resume` "
                          "for the rest.")]


def _no_feasible(data: ReportData, _: str | None) -> list[ReportWarning]:
    if data.recommended is not None:
        return []
    miss = data.summary.no_feasible.nearest_miss if data.summary.no_feasible else None
    text = "No configuration met every constraint."
    if miss:
        text += f" The nearest miss, {_trial_ref(miss)}, violated {', '.join(miss.violated)}."
    return [ReportWarning("no_feasible", "warning", text + " Loosen a constraint, widen the space or give the "
                          "container more memory.")]


def _limiter(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec = data.recommended
    if rec is None or not rec.metrics.get("gc_limiter_engaged"):
        return []
    return [ReportWarning("gc_limiter_engaged", "warning",
                          "The GC CPU limiter engaged in the recommended configuration: the heap was pressed "
                          "against GOMEMLIMIT and the runtime capped GC at about 50% CPU. A slightly larger live "
                          "heap in production will make it thrash or grow past the limit; raise GOMEMLIMIT or "
                          "the container memory.")]


def _thrashing_nearby(data: ReportData, _: str | None) -> list[ReportWarning]:
    bad = [t for t in _near(data) if t.outcome == "thrashing" or t.metrics.get("gc_limiter_engaged")]
    if not bad:
        return []
    return [ReportWarning("thrashing_nearby", "warning",
                          f"GC thrashing or the GC CPU limiter was seen close to the chosen settings (within "
                          f"{NEIGHBOUR_TOLERANCE:.0%}): " + "; ".join(_trial_ref(t) for t in bad) +
                          ". The recommendation sits near a cliff; leave more room below GOMEMLIMIT.")]


def _gogc_off_headroom(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec, headroom = data.recommended, data.summary.headroom
    if rec is None or rec.params.get("GOGC") != "off":
        return []
    percent = headroom.gomemlimit_headroom_percent if headroom else None
    if percent is not None and percent >= SMALL_HEADROOM_PERCENT:
        return []
    room = "unknown" if percent is None else f"only {percent:.0f}%"
    return [ReportWarning("gogc_off_small_headroom", "warning",
                          f"GOGC=off is recommended with {room} between GOMEMLIMIT and the container memory "
                          f"(less than {SMALL_HEADROOM_PERCENT:.0f}%). With GOGC=off the heap grows right up to "
                          "GOMEMLIMIT; goroutine stacks, cgo and off-heap memory then have little room before "
                          "the OOM killer. Prefer a finite GOGC or a lower GOMEMLIMIT.")]


def _oom_nearby(data: ReportData, _: str | None) -> list[ReportWarning]:
    ooms = [t for t in _near(data) if t.outcome == "oom"]
    if not ooms:
        return []
    return [ReportWarning("oom_nearby", "warning",
                          f"OOM kills happened close to the chosen settings (within {NEIGHBOUR_TOLERANCE:.0%}): "
                          + "; ".join(_trial_ref(t) for t in ooms) + ". A small change in load could cross it.")]


def _memory_bound(data: ReportData, _: str | None) -> list[ReportWarning]:
    rec, bound = data.recommended, memory_bound(data)
    if rec is None or bound is None:
        return []
    limit, text = bound
    spread = rec.spread.get("peak_memory_bytes")
    peak = rec.number("peak_memory_bytes")
    if spread is not None and spread.max > limit:
        return [ReportWarning("peak_over_bound_in_a_run", "warning",
                              f"The median peak memory meets '{text}', but one run of the recommendation peaked "
                              f"at {format_mib(spread.max)}, over the bound.")]
    if peak is not None and peak > limit * (1 - NEAR_BOUND):
        return [ReportWarning("peak_near_bound", "note",
                              f"Peak memory ({format_mib(peak)}) is within {NEAR_BOUND:.0%} of the bound '{text}'.")]
    return []


def _low_margin(data: ReportData, _: str | None) -> list[ReportWarning]:
    """A measured peak that leaves less than LOW_MARGIN_PERCENT of the container limit."""
    headroom = data.summary.headroom
    if headroom is None or not headroom.low_margin or headroom.peak_headroom_bytes is None:
        return []
    outside = headroom.memory_outside_go_bytes
    why = (f"; {format_mib(outside)} of the peak was outside the Go runtime, where GOMEMLIMIT cannot reach"
           if outside is not None and outside > 0 else "")
    return [ReportWarning("low_memory_margin", "warning",
                          f"The recommendation's peak leaves {format_mib(headroom.peak_headroom_bytes)} "
                          f"({headroom.margin_percent:.1f}%) below the {format_mib(headroom.memory_limit_bytes)} "
                          f"container limit, less than {LOW_MARGIN_PERCENT:g}%{why}. A burst or a larger input "
                          "may be OOM-killed.")]


def _gomaxprocs(data: ReportData, _: str | None) -> list[ReportWarning]:
    params = (data.recommended or data.baseline).params
    cpus, gomaxprocs = params.get("cpus"), params.get("GOMAXPROCS")
    if not is_number(cpus):
        return []
    release = go_release(data.go_version)
    host = data.run_info.engine.host_cpus
    decision = data.summary.decision
    if decision is not None and decision.gomaxprocs is not None:
        return [_gomaxprocs_measured(data, cpus)]
    if gomaxprocs not in UNSET:
        if is_number(gomaxprocs) and gomaxprocs > cpus:
            return [ReportWarning("gomaxprocs_above_quota", "note",
                                  f"GOMAXPROCS={gomaxprocs} is above the {cpus:g}-CPU limit: Ps compete for the "
                                  "quota and the kernel throttles the process.")]
        return []
    if release is not None and release < (1, 25):
        return [ReportWarning("gomaxprocs_ignores_quota", "warning",
                              f"Before Go 1.25, GOMAXPROCS ignores the container's {cpus:g}-CPU limit and equals "
                              f"the node's CPU count ({host or 'unknown'} here, often far more in production). "
                              "Set GOMAXPROCS to the CPU limit, rounded up, or upgrade to Go 1.25+.")]
    if cpus < 2 or not float(cpus).is_integer():
        return [_gomaxprocs_measured(data, cpus)]
    return []


def _gomaxprocs_measured(data: ReportData, cpus: float) -> ReportWarning:
    """GOMAXPROCS advice from the race's measurement of floor(limit), Go's default and ceil(limit); without
    a race, only what was not measured (no rule stands in for a measurement)."""
    decision = data.summary.decision
    if decision is not None and decision.gomaxprocs is not None:
        return ReportWarning("gomaxprocs_measured", "note",
                             f"The CPU limit ({cpus:g}) is below 2 or fractional, so GOMAXPROCS was raced: "
                             + decision.gomaxprocs.advice)
    return ReportWarning("gomaxprocs_not_measured", "note",
                         f"The CPU limit ({cpus:g}) is below 2 or fractional, where Go's default GOMAXPROCS may not "
                         "be the best; this run did not measure the alternatives. Set search.confidence to race "
                         "GOMAXPROCS = floor, Go's default and ceil of the limit.")


def _go_version(data: ReportData, production_go: str | None) -> list[ReportWarning]:
    measured = data.go_version
    if measured is None:
        return [ReportWarning("go_version_unknown", "warning", "The Go version of the measured program is not "
                              "recorded; GC pacing differs between Go releases.")]
    if production_go is None:
        return []
    ours, theirs = go_release(measured), go_release(production_go)
    if ours is None or theirs is None or ours == theirs:
        return []
    return [ReportWarning("go_version_differs", "warning",
                          f"Measured with {measured}, but production runs Go {production_go.removeprefix('go')}. "
                          "The GC pacer, the memory limit and GOMAXPROCS defaults change between releases; "
                          "repeat the run with the production toolchain.")]


def _single_repeat(data: ReportData, _: str | None) -> list[ReportWarning]:
    repeats = (data.recommended or data.baseline).repeats
    if repeats is None or repeats >= 2:
        return []
    return [ReportWarning("single_repeat", "warning",
                          "Each configuration ran only once, so nothing shows how much the numbers vary "
                          "between runs; set search.repeats to 3 or more before relying on small differences.")]


def _saving_noise(data: ReportData, _: str | None) -> list[ReportWarning]:
    decision = data.summary.decision
    if decision is not None:
        effect = decision.effect
        if data.tuned is None or effect is None or effect.p is None or decision.separated_from_baseline:
            return []
        return [ReportWarning("saving_within_noise", "warning",
                              f"The race did not separate the recommendation from Go's defaults (Mann-Whitney p = "
                              f"{effect.p:.3g}, above the level {decision.level:.3g}): the saving may be noise. A "
                              "stricter search.confidence preset or a longer search.time_budget would tell.")]
    rec = data.tuned
    metric = data.first_metric
    ours, base = spread_of(rec, metric), spread_of(data.baseline, metric)
    if ours is None or base is None or not ours.overlaps(base):
        return []
    return [ReportWarning("saving_within_noise", "warning",
                          f"The median {label(metric)} of the recommendation ({interval_text(metric, ours)}) "
                          f"and of Go's defaults ({interval_text(metric, base)}) are within noise: the two "
                          "intervals overlap, so the difference may be noise. More repeats would tell.")]


def _runner_up(data: ReportData, _: str | None) -> list[ReportWarning]:
    runner = data.summary.runner_up
    if runner is None or not runner.within_noise:
        return []
    decision = data.summary.decision
    if decision is not None:
        chosen = (" gctune took the one with the lower peak memory (more headroom)." if decision.tie_broken_by_headroom
                  else " Of the two, prefer the one with more memory headroom.")
        return [ReportWarning("runner_up_within_noise", "note",
                              f"The runner-up, {_trial_ref(runner)}, is within noise of the recommendation in the "
                              "race: on this evidence either is as good." + chosen)]
    return [ReportWarning("runner_up_within_noise", "note",
                          f"The runner-up, {_trial_ref(runner)}, is within noise of the recommendation: on this "
                          "evidence either is as good. Prefer the one with more memory headroom.")]


def _baseline_infeasible(data: ReportData, _: str | None) -> list[ReportWarning]:
    base = data.baseline
    if base.feasible:
        return []
    broken = [k for k, v in base.violations.items() if v > 0]
    return [ReportWarning("baseline_infeasible", "note",
                          f"Go's defaults ({GO_DEFAULTS_TEXT}) break " + (", ".join(f"'{b}'" for b in broken)
                                                                           or "a constraint") +
                          ", so they are no safe choice for this workload and container.")]
