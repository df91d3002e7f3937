"""Search stage: an Optuna study over the spec's space whose trials are real container runs."""

from orchestrator.search._storage import check_storage, redact, resolve_storage
from orchestrator.search._aggregate import aggregate
from orchestrator.search._study import Measurement, Plan, Progress, StudyRun, classify, skip_reason
from orchestrator.search._summary import build_summary

__all__ = ["Measurement", "Plan", "Progress", "StudyRun", "aggregate", "build_summary",
           "check_storage", "classify", "redact", "resolve_storage", "skip_reason"]
