"""Pareto fronts over any items, and the front's knee: the point a person would pick by default.

Every objective is minimised or maximised; values are turned into "smaller is better" by their sign
once, so one dominance rule serves every combination of directions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
Values = Callable[[T], Sequence[float]]

_SIGNS = {"minimize": 1.0, "maximize": -1.0}


def pareto_front(items: Sequence[T], values: Values[T], directions: Sequence[str]) -> list[T]:
    """The items no other item dominates (at least as good in every objective, better in one), in order."""
    signs = _signs(directions)
    costs = [_costs(values(item), signs) for item in items]
    return [item for i, item in enumerate(items)
            if not any(dominates(other, costs[i]) for j, other in enumerate(costs) if j != i)]


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """Whether cost vector ``a`` (smaller is better) dominates ``b``."""
    return all(x <= y for x, y in zip(a, b)) and any(x < y for x, y in zip(a, b))


def knee(front: Sequence[T], values: Values[T], directions: Sequence[str]) -> T:
    """The front's item closest (Euclidean) to the ideal point, each objective scaled to [0, 1] over the front.

    Scaling makes objectives in different units (percent, bytes) count alike; an objective that does
    not vary over the front adds nothing. Ties go to the earlier item.
    """
    if not front:
        raise ValueError("the knee of an empty Pareto front is undefined")
    signs = _signs(directions)
    costs = [_costs(values(item), signs) for item in front]
    lows, highs = [min(c) for c in zip(*costs)], [max(c) for c in zip(*costs)]

    def distance(cost: list[float]) -> float:
        return math.hypot(*[(c - lo) / (hi - lo) if hi > lo else 0.0 for c, lo, hi in zip(cost, lows, highs)])

    best = min(range(len(front)), key=lambda i: distance(costs[i]))
    return front[best]


def _signs(directions: Sequence[str]) -> list[float]:
    unknown = [d for d in directions if d not in _SIGNS]
    if unknown:
        raise ValueError(f"direction must be minimize or maximize, not {unknown[0]!r}")
    return [_SIGNS[d] for d in directions]


def _costs(values: Sequence[float], signs: list[float]) -> list[float]:
    if len(values) != len(signs):
        raise ValueError(f"{len(values)} objective values for {len(signs)} directions")
    return [s * float(v) for s, v in zip(signs, values)]
