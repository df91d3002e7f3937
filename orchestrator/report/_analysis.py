"""Small pure computations the headline, warnings, snippets and plots share."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from orchestrator.report._data import ReportData
from orchestrator.spec import parse_constraint
from orchestrator.stats import intervals_overlap, pareto_front

NEIGHBOUR_TOLERANCE = 0.25  # settings within +-25% of the recommendation's count as "close"
_GO_VERSION = re.compile(r"(?:go)?(\d+)\.(\d+)(?:\.(\d+))?")


def parse_go_version(text: str | None) -> tuple[int, int] | None:
    """``go1.27.3`` / ``1.24`` -> (1, 27); None when unreadable."""
    match = _GO_VERSION.search(text or "")
    return (int(match[1]), int(match[2])) if match else None


def default_gomaxprocs(go_version: str | None, cpus: float | None, host_cpus: int | None) -> int | None:
    """What GOMAXPROCS defaults to in a container: Go 1.25+ honours the CPU quota, rounded up, at least 2
    (never more than the host's CPUs); older Go uses the host's CPU count and ignores the quota."""
    version = parse_go_version(go_version)
    if version is None or host_cpus is None:
        return None
    if version < (1, 25) or cpus is None:
        return host_cpus
    return min(host_cpus, max(2, math.ceil(cpus)))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def gomemlimit_percent(params: dict[str, Any]) -> float | None:
    """GOMEMLIMIT as a share of the container memory, in percent."""
    limit, memory = params.get("GOMEMLIMIT"), params.get("memory")
    if is_number(limit) and is_number(memory) and memory > 0:
        return 100.0 * limit / memory
    return None


def memory_bound(data: ReportData) -> tuple[float, str] | None:
    """The tightest ``peak_memory_bytes <=`` (or ``<``) constraint: its bytes and its text."""
    bounds = []
    for text in data.summary.get("constraints") or []:
        try:
            constraint = parse_constraint(text)
            if constraint.metric != "peak_memory_bytes" or constraint.op not in ("<=", "<"):
                continue
            threshold = constraint.threshold(data.baseline.get("metrics"))
        except (ValueError, TypeError):
            continue
        if is_number(threshold):
            bounds.append((float(threshold), str(text)))
    return min(bounds) if bounds else None


def _close(a: Any, b: Any, tolerance: float) -> bool:
    if is_number(a) and is_number(b):
        return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12)
    return a == b or (a in (None, "auto", "none") and b in (None, "auto", "none"))


def is_neighbour(params: dict[str, Any], other: dict[str, Any], tolerance: float = NEIGHBOUR_TOLERANCE) -> bool:
    """Whether ``other``'s GOGC and GOMEMLIMIT (and any other setting) are within ``tolerance`` of ``params``."""
    keys = set(params) | set(other)
    return all(_close(params.get(k), other.get(k), tolerance) for k in keys)


def neighbours(data: ReportData, params: dict[str, Any], exclude: Any = None,
               tolerance: float = NEIGHBOUR_TOLERANCE) -> list[dict[str, Any]]:
    """The trials whose settings are close to ``params`` (the trial numbered ``exclude`` left out)."""
    return [t for t in data.trials if t.get("trial") != exclude and is_neighbour(params, t.get("params") or {},
                                                                              tolerance)]


def pareto_2d(points: Sequence[tuple[float, float, Any]]) -> list[tuple[float, float, Any]]:
    """The points no other point beats in both coordinates (both minimised), sorted by x."""
    front = pareto_front(points, lambda p: p[:2], ("minimize", "minimize"))
    return sorted(front, key=lambda p: (p[0], p[1]))


def overlaps(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool | None:
    """Whether two spreads' intervals overlap; None when either is missing."""
    if not a or not b or not all(is_number(s.get(k)) for s in (a, b) for k in ("ci_low", "ci_high")):
        return None
    return intervals_overlap((a["ci_low"], a["ci_high"]), (b["ci_low"], b["ci_high"]))


def repeats_of(entry: dict[str, Any] | None, metric: str | None = None) -> int | None:
    """How many runs a configuration's medians come from."""
    if not entry:
        return None
    repeats = (entry.get("metrics") or {}).get("repeats")
    if is_number(repeats):
        return int(repeats)
    spread = (entry.get("spread") or {}).get(metric or "", {})
    return int(spread["n"]) if is_number(spread.get("n")) else None

