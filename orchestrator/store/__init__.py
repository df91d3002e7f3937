"""Store stage: the run directory on disk (the study itself lives in an Optuna storage)."""

from orchestrator.store._rundir import RunDir, RunLock, new_run_id

__all__ = ["RunDir", "RunLock", "new_run_id"]
