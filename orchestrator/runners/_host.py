"""Facts of the machine an engine runs on, for the results' fingerprint."""

from __future__ import annotations

import os
import platform
from pathlib import Path

from orchestrator.results import GC_CPU_FLAGS, Fingerprint


def parse_cpuinfo(text: str) -> tuple[str | None, list[str]]:
    """The CPU model and the GC-relevant flags of the first processor in /proc/cpuinfo."""
    model, flags = None, []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and model is None:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            present = set(value.split())
            flags = [flag for flag in GC_CPU_FLAGS if flag in present]
    return model, flags


def local_fingerprint(cores: int | None, memory_bytes: int | None, engine: str, cgroup: str,
                      cpuinfo: Path = Path("/proc/cpuinfo"), kernel: str | None = None) -> Fingerprint:
    """This host as the engine reports it (cores, memory, kernel), with the CPU read from /proc/cpuinfo."""
    try:
        model, flags = parse_cpuinfo(cpuinfo.read_text())
    except OSError:
        model, flags = None, []
    return Fingerprint(cpu_model=model, cpu_flags=flags, architecture=platform.machine(),
                       cores=cores or os.cpu_count(), memory_bytes=memory_bytes,
                       kernel=kernel if kernel and kernel != "?" else platform.release(),
                       engine=engine, cgroup=cgroup)
