"""Typed errors. The CLI turns a :class:`GctuneError` into a one-line message and an exit code."""

from __future__ import annotations


class GctuneError(Exception):
    """Base of every error gctune reports to the user without a traceback."""

    exit_code = 1


class SpecError(GctuneError):
    """The experiment spec (or a command-line setting) is invalid: the user must fix their input."""

    exit_code = 2


class UsageError(GctuneError):
    """A command-line argument is invalid."""

    exit_code = 2


class ToolchainError(GctuneError):
    """The Go toolchain is missing or cannot build the workload."""


class BuildError(GctuneError):
    """Building the workload binary or its image failed."""


class EngineError(GctuneError):
    """The Docker engine is unreachable or refused a request."""


class StoreError(GctuneError):
    """The results cannot be written (a full or read-only file system); what finished is kept."""
