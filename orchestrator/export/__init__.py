"""Results in the formats other tools read: Go's benchmark format (for benchstat), OpenMetrics (for a
Prometheus textfile collector), and a short Markdown summary (for a CI job's step summary).

Pure functions: results models in, text out.
"""

from orchestrator.export._benchstat import benchstat_text
from orchestrator.export._markdown import night_markdown, summary_markdown
from orchestrator.export._openmetrics import openmetrics_text

__all__ = ["benchstat_text", "night_markdown", "openmetrics_text", "summary_markdown"]
