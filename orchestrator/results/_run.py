"""``run.json``: the facts of a run that are not results: where the study lives, what was built, where."""

from __future__ import annotations

from pydantic import Field

from orchestrator.results._base import SCHEMA_VERSION, ResultModel
from orchestrator.results._fingerprint import Fingerprint


class EngineFacts(ResultModel):
    """The engine the trials ran on, as it described itself."""

    docker: str | None = None
    cgroup: str | None = None
    host_cpus: int | None = None
    host_memory_bytes: int | None = None


class RunInfo(ResultModel):
    schema_version: int = SCHEMA_VERSION
    started: str | None = None
    run_id: str | None = None
    storage: str | None = None  # the Optuna storage URL, without its password
    image: str | None = None
    go_toolchain: str | None = None
    gctune_version: str | None = None
    python: str | None = None
    engine: EngineFacts = Field(default_factory=EngineFacts)
    fingerprint: Fingerprint | None = None  # the machine and Go build measured (None: written by gctune 0.1)
