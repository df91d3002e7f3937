"""The headline: what to set, what to expect, what it saves, and how sure we are."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.report._analysis import spread_of
from orchestrator.report._data import ReportData
from orchestrator.report._format import (
    GO_DEFAULTS_TEXT, intervals_name, label, metric_change, metric_value, spread_text, unit)
from orchestrator.results import Measured
from orchestrator.spec import format_setting
from orchestrator.stats import Spread
from orchestrator.units import format_mib

HEADLINE_METRICS = ("gc_cpu_percent", "peak_memory_bytes")
OUTCOME_WORDS = {"oom": "were OOM-killed", "thrashing": "thrashed (GC CPU above the threshold)",
                 "skipped": "were not runnable", "crash": "crashed", "timeout": "timed out",
                 "engine": "failed in the Docker engine"}
OUTCOME_SHORT = {"oom": "OOM-killed", "thrashing": "thrashing", "skipped": "not run", "crash": "crashed",
                 "timeout": "timed out", "engine": "engine failure"}
WIDE_SPREAD = 0.20  # an objective whose interval spans more than 20% of its median is noisy


@dataclass(frozen=True)
class Expected:
    """One metric of the recommendation: median and spread, and the change from Go's defaults."""

    metric: str
    unit: str
    median: float | None
    low: float | None  # the interval of the median (the runs' range below 6 repeats)
    high: float | None
    runs: int | None
    baseline: float | None
    change: float | None  # recommended - baseline
    change_relative: float | None  # change / |baseline|
    text: str


@dataclass(frozen=True)
class Confidence:
    """How far to trust the recommendation."""

    level: str  # high | medium | low | none
    repeats: int | None
    spread_relative: float | None  # (interval high - low) / median of the first objective
    beats_baseline_beyond_noise: bool | None
    runner_up_within_noise: bool | None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Headline:
    """What the report says first."""

    experiment: str
    run_id: str
    finished: bool
    status: str  # tuned | defaults | no_feasible
    verdict: str
    recommended_trial: int | str | None
    rule: str | None
    params: dict[str, Any] | None
    settings: dict[str, str]
    expected: list[Expected]
    saving: dict[str, Any] | None
    saving_text: str | None
    headroom: dict[str, Any] | None
    headroom_text: str | None
    go_version: str | None
    workload: str
    container: str
    space: str
    trial_counts: dict[str, int]
    confidence: Confidence
    runner_up: dict[str, Any] | None
    nearest_miss: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_headline(data: ReportData) -> Headline:
    """Summarise the run: the recommendation, expected metrics, saving, headroom and confidence."""
    rec = data.recommended
    summary = data.summary
    status = "no_feasible" if rec is None else "defaults" if rec.is_baseline else "tuned"
    params = rec.params if rec else None
    miss = summary.no_feasible.nearest_miss if summary.no_feasible else None
    return Headline(
        experiment=data.experiment,
        run_id=data.run_id,
        finished=summary.finished,
        status=status,
        verdict=_verdict(data, status),
        recommended_trial=rec.trial if rec else None,
        rule=rec.rule if rec else None,
        params=params,
        settings={k: format_setting(k, v, params) for k, v in (params or {}).items()},
        expected=_expected(data),
        saving=summary.saving.to_dict() if summary.saving else None,
        saving_text=_saving_text(data),
        headroom=_headroom(data),
        headroom_text=_headroom_text(data),
        go_version=data.go_version,
        workload=workload_text(data.spec),
        container=container_text(data.spec),
        space=space_text(data.spec),
        trial_counts=dict(summary.trial_counts),
        confidence=_confidence(data),
        runner_up=summary.runner_up.to_dict() if summary.runner_up else None,
        nearest_miss=miss.to_dict() if miss else None,
    )


def _verdict(data: ReportData, status: str) -> str:
    rec = data.recommended
    if rec is None:
        miss = data.summary.no_feasible.nearest_miss if data.summary.no_feasible else None
        text = "No configuration met every constraint, so there is no recommendation."
        if miss:
            text += (f" The nearest miss was trial {miss.trial}, which violated "
                     f"{', '.join(miss.violated) or 'a constraint'}.")
        return text
    if status == "defaults":
        return (f"Keep Go's defaults ({GO_DEFAULTS_TEXT}): {rec.rule or 'no trial beat them'}. "
                "The snippets below pin them explicitly.")
    params = rec.params
    parts = [f"GOGC={format_setting('GOGC', params.get('GOGC'))}"]
    if params.get("GOMEMLIMIT") is not None:
        parts.append(f"GOMEMLIMIT={format_setting('GOMEMLIMIT', params['GOMEMLIMIT'], params)}")
    if params.get("GOMAXPROCS") not in (None, "auto"):
        parts.append(f"GOMAXPROCS={params['GOMAXPROCS']}")
    return f"Set {' and '.join(parts)} (trial {rec.trial}, {rec.rule})."


def _metrics_to_show(data: ReportData) -> list[str]:
    names = [m for m, _ in data.objectives]
    return names + [m for m in HEADLINE_METRICS if m not in names]


