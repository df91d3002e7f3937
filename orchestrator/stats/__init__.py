"""Statistics, explicit and named: medians with distribution-free intervals, rank tests, Pareto fronts,
medians of paired ratios.

Pure functions of numbers; no stage of gctune below or above is imported.
"""

from orchestrator.stats._mannwhitney import EXACT_LIMIT, mann_whitney_greater, u_statistic
from orchestrator.stats._median import CI_LEVEL, Spread, coverage, intervals_overlap, median_ci, spread
from orchestrator.stats._shift import Shift, shift
from orchestrator.stats._pareto import dominates, knee, pareto_front
from orchestrator.stats._ratio import PairedRatios, paired_ratios, percent_change

__all__ = ["CI_LEVEL", "EXACT_LIMIT", "PairedRatios", "Shift", "Spread", "coverage", "dominates", "intervals_overlap", "knee", "mann_whitney_greater",
           "median_ci", "paired_ratios", "pareto_front", "percent_change", "shift", "spread", "u_statistic"]
