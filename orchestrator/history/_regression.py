"""Is tonight worse than the last comparable night? A one-sided Mann-Whitney U test on the repeats.

The test (``orchestrator.stats.mann_whitney_greater``) compares the two samples of repeats without
assuming a distribution, as benchstat does. A regression needs both: a worsening of the median larger
than the threshold AND p < alpha. With fewer than 4 repeats on a side (3 against 3 gives at best
p = 1/20), the comparison says it cannot judge at the usual levels.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

from orchestrator.stats import mann_whitney_greater

MIN_REPEATS = 4


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

