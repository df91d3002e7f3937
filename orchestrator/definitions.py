"""The trial metrics: one name, unit and written definition each.

These definitions are the contract: the README's metric table repeats them, and the tests check the
computed values against the Go runtime's own counters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class MetricDefinition:
    name: str
    unit: str
    kind: Literal["number", "bool"]
    definition: str


_WINDOW = "over the measurement window (after warm-up)"

METRICS: dict[str, MetricDefinition] = {
    m.name: m
    for m in [
        MetricDefinition(
            "gc_cpu_percent", "%", "number",
            "gc_cpu_seconds divided by the CPU capacity the program had in the measurement window "
            "(effective_cpus x wall_seconds), x100. effective_cpus is min(GOMAXPROCS, container CPU "
            "limit, host CPUs)."),
        MetricDefinition(
            "gc_cpu_seconds", "s", "number",
            "CPU seconds spent on GC in the window: GC's share of busy P time times cpu_seconds. The "
            "share is the change in the runtime/metrics counter /cpu/classes/gc/total (assist, "
            "background and idle-priority marking, and pauses) divided by the change in "
            "/cpu/classes/total minus /cpu/classes/idle, between the window's first and last samples."),
        MetricDefinition(
            "gc_cpu_percent_go", "%", "number",
            "Go's own definition over the window, for comparison: MemStats.GCCPUFraction restricted to "
            "the window, x100 - the change in /cpu/classes/gc/total minus /cpu/classes/gc/mark/idle, "
            "divided by the change in /cpu/classes/total (GOMAXPROCS x wall time)."),
        MetricDefinition(
            "gc_cycles", "cycles", "number",
            f"GC cycles completed {_WINDOW}: the change in MemStats.NumGC."),
        MetricDefinition(
            "pause_ms_total", "ms", "number",
            "Sum over the window's GC cycles of the two stop-the-world phases (sweep termination + "
            "mark termination wall-clock time, the first and third 'clock' terms of each gctrace line)."),
        MetricDefinition(
            "pause_ms_max", "ms", "number",
            "Largest per-cycle stop-the-world total (as in pause_ms_total) among the window's cycles."),
        MetricDefinition(
            "peak_memory_bytes", "bytes", "number",
            "Highest memory use of the container over the whole run, from the cgroup (v1 "
            "memory.max_usage_in_bytes, v2 memory.peak); where the cgroup cannot be read, the "
            "workload's own peak RSS (VmHWM). peak_memory_source says which."),
        MetricDefinition(
            "peak_heap_bytes", "bytes", "number",
            "Largest Go heap seen over the whole run: the maximum of every sampled MemStats.HeapAlloc "
            "and every gctrace heap-at-GC-start and heap-at-mark-end (MiB, floored)."),
        MetricDefinition(
            "peak_rss_bytes", "bytes", "number",
            "The workload process's own peak resident set size (VmHWM from /proc/self/status)."),
        MetricDefinition(
            "peak_go_memory_bytes", "bytes", "number",
            "Most memory the Go runtime held at any sample over the whole run: the runtime/metrics counter "
            "/memory/classes/total:bytes (all memory the runtime maps read-write) minus "
            "/memory/classes/heap/released:bytes (heap returned to the OS, mapped but not resident). Needs "
            "runtime samples (the built-in workload or gctune's reporter package)."),
        MetricDefinition(
            "memory_outside_go_bytes", "bytes", "number",
            "Memory the container used that the Go runtime does not manage: peak_memory_bytes minus "
            "peak_go_memory_bytes (cgo and syscall mappings, page cache charged to the cgroup, other "
            "processes, the binary's own pages). The two peaks may fall at different moments, so this is "
            "the container's peak above the runtime's peak, not a simultaneous reading."),
        MetricDefinition(
            "cpu_seconds", "s", "number",
            f"CPU time (user + system, from getrusage) the workload process used {_WINDOW}."),
        MetricDefinition(
            "wall_seconds", "s", "number",
            "Wall-clock length of the measurement window, from its first to its last sample."),
        MetricDefinition(
            "throughput_ops_per_s", "ops/s", "number",
            f"Operations completed {_WINDOW} divided by wall_seconds."),
        MetricDefinition(
            "latency_p50_ms", "ms", "number",
            f"Median operation latency {_WINDOW}; in open loop measured from the intended start "
            "time, so queueing delay caused by GC counts."),
        MetricDefinition(
            "latency_p99_ms", "ms", "number", f"99th percentile operation latency {_WINDOW}."),
        MetricDefinition(
            "latency_p999_ms", "ms", "number", f"99.9th percentile operation latency {_WINDOW}."),
        MetricDefinition(
            "ns_per_op", "ns", "number",
            "go_bench workloads: nanoseconds per benchmark operation as `go test -bench` reports it; with "
            "several benchmarks or counts, the geometric mean over every result line (as benchstat)."),
        MetricDefinition(
            "bytes_per_op", "bytes", "number",
            "go_bench workloads: bytes allocated per operation (-benchmem B/op), geometric mean as ns_per_op."),
        MetricDefinition(
            "allocs_per_op", "allocs", "number",
            "go_bench workloads: heap allocations per operation (-benchmem allocs/op), geometric mean."),
        MetricDefinition(
            "gc_limiter_engaged", "", "bool",
            "True when the GC CPU limiter was enabled during the window: "
            "/gc/limiter/last-enabled:gc-cycle moved to a cycle inside the window."),
        MetricDefinition(
            "oom_killed", "", "bool",
            "True when the kernel's OOM killer ended the workload (engine flag, OOM event, or a "
            "SIGKILL we did not send with the cgroup's OOM counter raised or memory at its limit)."),
        MetricDefinition(
            "timed_out", "", "bool", "True when gctune killed the container at the trial timeout."),
        MetricDefinition(
            "exit_code", "", "number", "The workload's exit status (137 = SIGKILL)."),
    ]
}

METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
_CUSTOM_BENCH_RE = re.compile(r"^[a-z][a-z0-9_]*_per_(op|s)$")


def metric_definition(name: str) -> MetricDefinition | None:
    """A metric's definition; benchmark metrics a program reports itself (``b.ReportMetric``) are
    accepted by their shape, ``<unit>_per_op`` or ``<unit>_per_s``."""
    if name in METRICS:
        return METRICS[name]
    if isinstance(name, str) and _CUSTOM_BENCH_RE.match(name):
        return MetricDefinition(name, "", "number", "a go_bench workload's own metric (b.ReportMetric).")
    return None
