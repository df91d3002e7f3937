"""Trial metrics: how they are computed from a run's samples, gctrace and cgroup (definitions: ``orchestrator.definitions``)."""

from orchestrator.metrics._compute import (
    Window, compute_metrics, effective_cpus, measurement_window, trace_metrics, window_cycles)
from orchestrator.metrics._thrash import ThrashDetector

__all__ = ["ThrashDetector", "Window", "compute_metrics", "effective_cpus", "measurement_window", "trace_metrics",
           "window_cycles"]
