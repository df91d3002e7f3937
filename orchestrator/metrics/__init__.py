"""Trial metrics: definitions and how they are computed from a run's raw output."""

from orchestrator.metrics._definitions import METRIC_NAMES, METRICS, MetricDefinition, metric_definition

__all__ = ["METRICS", "METRIC_NAMES", "MetricDefinition", "metric_definition"]
