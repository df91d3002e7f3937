"""Compute a trial's metrics from what the workload, the gctrace and the runner reported.

Pure functions: parsed records in, a flat metrics dict out. The definitions are in ``orchestrator.definitions``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from orchestrator.parsers.gctrace import GCCycle, GCTrace
from orchestrator.parsers.workload import Sample, WorkloadOutput
from orchestrator.runners import RunResult

MIB = 2**20
GC_TOTAL = "/cpu/classes/gc/total:cpu-seconds"
GC_IDLE = "/cpu/classes/gc/mark/idle:cpu-seconds"
CPU_TOTAL = "/cpu/classes/total:cpu-seconds"
CPU_IDLE = "/cpu/classes/idle:cpu-seconds"
GOMAXPROCS = "/sched/gomaxprocs:threads"
LIMITER = "/gc/limiter/last-enabled:gc-cycle"
GO_MAPPED = "/memory/classes/total:bytes"
GO_RELEASED = "/memory/classes/heap/released:bytes"


@dataclass(frozen=True)
class Window:
    """The measurement window: its first and last sample; incomplete when the run was cut short."""

    start: Sample
    end: Sample
    complete: bool


def measurement_window(output: WorkloadOutput) -> Window | None:
    """From the window_start sample to window_end (or the last measured sample of a cut run)."""
    start = output.sample_at("window_start")
    if start is None:
        return None
    end = output.sample_at("window_end")
    if end is not None:
        return Window(start, end, complete=True)
    later = [s for s in output.samples if s.t > start.t]
    return Window(start, later[-1], complete=False) if later else None


def go_gc_fraction(start: Sample, end: Sample) -> float:
    """GC's share of GOMAXPROCS x wall time between two samples: MemStats.GCCPUFraction, windowed.

    The runtime's CPU classes are snapshots taken at the end of each GC cycle, so numerator and
    denominator cover the same span: from the last GC end before ``start`` to the last before ``end``.
    """
    total = end.metric(CPU_TOTAL) - start.metric(CPU_TOTAL)
    return (_gc_busy(end) - _gc_busy(start)) / total if total > 0 else 0.0


def gc_share_of_busy(start: Sample, end: Sample) -> float:
    """GC's share of the time Ps were busy (not idle) between two samples, from the runtime's classes.

    Idle-priority mark work counts: Go leaves it out of GCCPUFraction as free, but inside a CPU quota
    it spends the same CPU budget as any other work.
    """
    busy = (end.metric(CPU_TOTAL) - end.metric(CPU_IDLE)) - (start.metric(CPU_TOTAL) - start.metric(CPU_IDLE))
    return (end.metric(GC_TOTAL) - start.metric(GC_TOTAL)) / busy if busy > 0 else 0.0


def gc_cpu(window: Window, effective_cpus: float) -> tuple[float, float]:
    """GC CPU seconds in the window and their share of the CPU capacity the program had, in percent.

    The runtime times GC work by the wall clock of its Ps, which overstates CPU when the container's
    quota throttles them. So the runtime only gives GC's share of busy P time; that share is applied
    to the CPU time the OS measured for the process (getrusage), and divided by the real capacity.
    """
    start, end = window.start, window.end
    gc_seconds = gc_share_of_busy(start, end) * (end.rusage_cpu_s - start.rusage_cpu_s)
    wall = end.t - start.t
    return gc_seconds, 100.0 * gc_seconds / (effective_cpus * wall) if wall > 0 else 0.0


def effective_cpus(gomaxprocs: float, cpus_limit: float | None, host_cpus: int | None) -> float:
    """The CPUs the Go program can really use at once: the smallest of its three caps."""
    caps = [gomaxprocs, cpus_limit or math.inf, float(host_cpus or math.inf)]
    return max(min(caps), 1e-9)


def window_cycles(window: Window, trace: GCTrace) -> list[GCCycle]:
    """The gctrace cycles that ended inside the window, matched by cycle number (= MemStats.NumGC)."""
    first, last = int(window.start.memstats.get("NumGC", 0)), int(window.end.memstats.get("NumGC", 0))
    return [c for c in _last_process(trace) if first < c.number <= last]


def compute_metrics(output: WorkloadOutput, trace: GCTrace, run: RunResult, cpus_limit: float | None,
                    warmup_s: float = 0.0, measured_from_gctrace: bool = False) -> dict[str, Any]:
    """All trial metrics as a flat dict (None where the run did not produce the data).

    With runtime samples (the built-in workload, or a program using gctune's reporter package) the
    window metrics come from them; otherwise, when ``measured_from_gctrace`` (a program without
    gctune's reporter), from the gctrace and the container's cgroup.
    """
    window = measurement_window(output)
    metrics: dict[str, Any] = {
        **_memory_metrics(output, trace, run),
        "oom_killed": run.oom_killed, "timed_out": run.timed_out, "exit_code": run.exit_code,
        "oom_signals": run.oom_signals, "stopped_early": run.stopped_early,
        "window_complete": bool(window and (window.complete or run.stopped_as_planned)),
        "go_version": (output.start or {}).get("go_version"),
    }
    if window is not None:
        metrics.update(_window_metrics(window, output, trace, cpus_limit, run.host_cpus))
        metrics["metrics_source"] = "runtime samples"
    elif measured_from_gctrace:
        metrics.update(trace_metrics(trace, run, cpus_limit, warmup_s))
        metrics["window_complete"] = run.exit_code == 0 or run.stopped_as_planned
        metrics["metrics_source"] = "gctrace"
    return metrics


def trace_metrics(trace: GCTrace, run: RunResult, cpus_limit: float | None, warmup_s: float) -> dict[str, Any]:
    """Window metrics of a program without runtime samples, from its gctrace and its cgroup.

    The window runs from the warm-up to the end of the run. GC CPU is the sum of the five gctrace CPU
    terms of the cycles that started in it: the runtime's own estimate in P time, which overstates
    CPU when a quota throttles the program (import gctune's reporter package for the exact measure).
    """
    cycles = [c for c in _last_process(trace) if c.at_s >= warmup_s]
    span = max(run.wall_seconds - warmup_s, 1e-9)
    procs = float(cycles[-1].procs) if cycles else float(run.host_cpus or 1)
    cpus = effective_cpus(procs, cpus_limit, run.host_cpus)
    gc_seconds = sum(c.cpu_ms_total for c in cycles) / 1000
    pauses = [c.pause_ms for c in cycles]
    return {
        "gc_cpu_percent": min(100.0, 100.0 * gc_seconds / (cpus * span)),
        "gc_cpu_seconds": gc_seconds,
        "gc_cycles": len(cycles),
        "pause_ms_total": sum(pauses),
        "pause_ms_max": max(pauses, default=0.0),
        "cpu_seconds": run.cpu_seconds,
        "wall_seconds": span,
        "gomaxprocs": int(procs),
        "effective_cpus": cpus,
    }


def _window_metrics(window: Window, output: WorkloadOutput, trace: GCTrace, cpus_limit: float | None,
                    host_cpus: int | None) -> dict[str, Any]:
    start, end = window.start, window.end
    procs = end.metric(GOMAXPROCS, 1.0)
    cpus = effective_cpus(procs, cpus_limit, host_cpus)
    gc_seconds, gc_percent = gc_cpu(window, cpus)
    wall = end.t - start.t
    cycles = window_cycles(window, trace)
    gc_count = int(end.memstats.get("NumGC", 0) - start.memstats.get("NumGC", 0))
    summary = output.summary if window.complete else None
    ops = summary["ops"] if summary else end.ops - start.ops
    latency = (summary or {}).get("latency_ms", {})
    return {
        "gc_cpu_percent": gc_percent,
        "gc_cpu_seconds": gc_seconds,
        "gc_cpu_percent_go": 100.0 * go_gc_fraction(start, end),
        "gc_cycles": gc_count,
        **_pauses(cycles, gc_count, start, end),
        "cpu_seconds": end.rusage_cpu_s - start.rusage_cpu_s,
        "wall_seconds": wall,
        "throughput_ops_per_s": ops / wall if wall > 0 else None,
        "latency_p50_ms": latency.get("p50"),
        "latency_p99_ms": latency.get("p99"),
        "latency_p999_ms": latency.get("p999"),
        "gc_limiter_engaged": end.metric(LIMITER) > start.memstats.get("NumGC", 0),
        "gomaxprocs": int(procs),
        "effective_cpus": cpus,
    }


def _pauses(cycles: list[GCCycle], gc_count: int, start: Sample, end: Sample) -> dict[str, float | None]:
    if cycles or gc_count == 0:
        pauses = [c.pause_ms for c in cycles]
        return {"pause_ms_total": sum(pauses), "pause_ms_max": max(pauses, default=0.0)}
    # No gctrace for these cycles (GODEBUG overridden?): fall back to the runtime's own pause total.
    total_ns = end.memstats.get("PauseTotalNs", 0) - start.memstats.get("PauseTotalNs", 0)
    return {"pause_ms_total": total_ns / 1e6, "pause_ms_max": None}


def _memory_metrics(output: WorkloadOutput, trace: GCTrace, run: RunResult) -> dict[str, Any]:
    peak_rss = max((s.peak_rss_bytes for s in output.samples), default=0) or None
    traced = max((max(c.heap_start_mb, c.heap_end_mb) * MIB for c in trace.cycles), default=0)
    sampled = max((int(s.memstats.get("HeapAlloc", 0)) for s in output.samples), default=0)
    if run.peak_memory_bytes is not None:
        peak, source = run.peak_memory_bytes, run.peak_memory_source
    else:
        peak, source = peak_rss, "workload VmHWM (cgroup not readable)" if peak_rss else None
    go_peak = peak_go_memory(output.samples)
    return {
        "peak_memory_bytes": peak,
        "peak_memory_source": source,
        "peak_heap_bytes": max(traced, sampled) or None,
        "peak_rss_bytes": peak_rss,
        "peak_go_memory_bytes": go_peak,
        "memory_outside_go_bytes": peak - go_peak if peak is not None and go_peak is not None else None,
    }


def peak_go_memory(samples: Sequence[Sample]) -> int | None:
    """The most memory the Go runtime held at a sample: /memory/classes/total minus the heap it released to
    the OS (mapped but not resident); None when the samples lack the counters (an older reporter)."""
    held = [int(s.metrics[GO_MAPPED] - s.metrics.get(GO_RELEASED, 0)) for s in samples if GO_MAPPED in s.metrics]
    return max(held) if held else None


def _gc_busy(sample: Sample) -> float:
    """Cumulative GC CPU seconds without idle-priority marking, as in MemStats.GCCPUFraction."""
    return sample.metric(GC_TOTAL) - sample.metric(GC_IDLE)


def _last_process(trace: GCTrace) -> list[GCCycle]:
    """Cycles of the last process in the stream (a restart begins again at gc 1)."""
    cycles = list(trace.cycles)
    restarts = [i for i in range(1, len(cycles)) if cycles[i].number <= cycles[i - 1].number]
    return cycles[restarts[-1]:] if restarts else cycles
