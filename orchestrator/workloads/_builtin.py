"""Built-in Go workloads shipped inside the package (stdlib-only Go sources)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.errors import SpecError

BUILTIN_WORKLOADS = ("service",)


def builtin_source_dir(name: str) -> Path:
    """The folder holding the Go main package of a built-in workload."""
    if name not in BUILTIN_WORKLOADS:
        raise SpecError(f"unknown built-in workload {name!r}; valid: {', '.join(BUILTIN_WORKLOADS)}")
    return Path(__file__).parent / name
