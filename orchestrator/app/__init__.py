"""Application layer: the stages wired into what a user runs - a study, a night, one trial, a report.

Every command of the CLI calls one function here; the stages below never import this package. Each
name is imported on first use, so ``gctune validate`` does not load Optuna, Docker or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "run_analysis": "_analysis",
    "Backend": "_backend", "docker_backend": "_backend", "replay_backend": "_backend",
    "Check": "_doctor", "run_checks": "_doctor",
    "export_benchstat": "_export", "history_openmetrics": "_export", "write_ci_summary": "_export",
    "read_history": "_history",
    "GoModule": "_init", "InitResult": "_init", "discover_module": "_init", "init_spec": "_init",
    "quickstart_text": "_init",
    "REGRESSION_EXIT": "_nightly", "NightlyResult": "_nightly", "recheck_plan": "_nightly", "run_nightly": "_nightly",
    "PredictResult": "_predict", "predict_run": "_predict",
    "nights_up_to": "_reports", "write_run_reports": "_reports",
    "schema_text": "_schema", "write_schema": "_schema",
    "RunOptions": "_study", "job_cpusets": "_study", "open_run_dir": "_study", "run_study": "_study",
    "gctrace_summary": "_tools", "validate_spec": "_tools",
    "run_single_trial": "_trial",
    "WorkerOptions": "_worker", "WorkerResult": "_worker", "run_worker": "_worker",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"orchestrator.app.{_HOME[name]}"), name)
    raise AttributeError(f"module 'orchestrator.app' has no attribute {name!r}")
