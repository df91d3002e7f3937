"""Every repeat of a configuration as a line of Go's benchmark format, so ``benchstat base.txt reco.txt``
compares gctune's measurements with benchstat's own statistics.

    goos: linux
    cpu: AMD EPYC
    BenchmarkQuickstart 1 12.7 gc-cpu-% 1.55e+08 peak-memory-B 13.0 latency-p99-ms

The iteration count is 1 (each line is one run); units are the metric names, dashed (see
:func:`benchstat_unit`), so benchstat shows them by name.
"""

from __future__ import annotations

import re

from orchestrator.results import Fingerprint, Measured

# The metrics worth comparing across configurations (numbers measured per repeat).
EXPORTED = ("gc_cpu_percent", "gc_cpu_seconds", "gc_cycles", "pause_ms_total", "pause_ms_max", "peak_memory_bytes",
            "peak_heap_bytes", "cpu_seconds", "throughput_ops_per_s", "latency_p50_ms", "latency_p99_ms",
            "latency_p999_ms", "ns_per_op", "bytes_per_op", "allocs_per_op")
_SUFFIXES = (("_percent", "-%"), ("_bytes", "-B"), ("_seconds", "-sec"), ("_per_s", "/s"), ("_per_op", "/op"))


def benchstat_unit(metric: str) -> str:
    """The metric's name as a benchstat unit: ``gc_cpu_percent`` -> ``gc-cpu-%``, ``peak_memory_bytes`` ->
    ``peak-memory-B`` (benchstat scales a ``B`` unit as bytes), ``throughput_ops_per_s`` -> ``throughput-ops/s``."""
    for suffix, unit in _SUFFIXES:
        if metric.endswith(suffix):
            return metric.removesuffix(suffix).replace("_", "-") + unit
    return metric.replace("_", "-")


def benchstat_text(name: str, measured: Measured, fingerprint: Fingerprint | None = None) -> str:
    """One ``Benchmark<Name>`` line per repeat of ``measured``, with the configuration lines first."""
    bench = "Benchmark" + (re.sub(r"[^A-Za-z0-9]+", "", name.title()) or "Gctune")
    columns = [m for m in EXPORTED if len(measured.repeat_values(m)) == (measured.repeats or 1)]
    header = ["goos: linux"]
    if fingerprint is not None and fingerprint.architecture:
        header.append(f"goarch: {'amd64' if fingerprint.architecture == 'x86_64' else fingerprint.architecture}")
    if fingerprint is not None and fingerprint.cpu_model:
        header.append(f"cpu: {fingerprint.cpu_model}")
    lines = []
    for index in range(measured.repeats or 1):
        pairs = " ".join(f"{measured.repeat_values(m)[index]:.6g} {benchstat_unit(m)}" for m in columns)
        lines.append(f"{bench} 1 {pairs}")
    return "\n".join(header + lines) + "\n"
