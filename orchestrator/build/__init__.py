"""Build stage: the Go toolchain and workload images."""

from orchestrator.build._image import (
    BUILD_FLAGS, NONROOT_USER, BuildRecipe, WorkloadImage, build_image, source_hash)
from orchestrator.build._toolchain import GoToolchain, find_toolchain
from orchestrator.build._versions import (
    available_versions, binary_go_version, ensure_toolchain, goexperiment_env, toolchain_cache,
)

__all__ = ["BUILD_FLAGS", "NONROOT_USER", "BuildRecipe", "GoToolchain", "WorkloadImage", "available_versions",
           "binary_go_version", "build_image", "ensure_toolchain", "find_toolchain",
           "goexperiment_env", "source_hash", "toolchain_cache"]
