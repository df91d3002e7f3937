"""The user's own Go: a main package, a package's benchmarks, or a prebuilt image."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from orchestrator.build import BuildRecipe
from orchestrator.parsers.gobench import bench_metrics, parse_bench
from orchestrator.runners import RunRequest, RunResult
from orchestrator.workloads._base import WorkloadKind, user_recipe

_REPORTER_NOTE = ("no profile was written: a go_package or image program must import gctune's reporter "
                  "package (it writes them when GCTUNE_PROFILE_DIR is set)")


class _Program(WorkloadKind):
    """A program that imports gctune's reporter (or not): it is profiled through the reporter's hook."""

    profiling_note: ClassVar[str] = _REPORTER_NOTE
    can_profile: ClassVar[bool] = True

    def profiling_request(self, request: RunRequest, mount: str) -> RunRequest:
        return dataclasses.replace(request, env={**request.env, "GCTUNE_PROFILE_DIR": mount})


class GoPackageKind(_Program):
    """``go_package``: a main package of the user's module, built static."""

    def recipe(self, experiment: str | None) -> BuildRecipe:
        return user_recipe("go-package", self.workload.go_package, experiment)

    @property
    def has_source(self) -> bool:
        return True


class PrebuiltImageKind(_Program):
    """``image``: a local image holding a Go program; nothing is built or pulled."""

    @property
    def prebuilt_image(self) -> str:
        return self.workload.image


class GoBenchKind(WorkloadKind):
    """``go_bench``: a package's benchmarks, compiled with ``go test -c``, profiled with test flags."""

    profiling_note: ClassVar[str] = "no profile was written by the benchmark binary"
    can_profile: ClassVar[bool] = True

    def recipe(self, experiment: str | None) -> BuildRecipe:
        return user_recipe("go-bench", self.workload.go_bench.package, experiment, test_binary=True)

    @property
    def has_source(self) -> bool:
        return True

    def extra_metrics(self, run: RunResult, metrics: dict[str, Any]) -> dict[str, Any]:
        """ns/op, B/op, allocs/op and custom units; the window is complete only if the benchmarks passed."""
        bench = parse_bench(run.stdout)
        return {**bench_metrics(bench),
                "window_complete": bool(metrics.get("window_complete") and bench.passed and bench.results)}

    def profiling_request(self, request: RunRequest, mount: str) -> RunRequest:
        command = [*request.command, f"-test.cpuprofile={mount}/cpu.pprof", f"-test.memprofile={mount}/heap.pprof"]
        return dataclasses.replace(request, command=command)