def _change(rec: Measured, base: Measured, metric: str) -> tuple[float | None, float | None]:
    """The recommendation minus Go's defaults in one metric, and that change relative to the defaults."""
    value, baseline = rec.number(metric), base.number(metric)
    if value is None or baseline is None:
        return None, None
    change = value - baseline
    return change, (change / abs(baseline) if baseline else None)


def _expected(data: ReportData) -> list[Expected]:
    rec = data.recommended
    if rec is None:
        return []
    base = data.baseline
    result = []
    for metric in _metrics_to_show(data):
        value, spread = rec.number(metric), spread_of(rec, metric)
        change, relative = _change(rec, base, metric)
        text = metric_value(metric, rec.metrics.get(metric))
        if spread is not None:
            text += f" ({spread_text(metric, spread)})"
        elif value is not None:
            text += " (1 run, no spread)"
        if change is not None and not rec.is_baseline:
            failed = "" if base.outcome in (None, "ok") else f" ({OUTCOME_SHORT.get(base.outcome, 'failed')})"
            text += (f"; Go's defaults: {metric_value(metric, base.number(metric))}{failed}, "
                     f"change {metric_change(metric, change)}")
            text += f" ({relative:+.0%})" if relative is not None else ""
        whole = rec.spread.get(metric)
        result.append(Expected(metric, unit(metric), value, whole.ci_low if whole else None,
                               whole.ci_high if whole else None, whole.n if whole else None,
                               base.number(metric), change, relative, text))
    return result


def _saving_text(data: ReportData) -> str | None:
    saving, rec, base = data.summary.saving, data.recommended, data.baseline
    if rec is not None and saving is None and base.outcome not in (None, "ok"):
        return f"No saving can be computed: Go's defaults {OUTCOME_WORDS.get(base.outcome, 'failed')}."
    if saving is None or rec is None or rec.is_baseline or saving.absolute is None:
        return None
    metric, absolute, relative = saving.metric, saving.absolute, saving.relative
    rel = f" ({abs(relative):.0%})" if relative is not None else ""
    before, after = metric_value(metric, saving.baseline), metric_value(metric, saving.recommended)
    amount = metric_change(metric, abs(absolute)).lstrip("+")
    if absolute > 0:
        return f"Saves {amount} of {label(metric)}{rel} against Go's defaults: {before} -> {after}."
    if absolute < 0:
        trade = [e for e in _expected(data) if e.metric != metric and e.metric in dict(data.objectives)
                 and e.change is not None]
        gains = ", ".join(f"{label(e.metric)} {metric_change(e.metric, e.change)}"
                          + (f" ({e.change_relative:+.0%})" if e.change_relative is not None else "") for e in trade)
        return (f"Costs {amount} more {label(metric)}{rel} than Go's defaults ({before} -> {after}), "
                + (f"in exchange for {gains}." if gains else "to meet the constraints."))
    return f"Same {label(metric)} as Go's defaults ({after})."


def _headroom(data: ReportData) -> dict[str, Any] | None:
    """summary.json's headroom, with the recommendation's peak and its share of the limit (for report.json)."""
    rec, headroom = data.recommended, data.summary.headroom
    if headroom is None:
        return None
    return {**headroom.to_dict(), "peak_memory_bytes": rec.number("peak_memory_bytes") if rec else None,
            "peak_headroom_percent": _share(headroom.peak_headroom_bytes, headroom.memory_limit_bytes)}


def _share(part: float | None, whole: float) -> float | None:
    return None if part is None or not whole else 100 * part / whole


def _headroom_text(data: ReportData) -> str | None:
    headroom = data.summary.headroom
    if headroom is None or data.recommended is None:
        return None
    memory = headroom.memory_limit_bytes
    if not memory:
        return None
    parts = []
    if headroom.peak_headroom_bytes is not None:
        parts.append(f"peak memory stays {format_mib(headroom.peak_headroom_bytes)} "
                     f"({_share(headroom.peak_headroom_bytes, memory):.0f}%) below the {format_mib(memory)} "
                     "container limit")
    outside = headroom.memory_outside_go_bytes
    if outside is not None and outside >= 0:
        parts.append(f"{format_mib(outside)} of the peak was outside the Go runtime "
                     "(the container's peak minus what the runtime held at its own peak)")
    elif outside is not None:
        parts.append(f"nothing measurable ran outside the Go runtime (its own peak was {format_mib(-outside)} "
                     "above the container's: it maps memory before it touches it)")
    if headroom.gomemlimit_headroom_bytes is not None:
        parts.append(f"GOMEMLIMIT sits {format_mib(headroom.gomemlimit_headroom_bytes)} "
                     f"({_share(headroom.gomemlimit_headroom_bytes, memory):.0f}%) below it")
    if not parts:
        return None
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]


