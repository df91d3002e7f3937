"""How numbers and settings read in a report (shared by the headline, HTML and Markdown)."""

from __future__ import annotations

import statistics

from typing import Any

from orchestrator.definitions import METRICS
from orchestrator.report._analysis import gomemlimit_percent, is_number

MIB = 2**20
SETTING_ORDER = ("GOGC", "GOMEMLIMIT", "GOMAXPROCS", "cpus", "memory")
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


def mib(num_bytes: float) -> str:
    """Bytes in MiB, one decimal: ``197.4MiB``."""
    value = num_bytes / MIB
    return f"{value:.0f}MiB" if float(value).is_integer() else f"{value:.1f}MiB"


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
        return mib(value)
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
        return f"{sign}{mib(abs(value))}"
    return f"{sign}{number(abs(value))} {kind}".strip()


def spread_text(metric: str, spread: dict[str, Any] | None) -> str:
    """``range 28.0%-32.2% over 2 runs`` or ``1 run, no spread``."""
    if not spread or not is_number(spread.get("n")):
        return "spread unknown"
    n = int(spread["n"])
    if n < 2:
        return "1 run, no spread"
    low, high = metric_value(metric, spread.get("ci_low")), metric_value(metric, spread.get("ci_high"))
    coverage = spread.get("ci_coverage")
    interval = "range" if spread.get("ci_low") == spread.get("min") and spread.get("ci_high") == spread.get("max") \
        else "interval"
    cover = f", {coverage:.0%} confidence" if is_number(coverage) else ""
    return f"{interval} {low} to {high} over {n} runs{cover}"


def setting_value(name: str, value: Any, params: dict[str, Any] | None = None) -> str:
    """One setting as a person reads it: ``197.4MiB (77.1% of memory)``, ``auto``, ``none``."""
    if value is None:
        return {"GOMEMLIMIT": "none (Go default)", "GOMAXPROCS": "auto", "cpus": "no limit",
                "memory": "no limit"}.get(name, "-")
    if name == "GOMEMLIMIT" and is_number(value):
        share = gomemlimit_percent(params or {})
        return mib(value) + (f" ({share:.1f}% of memory)" if share is not None else "")
    if name == "memory" and is_number(value):
        return mib(value)
    if name == "cpus" and is_number(value):
        return f"{value:g}"
    return str(value)


def settings_text(params: dict[str, Any] | None, only: tuple[str, ...] = SETTING_ORDER) -> str:
    """``GOGC=150, GOMEMLIMIT=197.4MiB (77.1% of memory), cpus=1, memory=256MiB``."""
    if not params:
        return "-"
    names = [n for n in SETTING_ORDER if n in params and n in only] + [n for n in params if n not in SETTING_ORDER]
    return ", ".join(f"{n}={setting_value(n, params.get(n), params)}" for n in names)


TREND_HEADERS = ("night", "Go", "workload", "recommended", "objective median [min, max]", "Go's defaults",
                 "verdict")


def trend_rows(nights: list[dict[str, Any]]) -> list[list[str]]:
    """The trend table's cells, one row per night, oldest first."""
    return [[n["date"], n.get("go_version") or "-", n.get("workload_hash") or "-",
             settings_text(n["recommended"]) if n.get("recommended") else "-",
             _median_range(n["objective_values"]), _median_range(n["baseline_values"]), n["verdict"]]
            for n in nights]


def _median_range(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{statistics.median(ordered):.3g} [{ordered[0]:.3g}, {ordered[-1]:.3g}]"


VERSION_HEADERS = ("Go version", "built as", "best settings", "objective")


def version_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per Go version a study compared: its best feasible trial."""
    rows = []
    for version, entry in (summary.get("by_go_version") or {}).items():
        values = entry.get("values") or {}
        objective = ", ".join(f"{label(k)} {v:.4g}" for k, v in values.items())
        rows.append([version, entry.get("go_version_built") or "-", settings_text(entry.get("params")), objective])
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
