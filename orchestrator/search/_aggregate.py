"""A configuration's repeats merged: the median of each metric and its spread (``orchestrator.stats``)."""

from __future__ import annotations

import math
from typing import Any

from orchestrator.definitions import METRICS
from orchestrator.stats import spread


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
