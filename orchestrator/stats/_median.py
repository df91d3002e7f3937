"""The median of repeats and a distribution-free confidence interval for it.

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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Spread:
        """The inverse of ``to_dict``; ``values`` may be missing (spreads written before it existed)."""
        return cls(**{**data, "values": tuple(data.get("values") or ())})

    @property
    def is_range(self) -> bool:
        """Whether the interval is the whole range of the repeats (always so below 6 repeats)."""
        return self.ci_low == self.min and self.ci_high == self.max

    def overlaps(self, other: Spread) -> bool:
        """Whether the two medians' intervals share a point: their difference is within noise."""
        return intervals_overlap((self.ci_low, self.ci_high), (other.ci_low, other.ci_high))


def intervals_overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether the closed intervals ``a = (low, high)`` and ``b`` share at least one point."""
    return a[0] <= b[1] and b[0] <= a[1]


def median_ci(values: list[float], level: float = CI_LEVEL) -> tuple[float, float, float]:
    """Order-statistic confidence interval of the median: (low, high, coverage)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 1:
        return ordered[0], ordered[0], 0.0
    best = (ordered[0], ordered[-1], coverage(n, 1))
    for k in range(2, n // 2 + 1):
        covered = coverage(n, k)
        if covered < level:
            break
        best = (ordered[k - 1], ordered[n - k], covered)
    return best


def spread(values: list[float]) -> Spread:
    low, high, covered = median_ci(values)
    return Spread(len(values), statistics.median(values), min(values), max(values), low, high, covered,
                  tuple(values))


def coverage(n: int, k: int) -> float:
    """P(x_(k) <= median <= x_(n+1-k)) = 1 - 2 * P(Binomial(n, 1/2) <= k - 1)."""
    tail = sum(math.comb(n, i) for i in range(k)) / 2**n
    return 1.0 - 2.0 * tail
