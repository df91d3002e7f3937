"""How numbers and settings read in a report (shared by the headline, HTML and Markdown)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from orchestrator.definitions import METRICS
from orchestrator.report._analysis import Entry, is_number, trial_kind
from orchestrator.report._effects import OptionEffect
from orchestrator.results import Baseline, Night, RunInfo, Summary
from orchestrator.spec import GO_DEFAULTS, format_setting, format_settings
from orchestrator.stats import PairedRatios, Spread, percent_change
from orchestrator.units import format_mib

GO_DEFAULTS_TEXT = format_settings(GO_DEFAULTS, only=("GOGC", "GOMEMLIMIT"))  # GOGC=100, GOMEMLIMIT=none
LABELS = {
    "gc_cpu_percent": "GC CPU",
    "peak_memory_bytes": "peak memory",
    "peak_heap_bytes": "peak heap",
    "pause_ms_max": "longest GC pause",
    "pause_ms_total": "total GC pause",
    "throughput_ops_per_s": "throughput",
    "latency_p99_ms": "p99 latency",
}


def label(metric: str) -> str:
    """A metric's short human name, e.g. ``GC CPU`` for gc_cpu_percent."""
    return LABELS.get(metric, metric)


def unit(metric: str) -> str:
    return METRICS[metric].unit if metric in METRICS else ""


def number(value: float, digits: int = 3) -> str:
    """A float with about ``digits`` significant digits, no exponent for everyday sizes."""
    if value == 0:
        return "0"
    if float(value).is_integer() and abs(value) < 10 ** 15:
        return f"{int(value):,}" if abs(value) >= 10 ** digits else str(int(value))
    magnitude = abs(value)
    if magnitude >= 10 ** digits:
        return f"{value:,.0f}"
    decimals = max(0, digits - 1 - int(f"{magnitude:e}".split("e")[1]))
    return f"{value:.{decimals}f}"


def metric_value(metric: str, value: Any) -> str:
    """A metric value with its unit: ``30.1%``, ``111.4MiB``, ``45.1 ms``, ``yes``."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not is_number(value):
        return str(value)
    kind = unit(metric)
    if kind == "bytes":
        return format_mib(value)
    if kind == "%":
        return f"{number(value)}%"
    return f"{number(value)} {kind}".strip()


def metric_change(metric: str, value: float) -> str:
    """A signed difference: ``-5.73 points`` for percentages, ``+12.0MiB`` for bytes."""
    sign = "+" if value > 0 else "-" if value < 0 else "\u00b1"
    kind = unit(metric)
    if kind == "%":
        return f"{sign}{number(abs(value))} points"
    if kind == "bytes":
        return f"{sign}{format_mib(abs(value))}"
    return f"{sign}{number(abs(value))} {kind}".strip()


def interval_text(metric: str, spread: Spread) -> str:
    """``range 28.0% to 32.2%`` when the interval is the runs' min..max, else
    ``95% confidence interval 29.1% to 30.8%``: an interval of the median is not the runs' range."""
    low, high = metric_value(metric, spread.ci_low), metric_value(metric, spread.ci_high)
    if spread.is_range:
        return f"range {low} to {high}"
    return f"{spread.ci_coverage:.0%} confidence interval {low} to {high}"


def spread_text(metric: str, spread: Spread | None) -> str:
    """``range 28.0% to 32.2% over 2 runs``, ``95% confidence interval ... over 7 runs`` or ``1 run, no spread``."""
    if spread is None:
        return "spread unknown"
    if spread.n < 2:
        return "1 run, no spread"
    return f"{interval_text(metric, spread)} over {spread.n} runs"


def intervals_name(*spreads: Spread) -> tuple[str, str]:
    """What several spreads' intervals are, to compare them in words, and the confidence to add (if any):
    ``("ranges of the runs", "")`` or ``("confidence intervals of the medians", " (95% confidence or more)")``."""
    if all(s.is_range for s in spreads):
        return "ranges of the runs", ""
    return "confidence intervals of the medians", f" ({min(s.ci_coverage for s in spreads):.0%} confidence or more)"


RESULT_WORDS = {"feasible": "feasible", "infeasible": "broke a constraint", "oom": "OOM-killed",
                "thrashing": "thrashing", "skipped": "skipped", "failed": "failed"}


def result_text(entry: Entry) -> str:
    """A trial table's result cell: ``feasible``, ``OOM-killed``, ``failed (crash)``, ``Go's defaults (oom)``."""
    kind = trial_kind(entry)
    if isinstance(entry, Baseline):
        text = "Go's defaults" + ("" if entry.feasible else ", broke a constraint")
    else:
        text = RESULT_WORDS[kind]
    failed = kind == "failed" or isinstance(entry, Baseline)
    return text + (f" ({entry.outcome})" if failed and entry.outcome not in (None, "ok") else "")


