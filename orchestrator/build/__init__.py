"""Build stage: the Go toolchain and workload images."""

from orchestrator.build._image import BUILD_FLAGS, NONROOT_USER, WorkloadImage, build_image, source_hash
from orchestrator.build._toolchain import GoToolchain, find_toolchain

__all__ = ["BUILD_FLAGS", "NONROOT_USER", "GoToolchain", "WorkloadImage", "build_image", "find_toolchain",
           "source_hash"]
