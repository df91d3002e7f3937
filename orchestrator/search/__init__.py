"""Search stage: an Optuna study over the spec's space whose trials are real container runs."""

from orchestrator.search._artifacts import open_artifact_store, store_location
from orchestrator.search._claim import owner
from orchestrator.search._shared import ARTIFACTS_ATTR, joined_spec, publish
from orchestrator.search._storage import check_storage, open_storage, redact, resolve_storage
from orchestrator.search._aggregate import aggregate
from orchestrator.search._study import Measurement, Plan, Progress, StudyRun, classify, skip_reason
from orchestrator.search._summary import build_summary
from orchestrator.search._worker import WorkerRun

__all__ = ["ARTIFACTS_ATTR", "Measurement", "Plan", "Progress", "StudyRun", "WorkerRun", "aggregate", "build_summary",
           "check_storage", "classify", "joined_spec", "open_artifact_store", "open_storage", "owner", "publish",
           "redact", "resolve_storage", "skip_reason", "store_location"]
