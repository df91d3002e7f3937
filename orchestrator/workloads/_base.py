"""One interface for every kind of workload: how it is built, started, measured and profiled.

The kinds (the built-in service, a user's main package, a user's benchmarks, a prebuilt image) differ
only here; the rest of gctune asks the kind instead of testing which kind it has.
"""

from __future__ import annotations

import abc
import re
from typing import Any, ClassVar

from orchestrator.build import BuildRecipe
from orchestrator.runners import RunRequest, RunResult
from orchestrator.spec import Spec, module_root


class WorkloadKind(abc.ABC):
    """The behaviour of one kind of workload of a spec."""

    # Whether a run without runtime samples can still be measured from its gctrace and cgroup
    # (false for the built-in service, which always reports samples: their absence is a failure).
    measured_from_gctrace: ClassVar[bool] = True

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.workload: Any = spec.workload

    def recipe(self, experiment: str | None) -> BuildRecipe | None:
        """How to build the program with a GOEXPERIMENT (None: the kind builds nothing)."""
        return None

    @property
    def prebuilt_image(self) -> str | None:
        """The local image to run as it is, for kinds that build nothing."""
        return None

    def command(self) -> list[str]:
        """The argv given to the image's entrypoint."""
        return self.workload.argv()

    def environment(self) -> dict[str, str]:
        """Variables this kind's programs read besides Go's GC knobs."""
        warmup = getattr(self.workload, "warmup", 0.0)
        return {"GCTUNE_WARMUP": f"{int(warmup * 1000)}ms"} if warmup else {}  # for gctune's reporter package

    @property
    def stop_after_s(self) -> float | None:
        """When gctune stops the program as planned (a server that runs until told): warm-up + duration."""
        return self.workload.planned_run_s

    def extra_metrics(self, run: RunResult, metrics: dict[str, Any]) -> dict[str, Any]:
        """Metrics only this kind reports (benchmark results), merged over the common ones."""
        return {}

    can_profile: ClassVar[bool] = False

    def profiling_request(self, request: RunRequest, mount: str) -> RunRequest:
        """The run that writes cpu.pprof and heap.pprof into ``mount`` (only when ``can_profile``)."""
        raise NotImplementedError(self.profiling_note)

    profiling_note: ClassVar[str] = "profiles are taken of your own program (go_package, go_bench or image workloads)"

    @property
    def has_source(self) -> bool:
        """Whether gctune has the Go source (for escape analysis)."""
        return False


def user_recipe(name: str, folder, experiment: str | None, test_binary: bool = False) -> BuildRecipe:
    """The recipe of a package folder of the user's module (the spec checked it is inside one)."""
    root = module_root(folder)
    assert root is not None  # the spec validated the folder
    package = str(folder.relative_to(root)) if folder != root else "."
    slug = re.sub(r"[^a-z0-9.-]+", "-", folder.name.lower()).strip("-.") or "workload"
    return BuildRecipe(name=f"{name}-{slug}", module_dir=root, package=package, test_binary=test_binary,
                       experiment=experiment)
