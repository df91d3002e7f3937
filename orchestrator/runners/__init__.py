"""Run stage: runners execute a workload image under given settings and observe the process."""

from orchestrator.runners._base import ContainerLimits, Runner, RunRequest, RunResult
from orchestrator.runners._docker import OUTPUT_MOUNT, DockerRunner
from orchestrator.runners._engine import (
    RUN_LABEL, EngineInfo, connect, engine_info, owner_labels, reap_stray_containers)

__all__ = ["OUTPUT_MOUNT", "RUN_LABEL", "ContainerLimits", "DockerRunner", "EngineInfo", "RunRequest", "RunResult", "Runner",
           "connect", "engine_info", "owner_labels", "reap_stray_containers"]
