"""Is tonight worse than the last comparable night? A one-sided Mann-Whitney U test on the repeats.

The test compares the two samples of repeats without assuming a distribution (as benchstat does).
The p-value is exact: every way of splitting the pooled values into two groups of the observed
sizes is enumerated, so ties are handled exactly. Past 20,000 splits a normal approximation with
tie correction is used (past 8 + 8 repeats). A regression needs both: a worsening of the median larger than the
threshold AND p < alpha. With fewer than 4 repeats on a side (3 against 3 gives at best p = 1/20),
the comparison says it cannot judge at the usual levels.
"""

from __future__ import annotations

import itertools
import math
import statistics
from dataclasses import asdict, dataclass
from typing import Any

MIN_REPEATS = 4
_EXACT_LIMIT = 20_000


@dataclass(frozen=True)
class Comparison:
    """Tonight's repeats against the previous night's, for one metric."""

    metric: str
    previous_median: float
    current_median: float
    change_percent: float      # positive = worse, in the metric's bad direction
    p_value: float | None      # one-sided, H1: tonight is worse; None when it cannot be judged
    regression: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mann_whitney_greater(current: list[float], previous: list[float]) -> float:
    """One-sided p-value of H1 "current tends to be larger than previous"."""
    observed = _u_statistic(current, previous)
    pooled = current + previous
    n = len(current)
    splits = math.comb(len(pooled), n)
    if splits <= _EXACT_LIMIT:
        count = sum(1 for idx in itertools.combinations(range(len(pooled)), n)
                    if _u_statistic([pooled[i] for i in idx], [pooled[i] for i in range(len(pooled)) if i not in idx])
                    >= observed - 1e-9)
        return count / splits
    return _normal_p(observed, current, previous)


def compare(metric: str, previous: list[float], current: list[float], direction: str,
            threshold_percent: float, alpha: float) -> Comparison:
    """Judge one metric; for a metric to maximise, lower is worse."""
    sign = 1.0 if direction == "minimize" else -1.0
    prev_median, cur_median = statistics.median(previous), statistics.median(current)
    change = 100.0 * sign * (cur_median - prev_median) / abs(prev_median) if prev_median else 0.0
    if min(len(previous), len(current)) < MIN_REPEATS:
        return Comparison(metric, prev_median, cur_median, change, None, False,
                          f"needs at least {MIN_REPEATS} repeats per night to test significance")
    p = mann_whitney_greater([sign * v for v in current], [sign * v for v in previous])
    return Comparison(metric, prev_median, cur_median, change, p, change > threshold_percent and p < alpha)


def _u_statistic(xs: list[float], ys: list[float]) -> float:
    return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in xs for y in ys)


def _normal_p(u: float, xs: list[float], ys: list[float]) -> float:
    n, m = len(xs), len(ys)
    pooled = sorted(xs + ys)
    ties = sum(c**3 - c for c in (pooled.count(v) for v in set(pooled)))
    variance = n * m / 12 * ((n + m + 1) - ties / ((n + m) * (n + m - 1)))
    if variance <= 0:
        return 1.0
    z = (u - n * m / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))
