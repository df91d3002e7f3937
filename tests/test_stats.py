"""``orchestrator.stats``: the median's interval, the Mann-Whitney test and Pareto fronts, cross-checked with SciPy."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import numpy as np
import pytest
import scipy.stats

from orchestrator.stats import (
    CI_LEVEL, EXACT_LIMIT, Spread, coverage, dominates, intervals_overlap, knee, mann_whitney_greater, median_ci,
    pareto_front, spread, u_statistic)


def samples(seed: int, n: int, decimals: int = 1, shift: float = 0.0) -> list[float]:
    """Rounded normal draws: rounding to one decimal makes ties common, as in real repeats."""
    rng = random.Random(seed)
    return [round(rng.gauss(10.0 + shift, 1.0), decimals) for _ in range(n)]


# --- Spread ---------------------------------------------------------------------------------------------

def test_spread_to_dict_keeps_the_summary_json_format():
    values = [3.0, 1.0, 2.0, 5.0]
    data = spread(values).to_dict()
    assert list(data) == ["n", "median", "min", "max", "ci_low", "ci_high", "ci_coverage", "values"]
    assert data["values"] == values and isinstance(data["values"], list)  # JSON has no tuples
    assert (data["n"], data["median"], data["min"], data["max"]) == (4, statistics.median(values), 1.0, 5.0)


def test_spread_from_dict_is_the_inverse_and_tolerates_a_missing_values_list():
    original = spread([4.0, 1.0, 2.0, 8.0, 9.0, 3.0, 7.0])
    assert Spread.from_dict(original.to_dict()) == original
    old = {k: v for k, v in original.to_dict().items() if k != "values"}  # summaries before values existed
    restored = Spread.from_dict(old)
    assert restored.values == () and restored.ci_low == original.ci_low and restored.n == original.n


@pytest.mark.parametrize("a, b, expected", [
    ((1.0, 2.0), (3.0, 4.0), False),
    ((1.0, 3.0), (2.0, 4.0), True),
    ((1.0, 2.0), (2.0, 3.0), True),   # closed intervals: a shared end point overlaps
    ((1.0, 4.0), (2.0, 3.0), True),   # one inside the other
    ((2.0, 2.0), (2.0, 2.0), True),
])
def test_intervals_overlap_on_closed_intervals_both_ways(a, b, expected):
    assert intervals_overlap(a, b) is expected and intervals_overlap(b, a) is expected


def test_spread_overlaps_compares_the_confidence_intervals_not_the_ranges():
    def made(low: float, high: float) -> Spread:
        return Spread(n=8, median=(low + high) / 2, min=low - 10, max=high + 10, ci_low=low, ci_high=high,
                      ci_coverage=0.99)

    assert not made(1.0, 2.0).overlaps(made(2.5, 3.0))  # the ranges overlap, the intervals do not
    assert made(1.0, 2.0).overlaps(made(2.0, 3.0)) and made(2.0, 3.0).overlaps(made(1.0, 2.0))


# --- the median's confidence interval ---------------------------------------------------------------------

@pytest.mark.parametrize("n", range(2, 41))
def test_coverage_is_the_binomial_probability_of_the_order_statistic_pair(n):
    binom = scipy.stats.binom(n, 0.5)
    for k in range(1, n // 2 + 1):
        # P(x_(k) <= median <= x_(n+1-k)) = P(k <= B <= n-k) for B ~ Binomial(n, 1/2)
        assert coverage(n, k) == pytest.approx(binom.cdf(n - k) - binom.cdf(k - 1), abs=1e-12)
        assert coverage(n, k) == pytest.approx(1 - 2 * binom.cdf(k - 1), abs=1e-12)


@pytest.mark.parametrize("n", range(6, 31))
def test_median_ci_agrees_with_scipy_quantile_test(n):
    """SciPy's two-sided interval for the p=0.5 quantile at 95% is [x_(j), x_(n+1-j)] (1-based), where
    j = binom(n, 1/2).ppf(0.025), the smallest j with P(B <= j) >= 0.025 (low = x[ppf - 1],
    high = x[isf(0.025)], 0-based). Ours is the narrowest symmetric order-statistic pair
    [x_(k), x_(n+1-k)] with coverage 1 - 2 P(B <= k-1) >= 95%: the largest k with P(B <= k-1) <= 0.025.
    P(B <= j) is a multiple of 2^-n and never exactly 0.025, so j = k: both give the same pair
    from n = 6 on (below 6, SciPy has no such pair and answers nan; we give [min, max])."""
    for seed in range(5):
        values = samples(seed * 100 + n, n, decimals=1 if seed % 2 else 3)
        median = statistics.median(values)
        interval = scipy.stats.quantile_test(values, q=median, p=0.5).confidence_interval(CI_LEVEL)
        low, high, covered = median_ci(values)
        assert (low, high) == (interval.low, interval.high)
        assert covered >= CI_LEVEL


@pytest.mark.parametrize("n", range(6, 31))
def test_median_ci_is_the_narrowest_pair_reaching_95_percent(n):
    values = [float(v) for v in range(1, n + 1)]  # x_(i) = i, so the interval names its ranks
    low, high, covered = median_ci(values)
    k = int(low)
    assert high == n + 1 - k and covered == coverage(n, k) >= CI_LEVEL
    assert k == n // 2 or coverage(n, k + 1) < CI_LEVEL  # one rank narrower would not reach 95%


@pytest.mark.parametrize("n", range(2, 6))
def test_below_six_repeats_the_interval_is_the_range_with_its_real_coverage(n):
    values = samples(n, n, decimals=3)
    assert median_ci(values) == (min(values), max(values), 1 - 2 * 0.5**n)
    assert median_ci(values)[2] < CI_LEVEL


def test_one_repeat_has_a_point_interval_of_no_coverage():
    assert median_ci([4.2]) == (4.2, 4.2, 0.0)


# --- Mann-Whitney ------------------------------------------------------------------------------------------

def _exact_scipy(current: list[float], previous: list[float]) -> float:
    method = scipy.stats.PermutationMethod(n_resamples=np.inf)
    return float(scipy.stats.mannwhitneyu(current, previous, alternative="greater", method=method).pvalue)


def _asymptotic_scipy(current: list[float], previous: list[float]) -> float:
    return float(scipy.stats.mannwhitneyu(current, previous, alternative="greater", method="asymptotic",
                                          use_continuity=True).pvalue)


@pytest.mark.parametrize("sizes", [(4, 4), (5, 5), (4, 6), (6, 3), (7, 7), (8, 8)])
@pytest.mark.parametrize("shift", [0.0, 0.8, -0.8])
def test_exact_p_values_agree_with_scipy_permutations_with_ties(sizes, shift):
    n, m = sizes
    assert math.comb(n + m, n) <= EXACT_LIMIT  # these sizes take the exact path
    for seed, decimals in [(0, 0), (1, 0), (2, 1)]:
        current, previous = samples(seed, n, decimals, shift), samples(seed + 50, m, decimals)
        assert decimals or len(set(current + previous)) < n + m  # whole numbers: ties in every case
        assert mann_whitney_greater(current, previous) == pytest.approx(_exact_scipy(current, previous), abs=1e-9)


def test_exact_p_values_with_heavy_ties_agree_with_scipy():
    current, previous = [2.0, 2.0, 3.0, 3.0, 3.0], [1.0, 2.0, 2.0, 3.0, 1.0]
    assert mann_whitney_greater(current, previous) == pytest.approx(_exact_scipy(current, previous), abs=1e-9)


@pytest.mark.parametrize("sizes", [(9, 9), (10, 8), (12, 12)])
@pytest.mark.parametrize("shift", [0.0, 0.5, 1.5, -0.5])
def test_the_normal_approximation_agrees_with_scipy_asymptotic_with_continuity(sizes, shift):
    n, m = sizes
    assert math.comb(n + m, n) > EXACT_LIMIT  # these sizes take the normal approximation
    for seed, decimals in [(0, 0), (1, 1), (2, 3)]:
        current, previous = samples(seed, n, decimals, shift), samples(seed + 50, m, decimals)
        assert mann_whitney_greater(current, previous) == pytest.approx(
            _asymptotic_scipy(current, previous), abs=1e-6)


def test_the_normal_approximation_is_only_used_past_the_exact_limit():
    # 8 against 8 is exact: it matches the permutation test, and not the asymptotic one as closely.
    current, previous = samples(1, 8, shift=1.0), samples(2, 8)
    exact = mann_whitney_greater(current, previous)
    assert exact == pytest.approx(_exact_scipy(current, previous), abs=1e-9)
    assert abs(exact - _asymptotic_scipy(current, previous)) > 1e-9


def test_u_counts_wins_and_half_ties():
    assert u_statistic([3.0, 1.0], [2.0, 1.0]) == 1.0 + 1.0 + 0.0 + 0.5
    xs, ys = samples(3, 6), samples(4, 5)
    assert u_statistic(xs, ys) + u_statistic(ys, xs) == len(xs) * len(ys)


def test_all_equal_values_are_no_evidence_in_either_path():
    assert mann_whitney_greater([5.0] * 3, [5.0] * 3) == 1.0
    assert mann_whitney_greater([5.0] * 10, [5.0] * 10) == 1.0  # normal path, zero variance


# --- Pareto fronts --------------------------------------------------------------------------------------------

def _points(seed: int, count: int = 30) -> list[tuple[float, float, float]]:
    rng = random.Random(seed)
    return [(rng.randint(0, 9), rng.randint(0, 9), rng.random()) for _ in range(count)]


@pytest.mark.parametrize("directions", [("minimize", "minimize"), ("minimize", "maximize"),
                                        ("maximize", "maximize")])
@pytest.mark.parametrize("seed", range(5))
def test_the_front_is_exactly_the_undominated_items_in_their_order(directions, seed):
    points = _points(seed)
    signs = [1 if d == "minimize" else -1 for d in directions]

    def cost(p: tuple[float, ...]) -> list[float]:
        return [s * v for s, v in zip(signs, p[:2])]

    front = pareto_front(points, lambda p: p[:2], directions)
    assert front == [p for p in points if p in front]  # input order kept
    for point in points:
        beaten = any(dominates(cost(other), cost(point)) for other in points)
        assert (point in front) is (not beaten)


def test_equal_points_are_both_on_the_front():
    assert pareto_front([(1, 1), (1, 1), (2, 2)], lambda p: p, ["minimize", "minimize"]) == [(1, 1), (1, 1)]


def test_maximizing_is_minimizing_the_negation():
    points = _points(7)
    mixed = pareto_front(points, lambda p: p[:2], ["minimize", "maximize"])
    negated = pareto_front(points, lambda p: (p[0], -p[1]), ["minimize", "minimize"])
    assert mixed == negated


def test_the_knee_is_nearest_the_ideal_point_after_scaling():
    front = [(10, 200), (20, 100), (40, 60), (90, 50)]
    # Scaled to [0, 1] per objective: (20, 100) -> (0.125, 0.333), distance 0.356 from the ideal;
    # (40, 60) -> (0.375, 0.067), distance 0.381; the ends are at distance 1.
    assert knee(front, lambda p: p, ["minimize", "minimize"]) == (20, 100)
    # Throughput to maximise instead of memory to minimise: the same geometry, mirrored.
    mirrored = [(x, 250 - y) for x, y in front]
    assert knee(mirrored, lambda p: p, ["minimize", "maximize"]) == (20, 150)


def test_an_objective_that_does_not_vary_over_the_front_does_not_move_the_knee():
    front = [(1, 5, 7), (2, 3, 7), (4, 1, 7)]
    assert knee(front, lambda p: p, ["minimize"] * 3) == knee(front, lambda p: p[:2], ["minimize"] * 2)


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="empty"):
        knee([], lambda p: p, ["minimize"])
    with pytest.raises(ValueError, match="minimize or maximize"):
        pareto_front([(1,)], lambda p: p, ["smallest"])
    with pytest.raises(ValueError, match="2 objective values for 1 directions"):
        pareto_front([(1, 2)], lambda p: p, ["minimize"])


def test_a_full_grid_has_its_best_corner_as_the_whole_front():
    grid = list(itertools.product(range(3), range(3)))
    front = pareto_front(grid, lambda p: p, ["minimize", "maximize"])
    assert front == [(0, 2)]
