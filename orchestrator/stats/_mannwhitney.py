"""A one-sided Mann-Whitney U test: does one sample of repeats tend to be larger than another?

The test compares the two samples without assuming a distribution (as benchstat does). The p-value
is exact: every way of splitting the pooled values into two groups of the observed sizes is
enumerated, so ties are handled exactly. Past 20,000 splits (past 8 + 8 repeats) a normal
approximation with tie and continuity correction is used instead.
"""

from __future__ import annotations

import itertools
import math

EXACT_LIMIT = 20_000  # the most splits enumerated for an exact p-value


def mann_whitney_greater(current: list[float], previous: list[float]) -> float:
    """One-sided p-value of H1 "current tends to be larger than previous"."""
    observed = u_statistic(current, previous)
    pooled = current + previous
    n = len(current)
    splits = math.comb(len(pooled), n)
    if splits > EXACT_LIMIT:
        return _normal_p(observed, current, previous)
    count = 0
    for chosen in itertools.combinations(range(len(pooled)), n):
        picked = set(chosen)
        group = [pooled[i] for i in chosen]
        rest = [v for i, v in enumerate(pooled) if i not in picked]
        if u_statistic(group, rest) >= observed - 1e-9:  # tolerate float sums of halves
            count += 1
    return count / splits


def u_statistic(xs: list[float], ys: list[float]) -> float:
    """U of ``xs``: the pairs where x beats y, a tie counting one half."""
    return sum(1.0 if x > y else 0.5 if x == y else 0.0 for x in xs for y in ys)


def _normal_p(u: float, xs: list[float], ys: list[float]) -> float:
    """Upper-tail p of U under the normal approximation, with tie and continuity correction."""
    n, m = len(xs), len(ys)
    pooled = xs + ys
    ties = sum(c**3 - c for c in (pooled.count(v) for v in set(pooled)))
    variance = n * m / 12 * ((n + m + 1) - ties / ((n + m) * (n + m - 1)))
    if variance <= 0:  # every value equal: no evidence either way
        return 1.0
    z = (u - n * m / 2 - 0.5) / math.sqrt(variance)
    return 0.5 * math.erfc(z / math.sqrt(2))
