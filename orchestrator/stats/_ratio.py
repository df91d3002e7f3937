"""How much B changes a metric against A over matched pairs: the median of the paired ratios b / a.

Each pair is one measurement at A and one at B with everything else equal, so the ratio b / a of a
pair is free of whatever the pairs do not share. The median of those ratios is the typical change
(robust to one odd pair); the smallest and largest ratios show how much the pairs agree. It is not a
confidence interval: with a handful of pairs the range is the honest spread.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PairedRatios:
    """The ratios b / a of ``n`` matched pairs: their median, smallest and largest."""

    n: int
    median: float
    min: float
    max: float

    @property
    def median_change_percent(self) -> float:
        """The median ratio as a percent change of B against A: 0.56 reads -44%."""
        return percent_change(self.median)

    def to_dict(self) -> dict[str, Any]:
        return {"statistic": "median of paired ratios b / a", "pairs": self.n, "median_ratio": self.median,
                "min_ratio": self.min, "max_ratio": self.max, "median_change_percent": self.median_change_percent,
                "min_change_percent": percent_change(self.min), "max_change_percent": percent_change(self.max)}


def percent_change(ratio: float) -> float:
    """A ratio b / a as the percent change from a to b."""
    return 100.0 * (ratio - 1.0)


def paired_ratios(pairs: Iterable[tuple[float, float]]) -> PairedRatios | None:
    """The median, min and max of b / a over the ``(a, b)`` pairs; None when no pair has a ratio.

    A pair counts only when both values are finite and a > 0 (a ratio against zero or a negative
    value is no change in percent)."""
    ratios = sorted(b / a for a, b in pairs if math.isfinite(a) and math.isfinite(b) and a > 0)
    if not ratios:
        return None
    return PairedRatios(len(ratios), statistics.median(ratios), ratios[0], ratios[-1])
