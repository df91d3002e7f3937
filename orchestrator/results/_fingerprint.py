"""The machine a measurement was taken on: what changes GC speed between hosts.

The same image and spec measured 12.7% GC CPU on an Intel Xeon and 15.7-17.5% on an AMD EPYC with
AVX-512, while repeats on one machine agree within a few percent. So results carry a fingerprint, and
nights (and trials) are compared only within one.
"""

from __future__ import annotations

import hashlib
import json

from pydantic import Field

from orchestrator.results._base import ResultModel

# CPU features that change how fast the collector scans (Green Tea uses vector instructions).
GC_CPU_FLAGS = ("avx2", "avx512f", "avx512bw", "avx512vl", "avx512vbmi", "avx512_vbmi2", "bmi2", "erms", "fsrm",
                "gfni", "vaes", "amx_tile")


# What makes two fingerprints "the same machine". Memory size and the kernel's patch level are recorded
# but left out: they move with upgrades that do not change GC speed worth a new history. The Go build
# is kept apart: a night on a new Go release is still compared (that is a regression worth seeing),
# with the change named.
MACHINE = ("cpu_model", "cpu_flags", "architecture", "cores", "engine", "cgroup")
BUILD = ("go_version", "go_experiment")


class Fingerprint(ResultModel):
    cpu_model: str | None = None
    cpu_flags: list[str] = Field(default_factory=list)  # the GC_CPU_FLAGS this CPU has
    architecture: str | None = None
    cores: int | None = None
    memory_bytes: int | None = None
    kernel: str | None = None
    engine: str | None = None  # e.g. "docker 20.10.24"
    cgroup: str | None = None
    go_version: str | None = None  # the Go build measured
    go_experiment: str | None = None

    @property
    def machine_id(self) -> str:
        """Equal for two fingerprints of the same machine and engine, whatever Go build they measured."""
        basis = {name: getattr(self, name) for name in MACHINE}
        return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()[:12]

    def differences(self, other: Fingerprint, fields: tuple[str, ...] = MACHINE + BUILD) -> list[str]:
        """What changed from ``other`` to this one, as ``cpu_model: X -> Y``."""
        return [f"{name}: {getattr(other, name)} -> {getattr(self, name)}" for name in fields
                if getattr(self, name) != getattr(other, name)]
