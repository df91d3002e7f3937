"""Small pure computations the headline, warnings, snippets and plots share."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from orchestrator.goversions import find_go_version
from orchestrator.report._data import ReportData
from orchestrator.results import Baseline, Measured, Recommendation, TrialRecord, is_number
from orchestrator.spec import parse_constraint
from orchestrator.stats import Spread

NEIGHBOUR_TOLERANCE = 0.25  # settings within +-25% of the recommendation's count as "close"
UNSET = (None, "auto", "none")  # how a setting left at its default is recorded
Entry = Baseline | TrialRecord | Recommendation  # a measured configuration judged against the constraints



def go_release(text: str | None) -> tuple[int, int] | None:
    """``go1.27.3`` / ``1.24`` -> (1, 27); None when unreadable."""
    version = find_go_version(text)
    return None if version is None else version.release


def default_gomaxprocs(go_version: str | None, cpus: float | None, host_cpus: int | None) -> int | None:
    """What GOMAXPROCS defaults to in a container: Go 1.25+ honours the CPU quota, rounded up, at least 2
    (never more than the host's CPUs); older Go uses the host's CPU count and ignores the quota."""
    release = go_release(go_version)
    if release is None or host_cpus is None:
        return None
    if release < (1, 25) or cpus is None:
        return host_cpus
    return min(host_cpus, max(2, math.ceil(cpus)))


def memory_bound(data: ReportData) -> tuple[float, str] | None:
    """The tightest ``peak_memory_bytes <=`` (or ``<``) constraint: its bytes and its text."""
    bounds = []
    for text in data.summary.constraints:
        try:
            constraint = parse_constraint(text)
            if constraint.metric != "peak_memory_bytes" or constraint.op not in ("<=", "<"):
                continue
            threshold = constraint.threshold(data.baseline.metrics)
        except (ValueError, TypeError):
            continue
        if is_number(threshold):
            bounds.append((float(threshold), str(text)))
    return min(bounds) if bounds else None


def spread_of(entry: Measured | None, metric: str) -> Spread | None:
    """The spread of a configuration's repeats in one metric, when it ran more than once."""
    spread = None if entry is None else entry.spread.get(metric)
    return spread if spread is not None and spread.n > 1 else None


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if is_number(a) and is_number(b):
        return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12)
    return a == b or (a in UNSET and b in UNSET)


def is_neighbour(params: Mapping[str, Any], other: Mapping[str, Any], tolerance: float = NEIGHBOUR_TOLERANCE) -> bool:
    """Whether ``other``'s GOGC and GOMEMLIMIT (and any other setting) are within ``tolerance`` of ``params``."""
    keys = set(params) | set(other)
    return all(_close(params.get(k), other.get(k), tolerance) for k in keys)


def neighbours(data: ReportData, params: Mapping[str, Any], exclude: Any = None,
               tolerance: float = NEIGHBOUR_TOLERANCE) -> list[TrialRecord]:
    """The trials whose settings are close to ``params`` (the trial numbered ``exclude`` left out)."""
    return [t for t in data.trials if t.trial != exclude and is_neighbour(params, t.params, tolerance)]


def trial_kind(entry: Entry) -> str:
    """feasible | infeasible | oom | thrashing | skipped | failed (Go's defaults count as completed)."""
    outcome = entry.outcome
    if outcome in ("oom", "thrashing", "skipped"):
        return str(outcome)
    state = entry.state if isinstance(entry, TrialRecord) else "COMPLETE"
    if state != "COMPLETE" or outcome not in (None, "ok"):
        return "failed"
    return "feasible" if entry.feasible else "infeasible"
