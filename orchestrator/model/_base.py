"""The GC cost model's types: what it reads from a measured configuration, what it fits, what it predicts.

The model follows the Go GC guide (https://go.dev/doc/gc-guide): a cycle costs a fixed CPU time plus
a CPU time per byte scanned (live heap + roots), and the GC runs once per heap-goal's worth of runway
of allocation. Everything here is plain frozen data; the functions are in the private modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

MIB = 2**20

# The metrics the model predicts, each with its meaning in orchestrator.definitions.
PREDICTED_METRICS = ("gc_cpu_percent", "peak_memory_bytes", "gc_cycles")

# A fit needs this many measured configurations: fewer leave nothing to check it against (leave-one-out
# needs at least two to fit and one to predict).
MIN_OBSERVATIONS = 3
# The fit is "poor" when its leave-one-out median absolute percentage error of gc_cpu_percent is above this.
POOR_ERROR = 0.25
# An interval is never narrower than this (relative half-width): about the run-to-run noise of one
# measurement, which a handful of leave-one-out residuals can miss by luck.
MIN_HALF_WIDTH = 0.05

# The pacer's memory-limit headroom (runtime/mgcpacer.go: memoryLimitHeapGoalHeadroomPercent = 3,
# at least memoryLimitMinHeapGoalHeadroom = 1 MiB) and its smallest heap goal at GOGC=100 (4 MiB).
LIMIT_HEADROOM_FRACTION = 0.03
LIMIT_MIN_HEADROOM_BYTES = MIB
HEAP_MINIMUM_BYTES = 4 * MIB
# The runway of a cycle is never taken as less than this: the gctrace heap figures are whole MiB, and
# a heap goal at the live heap (a GOMEMLIMIT below it) would otherwise predict infinitely many cycles.
MIN_RUNWAY_BYTES = MIB

Verdict = Literal["good", "poor", "insufficient"]


@dataclass(frozen=True)
class Observation:
    """One measured configuration as the model reads it: medians over its repeats.

    From the gctrace cycles of the measurement window: the live heap (bytes marked, h2), the roots
    (stacks + globals), the heap goal in force and the stop-the-world share of GC CPU. From the runtime
    samples: the allocation rate and the runtime's non-heap memory. From the trial metrics:
    gc_cpu_seconds, gc_cycles, the window's length, effective_cpus, peak memory and peak heap.
    """

    label: str  # "baseline", "trial 3", a capture's folder name
    gogc: int | None  # None: GOGC=off
    gomemlimit_bytes: int | None
    memory_bytes: int | None
    live_bytes: float
    roots_bytes: float
    goal_bytes: float  # the runtime's own heap goal (gctrace "MB goal"), median over the window's cycles
    alloc_bytes_per_s: float
    gc_cycles: float
    wall_s: float
    gc_cpu_seconds: float
    gc_cpu_percent: float
    effective_cpus: float
    stw_share: float  # (c1 + c5) / all five gctrace CPU terms of the window's cycles
    runtime_other_bytes: float  # Sys - HeapIdle - HeapAlloc: what the memory limit counts besides heap objects
    peak_memory_bytes: float | None
    peak_heap_bytes: float | None
    repeats: int = 1

    @property
    def scanned_bytes(self) -> float:
        return self.live_bytes + self.roots_bytes


@dataclass(frozen=True)
class Point:
    """A configuration to predict: GOGC (None = off) and GOMEMLIMIT in bytes (None = no limit)."""

    gogc: int | None
    gomemlimit_bytes: int | None


@dataclass(frozen=True)
class Parameters:
    """What the fit found; every figure is a median over the fitted configurations."""

    live_bytes: float  # L: the live heap
    roots_bytes: float  # stacks + globals the GC scans besides the heap
    alloc_bytes_per_s: float  # R: the allocation rate
    runway_factor: float  # k: heap growth per cycle as a share of (goal - live); the pacer triggers early
    fixed_cpu_s: float  # CPU seconds per cycle that do not depend on the heap (the stop-the-world phases)
    mark_cpu_s_per_mib: float  # CPU seconds per MiB scanned (live + roots)
    peak_factor: float  # m: the peak heap is L + m x (goal - L)
    other_bytes: float  # container peak minus the peak Go heap: stacks, runtime metadata, the binary, page cache
    runtime_other_bytes: float  # non-heap memory the runtime counts against GOMEMLIMIT
    effective_cpus: float
    wall_s: float  # the measurement window the gc_cycles prediction is for
    memory_bytes: int | None  # the container memory of the fitted configurations


@dataclass(frozen=True)
class Estimate:
    """A predicted value with its interval (see ``Fit.half_widths``)."""

    value: float
    low: float
    high: float

    def contains(self, measured: float) -> bool:
        return self.low <= measured <= self.high


@dataclass(frozen=True)
class Quality:
    """Whether the fit can be trusted: its leave-one-out error of gc_cpu_percent and a verdict."""

    verdict: Verdict
    error: float | None  # leave-one-out median absolute percentage error of gc_cpu_percent (0.1 = 10%)
    errors: dict[str, float | None]  # the same for every predicted metric
    observations: int
    reason: str

    @property
    def usable(self) -> bool:
        return self.verdict == "good"


@dataclass(frozen=True)
class Fit:
    """A fitted model: its parameters, the configurations it was fitted on, and how well it predicts."""

    parameters: Parameters
    observations: tuple[Observation, ...]
    # metric -> relative leave-one-out residuals (measured / predicted - 1), one per observation
    residuals: dict[str, tuple[float, ...]]
    half_widths: dict[str, float]  # metric -> relative half-width of the interval
    quality: Quality


@dataclass(frozen=True)
class Prediction:
    """What the model expects at one point, with intervals, and where the point leaves the measured range."""

    point: Point
    heap_goal_bytes: float
    limited_by: Literal["GOGC", "GOMEMLIMIT"]
    metrics: dict[str, Estimate]
    outside: tuple[str, ...] = field(default=())  # why the point is outside what the run measured
    oom_expected: bool = False  # the predicted peak is above the container memory

    def to_dict(self) -> dict[str, object]:
        return {"GOGC": "off" if self.point.gogc is None else self.point.gogc,
                "GOMEMLIMIT": self.point.gomemlimit_bytes, "heap_goal_bytes": self.heap_goal_bytes,
                "limited_by": self.limited_by,
                "metrics": {k: {"value": e.value, "low": e.low, "high": e.high} for k, e in self.metrics.items()},
                "outside": list(self.outside), "oom_expected": self.oom_expected}
