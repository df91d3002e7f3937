"""Fit the GC cost model to a run's own measured configurations, and judge it by leave-one-out.

Every parameter is a median over the configurations (robust to one odd run): the live heap L, the roots,
the allocation rate R, the runway factor k = (R x window / cycles) / (goal - L) with the runtime's own
goal, the per-cycle cost split into its stop-the-world part (fixed) and the rest per MiB scanned (mark),
fitted as cost / k so that the window's whole count of cycles cancels (``_cycle_costs``), the peak
factor m = (peak heap - L) / (goal - L), the memory beside the heap (container peak - peak heap) and the
runtime's non-heap memory that GOMEMLIMIT counts.

The interval: each configuration is predicted by the model fitted on all the others (leave-one-out);
the relative residuals measured / predicted - 1 give the half-width, the largest absolute residual, never
below MIN_HALF_WIDTH. With n configurations, a new one falls inside with a chance of about (n-1)/(n+1).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import replace

from orchestrator.model._base import (
    MIB, MIN_HALF_WIDTH, MIN_OBSERVATIONS, MIN_RUNWAY_BYTES, POOR_ERROR, PREDICTED_METRICS, Fit, Observation,
    Parameters, Point, Quality)
from orchestrator.model._predict import predict_values


def fit_model(observations: Sequence[Observation]) -> Fit:
    """The model of these configurations with its leave-one-out residuals, interval widths and verdict.

    ValueError when there is no configuration at all (a verdict needs at least one to fit)."""
    if not observations:
        raise ValueError("no measured configuration to fit the GC model on")
    parameters = fit_parameters(observations)
    residuals = _leave_one_out(observations) if len(observations) >= MIN_OBSERVATIONS else {}
    half_widths = {m: max([abs(r) for r in residuals.get(m, ())] + [MIN_HALF_WIDTH]) if residuals.get(m) else 1.0
                   for m in PREDICTED_METRICS}
    return Fit(parameters=parameters, observations=tuple(observations), residuals=residuals,
               half_widths=half_widths, quality=judge(residuals, len(observations)))


def fit_parameters(observations: Sequence[Observation]) -> Parameters:
    """The model's parameters: medians over the configurations (see the module docstring)."""
    obs = list(observations)
    with_runway = [o for o in obs if o.goal_bytes - o.live_bytes >= MIN_RUNWAY_BYTES]
    runway_factor = _median(with_runway, lambda o: o.alloc_bytes_per_s * o.wall_s / o.gc_cycles
                            / (o.goal_bytes - o.live_bytes), default=1.0)
    fixed, mark = _cycle_costs(obs, with_runway, runway_factor)
    return Parameters(
        live_bytes=_median(obs, lambda o: o.live_bytes),
        roots_bytes=_median(obs, lambda o: o.roots_bytes),
        alloc_bytes_per_s=_median(obs, lambda o: o.alloc_bytes_per_s),
        runway_factor=runway_factor,
        fixed_cpu_s=fixed,
        mark_cpu_s_per_mib=mark,
        peak_factor=_median([o for o in with_runway if o.peak_heap_bytes is not None],
                            lambda o: (o.peak_heap_bytes - o.live_bytes) / (o.goal_bytes - o.live_bytes), default=1.0),
        other_bytes=_median([o for o in obs if o.peak_memory_bytes is not None and o.peak_heap_bytes is not None],
                            lambda o: o.peak_memory_bytes - o.peak_heap_bytes, default=0.0),
        runtime_other_bytes=_median(obs, lambda o: o.runtime_other_bytes),
        effective_cpus=_median(obs, lambda o: o.effective_cpus),
        wall_s=_median(obs, lambda o: o.wall_s),
        memory_bytes=next((o.memory_bytes for o in obs if o.memory_bytes is not None), None),
    )