def noise_word(within_noise: bool | None) -> str:
    """The runner-up against the recommendation, in words."""
    return {True: "within noise", False: "clearly worse", None: "noise unknown"}[within_noise]


def trials_text(counts: dict[str, int]) -> str:
    return (f"{counts.get('total', 0)} trials, {counts.get('feasible', 0)} feasible, "
            f"{counts.get('infeasible', 0)} broke a constraint")


def engine_text(info: RunInfo) -> str:
    """``Docker 27.1.1, cgroup v2, 8 host CPUs``."""
    engine = info.engine
    return (f"Docker {engine.docker or '?'}, cgroup v{engine.cgroup or '?'}, "
            f"{engine.host_cpus if engine.host_cpus is not None else '?'} host CPUs")


TREND_HEADERS = ("night", "Go", "workload", "recommended", "objective median [min, max]", "Go's defaults",
                 "verdict")


def trend_rows(nights: Sequence[Night]) -> list[list[str]]:
    """The trend table's cells, one row per night, oldest first."""
    return [[n.date, n.go_version or "-", n.workload_hash or "-", format_settings(n.recommended),
             median_range(n.objective_values), median_range(n.baseline_values), n.verdict] for n in nights]


def median_range(values: Sequence[float]) -> str:
    """``0.312 [0.301, 0.330]``: the median of repeats and their min and max (one value: just it)."""
    if not values:
        return "-"
    ordered = sorted(values)
    middle = f"{statistics.median(ordered):.3g}"
    return middle if len(ordered) == 1 else f"{middle} [{ordered[0]:.3g}, {ordered[-1]:.3g}]"


EFFECTS_NOTE = ("Each line switches one categorical setting and holds everything else. A matched pair is two "
                "measured trials (finished, outcome ok; a broken constraint still counts) whose settings are equal "
                "in every other dimension and differ only in this one. The change is the median over the pairs of "
                "the ratio B / A (each trial at the median of its repeats), as a percent change of B against A "
                "(for GC CPU too: relative, not points); the range is the smallest and largest pair's. A is the "
                "value the space lists first.")


def effect_text(effect: OptionEffect) -> str:
    """``map_keys=int against map_keys=string: peak heap -43.8% (median of 8 matched pairs, range ...)``."""
    name = effect.setting
    title = f"{name}={format_setting(name, effect.value)} against {name}={format_setting(name, effect.reference)}"
    return title + ": " + "; ".join(_ratios_text(m, r) for m, r in effect.metrics.items())


def _ratios_text(metric: str, ratios: PairedRatios) -> str:
    change = f"{label(metric)} {ratios.median_change_percent:+.1f}%"
    if ratios.n == 1:
        return f"{change} (1 matched pair)"
    return (f"{change} (median of {ratios.n} matched pairs, range {percent_change(ratios.min):+.1f}% .. "
            f"{percent_change(ratios.max):+.1f}%)")


VERSION_HEADERS = ("Go version", "built as", "best settings", "objective")


def version_rows(summary: Summary) -> list[list[str]]:
    """One row per Go version a study compared: its best feasible trial."""
    rows = []
    for version, best in (summary.by_go_version or {}).items():
        objective = ", ".join(f"{label(k)} {v:.4g}" for k, v in (best.values or {}).items())
        rows.append([version, best.go_version_built or "-", format_settings(best.params), objective])
    return rows


def analysis_items(analysis: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(text, link or None) lines for the profiles and the escape-analysis summary."""
    items: list[tuple[str, str | None]] = []
    for name, profile in (analysis.get("profiles") or {}).items():
        if name == "note":
            items.append((str(profile), None))
            continue
        for file in profile.get("files", []):
            items.append((f"{name}: {file.rsplit('/', 1)[-1]} (go tool pprof -top {file})", file))
        if profile.get("note"):
            items.append((f"{name}: {profile['note']}", None))
    escape = analysis.get("escape") or {}
    if escape.get("note"):
        items.append((escape["note"], None))
    elif escape:
        kinds = ", ".join(f"{count} {kind}" for kind, count in escape.get("by_kind", {}).items())
        top = ", ".join(f"{f} ({n})" for f, n in escape.get("top_files", [])[:5])
        items.append((f"escape analysis ({escape.get('go')}): {escape.get('sites')} heap sites: {kinds}; "
                      f"most in {top}", escape.get("file")))
    return items
