"""The built-in workloads shipped inside gctune (stdlib-only Go sources).

Their main packages live in the reporter's module (``reporter/cmd/<name>``), so that they share its
internal sampling package with programs that import the reporter.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from orchestrator.build import BuildRecipe
from orchestrator.errors import SpecError
from orchestrator.workloads._base import WorkloadKind

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


class BuiltinWorkload(WorkloadKind):
    """``builtin: service``: always reports runtime samples, ends by itself after warm-up + duration."""

    measured_from_gctrace: ClassVar[bool] = False

    def recipe(self, experiment: str | None) -> BuildRecipe:
        package = builtin_source_dir(self.workload.builtin).relative_to(_MODULE_DIR).as_posix()
        return BuildRecipe(name=self.workload.builtin, module_dir=_MODULE_DIR, package=package,
                           experiment=experiment, own_go_directive=True)

    def environment(self) -> dict[str, str]:
        return {}  # its warm-up is a flag

    @property
    def stop_after_s(self) -> float | None:
        return None  # it stops itself
