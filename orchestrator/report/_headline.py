"""The headline: what to set, what to expect, what it saves, and how sure we are."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.report._analysis import is_number, overlaps, repeats_of
from orchestrator.report._data import ReportData
from orchestrator.report._format import label, metric_change, metric_value, mib, setting_value, unit

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
    low: float | None
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
    status = "no_feasible" if rec is None else "defaults" if rec.get("trial") == "baseline" else "tuned"
    params = rec.get("params") if rec else None
    return Headline(
        experiment=data.experiment,
        run_id=data.run_id,
        finished=bool(summary.get("finished")),
        status=status,
        verdict=_verdict(data, status),
        recommended_trial=rec.get("trial") if rec else None,
        rule=rec.get("rule") if rec else None,
        params=params,
        settings={k: setting_value(k, v, params) for k, v in (params or {}).items()},
        expected=_expected(data),
        saving=summary.get("saving"),
        saving_text=_saving_text(data),
        headroom=_headroom(data),
        headroom_text=_headroom_text(data),
        go_version=data.go_version,
        workload=workload_text(data.spec),
        container=container_text(data.spec),
        trial_counts=dict(summary.get("trial_counts") or {}),
        confidence=_confidence(data),
        runner_up=summary.get("runner_up"),
        nearest_miss=(summary.get("no_feasible") or {}).get("nearest_miss"),
    )


def _verdict(data: ReportData, status: str) -> str:
    rec = data.recommended
    if rec is None:
        miss = (data.summary.get("no_feasible") or {}).get("nearest_miss")
        text = "No configuration met every constraint, so there is no recommendation."
        if miss:
            text += (f" The nearest miss was trial {miss['trial']}, which violated "
                     f"{', '.join(miss.get('violated') or {}) or 'a constraint'}.")
        return text
    params = rec.get("params") or {}
    if status == "defaults":
        return (f"Keep Go's defaults (GOGC=100, no GOMEMLIMIT): {rec.get('rule') or 'no trial beat them'}. "
                "The snippets below pin them explicitly.")
    parts = [f"GOGC={setting_value('GOGC', params.get('GOGC'))}"]
    if params.get("GOMEMLIMIT") is not None:
        parts.append(f"GOMEMLIMIT={setting_value('GOMEMLIMIT', params['GOMEMLIMIT'], params)}")
    if params.get("GOMAXPROCS") not in (None, "auto"):
        parts.append(f"GOMAXPROCS={params['GOMAXPROCS']}")
    return f"Set {' and '.join(parts)} (trial {rec.get('trial')}, {rec.get('rule')})."


def _metrics_to_show(data: ReportData) -> list[str]:
    names = [m for m, _ in data.objectives]
    return names + [m for m in HEADLINE_METRICS if m not in names]


def _expected(data: ReportData) -> list[Expected]:
    rec = data.recommended
    if rec is None:
        return []
    result = []
    base_metrics = data.baseline.get("metrics") or {}
    for metric in _metrics_to_show(data):
        value = (rec.get("metrics") or {}).get(metric)
        spread = (rec.get("spread") or {}).get(metric) or {}
        base = base_metrics.get(metric)
        change = value - base if is_number(value) and is_number(base) else None
        relative = change / abs(base) if change is not None and base else None
        text = metric_value(metric, value)
        if is_number(spread.get("n")) and spread["n"] > 1:
            text += (f" (runs ranged {metric_value(metric, spread.get('ci_low'))} to "
                     f"{metric_value(metric, spread.get('ci_high'))}, {int(spread['n'])} runs)")
        elif is_number(value):
            text += " (1 run, no spread)"
        if change is not None and rec.get("trial") != "baseline":
            outcome = data.baseline.get("outcome")
            failed = "" if outcome in (None, "ok") else f" ({OUTCOME_SHORT.get(outcome, 'failed')})"
            text += f"; Go's defaults: {metric_value(metric, base)}{failed}, change {metric_change(metric, change)}"
            text += f" ({relative:+.0%})" if relative is not None else ""
        result.append(Expected(metric, unit(metric), value if is_number(value) else None,
                               spread.get("ci_low"), spread.get("ci_high"),
                               int(spread["n"]) if is_number(spread.get("n")) else None,
                               base if is_number(base) else None, change, relative, text))
    return result


def _saving_text(data: ReportData) -> str | None:
    saving = data.summary.get("saving")
    rec = data.recommended
    base = data.baseline
    if rec is not None and not saving and base.get("outcome") not in (None, "ok"):
        return f"No saving can be computed: Go's defaults {OUTCOME_WORDS.get(base['outcome'], 'failed')}."
    if not saving or rec is None or rec.get("trial") == "baseline":
        return None
    metric = saving["metric"]
    absolute, relative = saving.get("absolute"), saving.get("relative")
    if not is_number(absolute):
        return None
    rel = f" ({abs(relative):.0%})" if is_number(relative) else ""
    base, value = metric_value(metric, saving.get("baseline")), metric_value(metric, saving.get("recommended"))
    amount = metric_change(metric, abs(absolute)).lstrip("+")
    if absolute > 0:
        return f"Saves {amount} of {label(metric)}{rel} against Go's defaults: {base} -> {value}."
    if absolute < 0:
        trade = [e for e in _expected(data) if e.metric != metric and e.metric in dict(data.objectives)
                 and e.change is not None]
        gains = ", ".join(f"{label(e.metric)} {metric_change(e.metric, e.change)}"
                          + (f" ({e.change_relative:+.0%})" if e.change_relative is not None else "") for e in trade)
        return (f"Costs {amount} more {label(metric)}{rel} than Go's defaults ({base} -> {value}), "
                + (f"in exchange for {gains}." if gains else "to meet the constraints."))
    return f"Same {label(metric)} as Go's defaults ({value})."


def _headroom(data: ReportData) -> dict[str, Any] | None:
    rec = data.recommended
    headroom = data.summary.get("headroom")
    if rec is None or not headroom:
        return headroom
    memory = headroom.get("memory_limit_bytes")
    peak = (rec.get("metrics") or {}).get("peak_memory_bytes")
    extra = {"peak_memory_bytes": peak if is_number(peak) else None,
             "peak_headroom_percent": 100 * (memory - peak) / memory if is_number(peak) and memory else None}
    return {**headroom, **extra}


def _headroom_text(data: ReportData) -> str | None:
    headroom = _headroom(data)
    if not headroom or not is_number(headroom.get("memory_limit_bytes")):
        return None
    memory = headroom["memory_limit_bytes"]
    parts = []
    if is_number(headroom.get("peak_headroom_bytes")):
        parts.append(f"peak memory stays {mib(headroom['peak_headroom_bytes'])} "
                     f"({headroom['peak_headroom_percent']:.0f}%) below the {mib(memory)} container limit")
    if is_number(headroom.get("gomemlimit_headroom_bytes")):
        parts.append(f"GOMEMLIMIT sits {mib(headroom['gomemlimit_headroom_bytes'])} "
                     f"({headroom['gomemlimit_headroom_percent']:.0f}%) below it")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:] if parts else None


def _confidence(data: ReportData) -> Confidence:
    rec = data.recommended
    if rec is None:
        return Confidence("none", None, None, None, None, ["there is no recommendation"])
    metric, direction = data.objectives[0] if data.objectives else ("gc_cpu_percent", "minimize")
    ours = (rec.get("spread") or {}).get(metric)
    base = (data.baseline.get("spread") or {}).get(metric)
    repeats = repeats_of(rec, metric)
    width = _relative_width(ours) if repeats and repeats > 1 else None
    better = None
    if rec.get("trial") != "baseline" and repeats and repeats > 1 and overlaps(ours, base) is False \
            and is_number(ours.get("median")) and is_number(base.get("median")):
        better = (ours["median"] < base["median"]) == (direction == "minimize")
    separated = None if better is None and (rec.get("trial") == "baseline" or overlaps(ours, base) is None) \
        else better is True
    runner = data.summary.get("runner_up") or {}
    within = runner.get("within_noise")
    reasons = [f"{repeats} runs per configuration" if repeats and repeats > 1
               else "each configuration ran once, so its spread is unknown"]
    if width is not None:
        reasons.append(f"{label(metric)} varied by {width:.0%} of its median between runs")
    if better is True:
        reasons.append(f"every run of the recommendation beat every run of Go's defaults in {label(metric)}")
    elif better is False:
        reasons.append(f"every run of the recommendation was worse than Go's defaults in {label(metric)}, "
                       "a trade-off for the other objectives")
    elif rec.get("trial") != "baseline" and repeats and repeats > 1 and overlaps(ours, base):
        reasons.append(f"the runs of the recommendation and of Go's defaults overlap in {label(metric)}: "
                       "the difference may be noise")
    if within:
        reasons.append(f"the runner-up (trial {runner.get('trial')}) is within noise of it")
    elif within is False:
        reasons.append(f"the runner-up (trial {runner.get('trial')}) is clearly worse")
    noisy_saving = rec.get("trial") != "baseline" and bool(overlaps(ours, base)) and len(data.objectives) == 1
    if not repeats or repeats < 2 or noisy_saving:
        level = "low"
    elif repeats >= 3 and not within and (width is None or width <= WIDE_SPREAD):
        level = "high"
    else:
        level = "medium"
    return Confidence(level, repeats, width, separated, within, reasons)


def _relative_width(spread: dict[str, Any] | None) -> float | None:
    if not spread or not all(is_number(spread.get(k)) for k in ("ci_low", "ci_high", "median")) \
            or not spread["median"]:
        return None
    return (spread["ci_high"] - spread["ci_low"]) / abs(spread["median"])


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
