"""Run stage: runners execute a workload image under given settings and observe the process.

The Docker runner is imported on first use, so code that only needs the interface (metrics, a report,
a replay) does not load the Docker SDK.
"""

from __future__ import annotations

import importlib
from typing import Any

from orchestrator.runners._base import ContainerLimits, Runner, RunRequest, RunResult

_LAZY = {"OUTPUT_MOUNT": "_docker", "DockerRunner": "_docker", "RUN_LABEL": "_engine", "EngineInfo": "_engine",
         "connect": "_engine", "engine_info": "_engine", "owner_labels": "_engine",
         "reap_stray_containers": "_engine", "ReplayRunner": "_replay"}

__all__ = ["OUTPUT_MOUNT", "RUN_LABEL", "ContainerLimits", "DockerRunner", "EngineInfo", "ReplayRunner", "RunRequest", "RunResult",
           "Runner", "connect", "engine_info", "owner_labels", "reap_stray_containers"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"orchestrator.runners.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'orchestrator.runners' has no attribute {name!r}")
