"""Statistics over repeats: the median and a distribution-free confidence interval for it.

With n repeats, the interval [x_(k), x_(n+1-k)] between two order statistics covers the true median
with probability 1 - 2 * P(Binomial(n, 1/2) < k), whatever the distribution of the measurements.
We take the narrowest such interval whose coverage is at least 95%; with fewer than 6 repeats none
reaches 95%, so the interval is [min, max] and its real coverage (e.g. 75% for n=3) is reported.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

from orchestrator.metrics import METRICS

CI_LEVEL = 0.95


@dataclass(frozen=True)
class Spread:
    """How the repeats of one metric scattered around their median."""

    n: int
    median: float
    min: float
    max: float
    ci_low: float
    ci_high: float
    ci_coverage: float  # the interval's real coverage probability (>= 0.95 when n >= 6)
    values: tuple[float, ...] = ()  # the repeats themselves, for later significance tests

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "values": list(self.values)}


def median_ci(values: list[float], level: float = CI_LEVEL) -> tuple[float, float, float]:
    """Order-statistic confidence interval of the median: (low, high, coverage)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 1:
        return ordered[0], ordered[0], 0.0
    best = (ordered[0], ordered[-1], _coverage(n, 1))
    for k in range(2, n // 2 + 1):
        coverage = _coverage(n, k)
        if coverage < level:
            break
        best = (ordered[k - 1], ordered[n - k], coverage)
    return best


def spread(values: list[float]) -> Spread:
    low, high, coverage = median_ci(values)
    return Spread(len(values), statistics.median(values), min(values), max(values), low, high, coverage,
                  tuple(values))


def aggregate(repeats: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """Median of every numeric metric over the repeats, and the spread of each measured one.

    Yes/no metrics (oom_killed, timed_out, ...) are true when any repeat was; others take the
    first repeat's value.
    """
    merged: dict[str, Any] = {}
    spreads: dict[str, dict[str, float]] = {}
    for key in dict.fromkeys(k for r in repeats for k in r):
        values = [r.get(key) for r in repeats]
        numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)
                   and math.isfinite(v)]
        if any(isinstance(v, bool) for v in values):
            merged[key] = any(v is True for v in values)
        elif numbers and len(numbers) == len([v for v in values if v is not None]):
            result = spread(numbers)
            merged[key] = result.median
            if key in METRICS and key != "exit_code":
                spreads[key] = result.to_dict()
        else:
            merged[key] = next((v for v in values if v is not None), None)
    return merged, spreads


def _coverage(n: int, k: int) -> float:
    """P(x_(k) <= median <= x_(n+1-k)) = 1 - 2 * P(Binomial(n, 1/2) <= k - 1)."""
    tail = sum(math.comb(n, i) for i in range(k)) / 2**n
    return 1.0 - 2.0 * tail
