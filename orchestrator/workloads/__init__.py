"""Workloads: the built-in Go programs gctune ships, and the image each trial runs."""

from orchestrator.workloads._builtin import BUILTIN_WORKLOADS, builtin_source_dir
from orchestrator.workloads._images import WorkloadImages, prebuilt_image, recipe_for, toolchain_for

__all__ = ["BUILTIN_WORKLOADS", "WorkloadImages", "builtin_source_dir", "prebuilt_image", "recipe_for",
           "toolchain_for"]
