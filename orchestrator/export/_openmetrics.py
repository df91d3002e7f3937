"""An experiment's latest night as OpenMetrics text, for a Prometheus textfile collector.

One gauge family per figure, labelled by experiment and objective; a collector scrapes the file the
nightly job rewrites. Timestamps are left out (textfile collectors refuse them); the night's date is a
gauge of its own.
"""

from __future__ import annotations

import statistics
from datetime import datetime

from orchestrator.results import Night

_FAMILIES = (
    ("gctune_objective", "Median of the objective over the night's repeats at the recommendation."),
    ("gctune_baseline_objective", "Median of the objective over the night's repeats at Go's defaults."),
    ("gctune_peak_memory_bytes", "Median peak container memory at the recommendation."),
    ("gctune_regression", "1 when the night's verdict is a regression, else 0."),
    ("gctune_feasible_trials", "Feasible trials of the night's study."),
    ("gctune_night_timestamp_seconds", "When the night ran, seconds since the Unix epoch."),
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def openmetrics_text(nights: list[Night]) -> str:
    """The latest night of each experiment in ``nights`` (oldest first), ending in ``# EOF``."""
    latest = {night.experiment: night for night in nights}
    out: list[str] = []
    for name, help_text in _FAMILIES:
        out += [f"# TYPE {name} gauge", f"# HELP {name} {help_text}"]
        for night in latest.values():
            value = _value(name, night)
            if value is not None:
                labels = f'experiment="{_escape(night.experiment)}",objective="{_escape(night.objective)}"'
                out.append(f"{name}{{{labels}}} {value:.10g}")
    return "\n".join(out + ["# EOF"]) + "\n"


def _value(family: str, night: Night) -> float | None:
    if family == "gctune_objective":
        return statistics.median(night.objective_values) if night.objective_values else None
    if family == "gctune_baseline_objective":
        return statistics.median(night.baseline_values) if night.baseline_values else None
    if family == "gctune_peak_memory_bytes":
        return night.peak_memory_median
    if family == "gctune_regression":
        return float(night.regression)
    if family == "gctune_feasible_trials":
        return float(night.feasible_trials)
    try:
        return datetime.strptime(night.date, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return None