def _cycle_costs(obs: Sequence[Observation], with_runway: Sequence[Observation],
                 runway_factor: float) -> tuple[float, float]:
    """The CPU seconds of a cycle: its fixed (stop-the-world) part, and its mark part per MiB scanned.

    A window holds a whole number of cycles, a few at a high GOGC, and one more or fewer by where it
    happens to start, while its GC CPU seconds are not counted in cycles. Per configuration that count
    cancels from cost / k = GC CPU s x (goal - L) / (R x window): the ratio the gc_cpu_percent equation
    uses. So the ratio is fitted (split by the stop-the-world share) and the per-cycle costs are it
    times the fitted k; taking medians of cost and of k apart would compound the count's error instead.
    Configurations without a runway (or allocation) fall back to the cost per counted cycle."""
    paced = [o for o in with_runway if o.alloc_bytes_per_s > 0 and o.wall_s > 0]
    if paced:
        per_runway = [o.gc_cpu_seconds * (o.goal_bytes - o.live_bytes) / (o.alloc_bytes_per_s * o.wall_s)
                      for o in paced]
        fixed = runway_factor * statistics.median(c * o.stw_share for c, o in zip(per_runway, paced))
        mark = runway_factor * statistics.median(c * (1 - o.stw_share) / (o.scanned_bytes / MIB)
                                                 for c, o in zip(per_runway, paced))
        return fixed, mark
    cost = [o.gc_cpu_seconds / o.gc_cycles for o in obs]
    return (statistics.median(c * o.stw_share for c, o in zip(cost, obs)),
            statistics.median(c * (1 - o.stw_share) / (o.scanned_bytes / MIB) for c, o in zip(cost, obs)))


def measured(observation: Observation) -> dict[str, float | None]:
    """The observation's own values of the predicted metrics."""
    return {"gc_cpu_percent": observation.gc_cpu_percent, "peak_memory_bytes": observation.peak_memory_bytes,
            "gc_cycles": observation.gc_cycles}


def percentage_errors(pairs: Sequence[tuple[float, float]]) -> list[float]:
    """|measured - predicted| / measured for each (predicted, measured) pair with a non-zero measurement."""
    return [abs(m - p) / abs(m) for p, m in pairs if m]


def judge(residuals: dict[str, tuple[float, ...]], count: int) -> Quality:
    """The verdict: insufficient below MIN_OBSERVATIONS, poor when the gc_cpu_percent error is above
    POOR_ERROR, else good. The error is the leave-one-out median absolute percentage error."""
    errors = {m: _mdape(residuals.get(m, ())) for m in PREDICTED_METRICS}
    error = errors["gc_cpu_percent"]
    if count < MIN_OBSERVATIONS or error is None:
        return Quality("insufficient", error, errors, count,
                       f"{count} measured configuration(s); the fit needs at least {MIN_OBSERVATIONS} to be checked")
    if error > POOR_ERROR:
        return Quality("poor", error, errors, count, f"leave-one-out error of gc_cpu_percent {error:.0%} is above "
                                                     f"{POOR_ERROR:.0%}")
    return Quality("good", error, errors, count, f"leave-one-out error of gc_cpu_percent {error:.0%} over {count} "
                                                 "configurations")


def leave_one_out(observations: Sequence[Observation]) -> list[dict[str, float]]:
    """Each configuration's predicted metrics from the model fitted on all the others.

    Predicted in the held-out run's own window and CPUs, so the difference is the GC model's alone."""
    predictions = []
    for index, held_out in enumerate(observations):
        others = [o for i, o in enumerate(observations) if i != index]
        parameters = replace(fit_parameters(others), effective_cpus=held_out.effective_cpus, wall_s=held_out.wall_s)
        predictions.append(predict_values(parameters, Point(held_out.gogc, held_out.gomemlimit_bytes)))
    return predictions


def _leave_one_out(observations: Sequence[Observation]) -> dict[str, tuple[float, ...]]:
    """Relative residuals (measured / predicted - 1) of each configuration predicted without it."""
    residuals: dict[str, list[float]] = {m: [] for m in PREDICTED_METRICS}
    for held_out, predicted in zip(observations, leave_one_out(observations)):
        for metric, value in measured(held_out).items():
            if value is not None and predicted[metric] > 0:
                residuals[metric].append(value / predicted[metric] - 1)
    return {m: tuple(r) for m, r in residuals.items() if r}


def _mdape(residuals: Sequence[float]) -> float | None:
    """Median absolute percentage error, relative to the measurement, from residuals measured/predicted - 1."""
    if not residuals:
        return None
    return statistics.median(abs(r) / (1 + r) if r > -1 else 1.0 for r in residuals)


def _median(items: Sequence[Observation], value: Callable[[Observation], float], default: float | None = None) -> float:
    values = [value(o) for o in items]
    if not values:
        if default is None:
            raise ValueError("no configuration to take the median over")
        return default
    return statistics.median(values)
