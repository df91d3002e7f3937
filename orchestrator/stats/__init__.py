"""Statistics, explicit and named: medians with distribution-free intervals, rank tests, Pareto fronts.

Pure functions of numbers; no stage of gctune below or above is imported.
"""

from orchestrator.stats._median import CI_LEVEL, Spread, coverage, median_ci, spread

__all__ = ["CI_LEVEL", "Spread", "coverage", "median_ci", "spread"]
