"""Built-in Go workloads shipped inside the package (stdlib-only Go sources).

Their main packages live in the reporter's module (``reporter/cmd/<name>``), so that they share its
internal sampling package with programs that import the reporter.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.errors import SpecError

BUILTIN_WORKLOADS = ("service",)

_MODULE_DIR = Path(__file__).parent / "reporter"


def builtin_module_dir() -> Path:
    """The root of the Go module (gctune.dev/reporter) that holds the built-in workloads."""
    return _MODULE_DIR


def builtin_source_dir(name: str) -> Path:
    """The folder holding the Go main package of a built-in workload."""
    if name not in BUILTIN_WORKLOADS:
        raise SpecError(f"unknown built-in workload {name!r}; valid: {', '.join(BUILTIN_WORKLOADS)}")
    return _MODULE_DIR / "cmd" / name
