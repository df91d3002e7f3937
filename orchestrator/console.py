"""Presentation for the terminal: tables of metrics and summaries (no measurement happens here)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from orchestrator.metrics import METRICS
from orchestrator.units import format_size

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def format_value(name: str, value: Any) -> str:
    """A metric value with its unit, readable by a person."""
    if value is None:
        return "-"
    unit = METRICS[name].unit if name in METRICS else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if unit == "bytes":
        return f"{format_size(value)} ({int(value)} B)"
    if isinstance(value, float):
        return f"{value:.3f} {unit}".strip() if abs(value) < 100 else f"{value:.1f} {unit}".strip()
    return f"{value} {unit}".strip()


def trial_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"trial {result.get('run_id', '')}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result["params"].items():
        table.add_row(f"[bold]{key}[/bold]", "auto" if value is None else str(value))
    for name in METRICS:
        if name in result:
            table.add_row(name, format_value(name, result[name]))
    for extra in ("peak_memory_source", "effective_cpus", "gomaxprocs", "go_version", "window_complete"):
        if extra in result:
            table.add_row(extra, str(result[extra]))
    if result.get("oom_signals"):
        table.add_row("oom_signals", "; ".join(result["oom_signals"]))
    return table


def key_value_table(title: str, data: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("key")
    table.add_column("value", justify="right")
    for key, value in data.items():
        table.add_row(key, "-" if value is None else str(value))
    return table
