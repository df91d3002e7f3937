"""How much one sample of repeats is shifted from another: the Hodges-Lehmann estimate and its interval.

The estimate is the median of every pairwise difference x - y. Its distribution-free interval (Moses)
is [d_(k), d_(N+1-k)] over the N = n*m sorted differences, where k comes from the exact null
distribution of the Mann-Whitney U statistic: it covers the true shift with probability
1 - 2 * P(U <= k - 1), assuming only that the two samples differ by a shift. We take the narrowest
such interval with coverage >= 95%; when none reaches it (3 against 3 repeats cover 90% at most), the
whole range of differences and its real coverage are reported, as ``median_ci`` does for one sample.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from functools import lru_cache

from orchestrator.stats._median import CI_LEVEL


@dataclass(frozen=True)
class Shift:
    """x - y: the Hodges-Lehmann estimate, its interval and that interval's real coverage."""

    estimate: float
    low: float
    high: float
    coverage: float


def shift(xs: list[float], ys: list[float], level: float = CI_LEVEL) -> Shift:
    """The shift of ``xs`` from ``ys`` (positive: xs tend to be larger)."""
    if not xs or not ys:
        raise ValueError("a shift needs at least one value on each side")
    diffs = sorted(x - y for x in xs for y in ys)
    n, m, total = len(xs), len(ys), len(diffs)
    best = (diffs[0], diffs[-1], _coverage(n, m, 1))
    for k in range(2, total // 2 + 1):
        covered = _coverage(n, m, k)
        if covered < level:
            break
        best = (diffs[k - 1], diffs[total - k], covered)
    return Shift(statistics.median(diffs), *best)


def _coverage(n: int, m: int, k: int) -> float:
    """1 - 2 * P(U <= k - 1) for U of n against m values without ties."""
    return 1.0 - 2.0 * sum(_u_count(n, m, u) for u in range(k)) / math.comb(n + m, n)


@lru_cache(maxsize=4096)
def _u_count(n: int, m: int, u: int) -> int:
    """How many of the C(n+m, n) splits give U = u (the recursion on who holds the largest value)."""
    if u < 0:
        return 0
    if n == 0 or m == 0:
        return int(u == 0)
    return _u_count(n - 1, m, u - m) + _u_count(n, m - 1, u)