def _confidence(data: ReportData) -> Confidence:
    rec = data.recommended
    if rec is None:
        return Confidence("none", None, None, None, None, ["there is no recommendation"])
    if data.summary.decision is not None:
        return _raced_confidence(data)
    metric, direction = data.objectives[0] if data.objectives else ("gc_cpu_percent", "minimize")
    ours, base = spread_of(rec, metric), spread_of(data.baseline, metric)
    pair = (ours, base) if ours is not None and base is not None and not rec.is_baseline else None
    better = _beyond_noise(*pair, direction) if pair else None
    repeats = rec.repeats
    width = _relative_width(ours)
    runner = data.summary.runner_up
    within = runner.within_noise if runner else None
    reasons = [f"{repeats} runs per configuration" if repeats and repeats > 1
               else "each configuration ran once, so its spread is unknown"]
    if ours is not None and width is not None:
        reasons.append(f"{label(metric)} varied by {width:.0%} of its median between runs" if ours.is_range else
                       f"the {ours.ci_coverage:.0%} confidence interval of the median {label(metric)} spans "
                       f"{width:.0%} of it")
    if pair:
        reasons.append(_separation_reason(metric, *pair, better))
    if runner and within:
        reasons.append(f"the runner-up (trial {runner.trial}) is within noise of it")
    elif runner and within is False:
        reasons.append(f"the runner-up (trial {runner.trial}) is clearly worse")
    noisy_saving = pair is not None and better is None and len(data.objectives) == 1
    if not repeats or repeats < 2 or noisy_saving:
        level = "low"
    elif repeats >= 3 and not within and (width is None or width <= WIDE_SPREAD):
        level = "high"
    else:
        level = "medium"
    return Confidence(level, repeats, width, None if pair is None else better is True, within, reasons)


def _raced_confidence(data: ReportData) -> Confidence:
    """The race's own verdict: the confidence a decision reached, and why."""
    decision = data.summary.decision
    assert decision is not None
    winner = decision.winning
    metric = decision.metric
    width = _relative_width(winner.spread.get(metric)) if winner else None
    runner_tied = bool(decision.within_noise)
    return Confidence(decision.confidence, winner.repeats if winner else None, width, decision.separated_from_baseline,
                      runner_tied, list(decision.reasons))


def _beyond_noise(ours: Spread, base: Spread, direction: str) -> bool | None:
    """Whether the recommendation's median is better than Go's defaults' beyond noise (False: worse);
    None when the two medians' intervals overlap."""
    if ours.overlaps(base):
        return None
    return (ours.median < base.median) == (direction == "minimize")


def _separation_reason(metric: str, ours: Spread, base: Spread, better: bool | None) -> str:
    """What comparing the two medians' intervals says: beyond noise (better or worse), or maybe noise."""
    intervals, confidence = intervals_name(ours, base)
    compared = f"the {intervals} of the recommendation and of Go's defaults"
    if better is None:
        return f"{compared} overlap in {label(metric)}{confidence}: the difference may be noise"
    if better:
        return f"{compared} do not overlap in {label(metric)}{confidence}: the recommendation is better beyond noise"
    return (f"{compared} do not overlap in {label(metric)}{confidence}: the recommendation is worse beyond noise, "
            "a trade-off for the other objectives")


def _relative_width(spread: Spread | None) -> float | None:
    if spread is None or not spread.median:
        return None
    return (spread.ci_high - spread.ci_low) / abs(spread.median)


def workload_text(spec: dict[str, Any]) -> str:
    """``builtin service (live_heap 16MiB, warmup 500ms, duration 1500ms)``."""
    workload = spec.get("workload") or {}
    if not isinstance(workload, dict) or not workload:
        return "unknown workload"
    kind = next(iter(workload))
    options = ", ".join(f"{k} {v}" for k, v in workload.items() if k != kind)
    return f"{kind} {workload[kind]}" + (f" ({options})" if options else "")


def container_text(spec: dict[str, Any]) -> str:
    """``cpus 1, memory 256MiB`` as the spec gives the container."""
    container = spec.get("container") or {}
    if not isinstance(container, dict):
        return "-"
    parts = [f"cpus {container['cpus']}" if "cpus" in container else "no CPU limit",
             f"memory {container['memory']}" if "memory" in container else "no memory limit"]
    return ", ".join(parts)


def space_text(spec: dict[str, Any]) -> str:
    """``GOGC 25 to 400 (log scale); GOMEMLIMIT 50% to 95%; GOMAXPROCS one of auto, 1``: the searched space."""
    space = spec.get("space")
    if not isinstance(space, dict) or not space:
        return "nothing searched"
    return "; ".join(f"{name} {_dimension_text(dim)}" for name, dim in space.items())


def _dimension_text(dim: Any) -> str:
    if isinstance(dim, dict):
        scale = " (log scale)" if dim.get("log") else ""
        return f"{dim.get('low', '?')} to {dim.get('high', '?')}{scale}"
    if isinstance(dim, list):
        return f"one of {', '.join(str(v) for v in dim)}" if len(dim) > 1 else (
            f"fixed at {dim[0]}" if dim else "no value")
    return f"fixed at {dim}"
