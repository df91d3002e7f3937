"""Workloads: the kinds of Go program gctune runs behind one interface, and the image each trial runs."""

from orchestrator.workloads._base import WorkloadKind
from orchestrator.workloads._builtin import BUILTIN_WORKLOADS, builtin_module_dir, builtin_source_dir
from orchestrator.workloads._images import (
    ImageSource, RecordedImage, WorkloadImages, prebuilt_image, recipe_for, toolchain_for)
from orchestrator.workloads._kinds import kind_for

__all__ = ["BUILTIN_WORKLOADS", "ImageSource", "RecordedImage", "WorkloadImages", "WorkloadKind",
           "builtin_module_dir", "builtin_source_dir", "kind_for", "prebuilt_image", "recipe_for",
           "toolchain_for"]
