"""The model's equations: the heap goal of a GOGC and GOMEMLIMIT, and what it costs in GC CPU and memory.

    goal_GOGC  = L + (L + roots) x GOGC/100                     (at least 4 MiB x GOGC/100)
    goal_limit = (GOMEMLIMIT - other_rt) - max(3%, 1 MiB)        (the pacer's memory-limit goal)
    goal       = max(L, min(goal_GOGC, goal_limit))
    cycles/s   = R / (k x (goal - L))
    GC CPU s/s = cycles/s x (fixed + mark x (L + roots) in MiB)
    gc_cpu_percent    = 100 x GC CPU s/s / effective_cpus
    gc_cycles         = cycles/s x window
    peak_memory_bytes = L + m x (goal - L) + other

Pure: parameters in, numbers out.
"""

from __future__ import annotations

import math
from dataclasses import replace

from orchestrator.model._base import (
    HEAP_MINIMUM_BYTES, LIMIT_HEADROOM_FRACTION, LIMIT_MIN_HEADROOM_BYTES, MIB, MIN_RUNWAY_BYTES, Estimate, Fit,
    Parameters, Point, Prediction)


def limit_heap_goal(gomemlimit_bytes: float, runtime_other_bytes: float) -> float:
    """The heap goal a memory limit leaves: the limit less the runtime's non-heap memory and the pacer's
    headroom (3%, at least 1 MiB)."""
    base = gomemlimit_bytes - runtime_other_bytes
    return base - max(base * LIMIT_HEADROOM_FRACTION, LIMIT_MIN_HEADROOM_BYTES)


def heap_goal(parameters: Parameters, point: Point) -> tuple[float, str]:
    """The heap goal at a point and which setting sets it (inf: GOGC=off without a limit never collects)."""
    live, roots = parameters.live_bytes, parameters.roots_bytes
    by_gogc = math.inf if point.gogc is None else max(live + (live + roots) * point.gogc / 100,
                                                      HEAP_MINIMUM_BYTES * point.gogc / 100)
    by_limit = (math.inf if point.gomemlimit_bytes is None
                else limit_heap_goal(point.gomemlimit_bytes, parameters.runtime_other_bytes))
    goal = max(live, min(by_gogc, by_limit))
    return goal, ("GOMEMLIMIT" if by_limit < by_gogc else "GOGC")


def predict_values(parameters: Parameters, point: Point) -> dict[str, float]:
    """The point predictions of every predicted metric (no interval)."""
    p = parameters
    goal, _ = heap_goal(p, point)
    runway = max(p.runway_factor * (goal - p.live_bytes), MIN_RUNWAY_BYTES)
    cycles_per_s = 0.0 if math.isinf(goal) else p.alloc_bytes_per_s / runway
    cost = p.fixed_cpu_s + p.mark_cpu_s_per_mib * (p.live_bytes + p.roots_bytes) / MIB
    percent = min(100.0, 100.0 * cycles_per_s * cost / p.effective_cpus) if p.effective_cpus > 0 else 0.0
    peak_heap = p.live_bytes + p.peak_factor * (goal - p.live_bytes)
    return {"gc_cpu_percent": percent, "peak_memory_bytes": peak_heap + p.other_bytes,
            "gc_cycles": cycles_per_s * p.wall_s}


def predict(fit: Fit, point: Point, effective_cpus: float | None = None) -> Prediction:
    """The model's expectation at a point, each metric with its interval, and what makes it an extrapolation."""
    parameters = fit.parameters if effective_cpus is None else replace(fit.parameters, effective_cpus=effective_cpus)
    values = predict_values(parameters, point)
    goal, limited_by = heap_goal(parameters, point)
    metrics = {name: _interval(value, fit.half_widths.get(name, 1.0)) for name, value in values.items()}
    memory = parameters.memory_bytes
    return Prediction(point=point, heap_goal_bytes=goal, limited_by=limited_by,  # type: ignore[arg-type]
                      metrics=metrics, outside=outside_measured(fit, point),
                      oom_expected=memory is not None and values["peak_memory_bytes"] > memory)


def outside_measured(fit: Fit, point: Point) -> tuple[str, ...]:
    """Why a point is an extrapolation: its heap goal beyond the goals the run measured, or the setting
    that sets it (GOGC, or GOMEMLIMIT when the limit binds) beyond the values the run measured."""
    goal, limited_by = heap_goal(fit.parameters, point)
    reasons = []
    goals = [o.goal_bytes for o in fit.observations]
    if goals and not min(goals) * 0.95 <= goal <= max(goals) * 1.05:
        reasons.append(f"its heap goal {_mib(goal)} is outside the measured {_mib(min(goals))}..{_mib(max(goals))}")
    gogcs = [o.gogc for o in fit.observations if o.gogc is not None]
    if limited_by == "GOGC" and point.gogc is not None and gogcs and not min(gogcs) <= point.gogc <= max(gogcs):
        reasons.append(f"GOGC={point.gogc} is outside the measured {min(gogcs)}..{max(gogcs)}")
    limits = [o.gomemlimit_bytes for o in fit.observations if o.gomemlimit_bytes is not None]
    limit = point.gomemlimit_bytes
    if limited_by == "GOMEMLIMIT" and limit is not None and not (limits and min(limits) <= limit <= max(limits)):
        measured = f"{_mib(min(limits))}..{_mib(max(limits))}" if limits else "no limit at all"
        reasons.append(f"GOMEMLIMIT={_mib(limit)} sets the heap goal and is outside the measured {measured}")
    return tuple(reasons)


def _interval(value: float, half_width: float) -> Estimate:
    return Estimate(value=value, low=max(value * (1 - half_width), 0.0), high=value * (1 + half_width))


def _mib(limit: float) -> str:
    return "unbounded" if math.isinf(limit) else f"{limit / MIB:.1f}MiB"
