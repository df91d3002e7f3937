"""Live detection of GC thrashing from the workload's sample lines, so a hopeless trial stops early."""

from __future__ import annotations

from orchestrator.metrics._compute import GOMAXPROCS, effective_cpus, gc_share_of_busy
from orchestrator.parsers.workload import Sample, parse_workload_lines

_MIN_SPAN_S = 0.5  # judge GC CPU over at least this much time: the runtime's counters move in steps


class ThrashDetector:
    """Feed it stdout lines; it answers True once GC CPU has stayed above the threshold long enough.

    GC CPU is measured as in gc_cpu_percent, between samples at least half a second apart, from
    the start of the run (thrashing in warm-up is just as hopeless).
    """

    def __init__(self, threshold_percent: float, for_s: float, cpus_limit: float | None,
                 host_cpus: int | None) -> None:
        self.threshold_percent, self.for_s = threshold_percent, for_s
        self.cpus_limit, self.host_cpus = cpus_limit, host_cpus
        self.thrashing = False
        self.highest_percent = 0.0
        self._previous: Sample | None = None
        self._above_since: float | None = None

    def feed(self, line: str) -> bool:
        samples = parse_workload_lines([line]).samples
        if samples:
            self._observe(samples[0])
        return self.thrashing

    def _observe(self, sample: Sample) -> None:
        if self._previous is None:
            self._previous = sample
            return
        span = sample.t - self._previous.t
        if span < _MIN_SPAN_S:
            return
        cpus = effective_cpus(sample.metric(GOMAXPROCS, 1.0), self.cpus_limit, self.host_cpus)
        cpu = sample.rusage_cpu_s - self._previous.rusage_cpu_s
        percent = 100 * gc_share_of_busy(self._previous, sample) * cpu / (cpus * span)
        self.highest_percent = max(self.highest_percent, percent)
        if percent < self.threshold_percent:
            self._above_since = None
        elif self._above_since is None:
            self._above_since = self._previous.t
        self._previous = sample
        if self._above_since is not None and sample.t - self._above_since >= self.for_s:
            self.thrashing = True
