"""Read a measured configuration's raw repeats (gctrace, runtime samples, metrics) into an Observation.

The one place the model touches files: a folder of ``repeat-N/`` runs as ``gctune run`` keeps them
(``baseline/``, ``trials/NNNN/``) and as the replay captures hold them. Repeats that did not measure a
whole window with at least one GC cycle (an OOM kill, thrashing, a crash) are left out.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from orchestrator.metrics import measurement_window, window_cycles
from orchestrator.model._base import MIB, Observation
from orchestrator.parsers.gctrace import GCCycle, parse_gctrace
from orchestrator.parsers.workload import Sample, parse_workload_output
from orchestrator.results import is_number


def observe_folder(folder: Path, label: str | None = None) -> Observation | None:
    """The medians over a configuration's usable repeats; None when none is usable."""
    repeats = [r for r in (_repeat(p) for p in sorted(Path(folder).glob("repeat-*"))) if r is not None]
    if not repeats:
        return None
    params = repeats[0].pop("params")
    for other in repeats[1:]:
        other.pop("params")
    medians = {key: statistics.median(r[key] for r in repeats) for key in repeats[0]
               if all(r[key] is not None for r in repeats)}
    gogc = params.get("GOGC")
    return Observation(
        label=label or Path(folder).name, gogc=None if gogc == "off" else int(gogc),
        gomemlimit_bytes=params.get("GOMEMLIMIT"), memory_bytes=params.get("memory"), repeats=len(repeats),
        peak_memory_bytes=medians.pop("peak_memory_bytes", None), peak_heap_bytes=medians.pop("peak_heap_bytes", None),
        **medians)


def observe_run(run_dir: Path) -> list[Observation]:
    """Every usable configuration of a gctune run folder: the baseline, then each trial in number order."""
    root = Path(run_dir)
    folders = [("baseline", root / "baseline")] + [
        (f"trial {int(p.name)}", p) for p in sorted((root / "trials").glob("[0-9]*")) if p.name.isdigit()]
    found = (observe_folder(folder, label) for label, folder in folders if folder.is_dir())
    return [o for o in found if o is not None]


def _repeat(folder: Path) -> dict[str, Any] | None:
    """One run's figures, or None when it did not measure a complete window with a GC cycle."""
    try:
        metrics = json.loads((folder / "metrics.json").read_text())
        trace = parse_gctrace((folder / "gctrace.txt").read_text())
        output = parse_workload_output((folder / "workload.jsonl").read_text())
    except (OSError, ValueError):
        return None
    window = measurement_window(output)
    needed = ("gc_cpu_seconds", "gc_cycles", "wall_seconds", "effective_cpus", "gc_cpu_percent")
    if (window is None or not metrics.get("window_complete") or metrics.get("oom_killed")
            or metrics.get("thrashing") or not all(is_number(metrics.get(k)) for k in needed)):
        return None
    cycles = window_cycles(window, trace)
    if not cycles or metrics["gc_cycles"] < 1:
        return None
    return {
        "params": metrics.get("params") or {},
        "live_bytes": statistics.median(c.live_mb for c in cycles) * MIB,
        "roots_bytes": statistics.median((c.stacks_mb or 0) + (c.globals_mb or 0) for c in cycles) * MIB,
        "goal_bytes": statistics.median(c.goal_mb for c in cycles) * MIB,
        "alloc_bytes_per_s": _allocation_rate(window.start, window.end, cycles),
        "gc_cycles": float(metrics["gc_cycles"]), "wall_s": float(metrics["wall_seconds"]),
        "gc_cpu_seconds": float(metrics["gc_cpu_seconds"]), "gc_cpu_percent": float(metrics["gc_cpu_percent"]),
        "effective_cpus": float(metrics["effective_cpus"]),
        "stw_share": _stw_share(cycles),
        "runtime_other_bytes": statistics.median(_runtime_other(s) for s in output.samples if s.phase == "measure"
                                                 ) if any(s.phase == "measure" for s in output.samples) else 0.0,
        "peak_memory_bytes": _number(metrics.get("peak_memory_bytes")),
        "peak_heap_bytes": _number(metrics.get("peak_heap_bytes")),
    }


def _allocation_rate(start: Sample, end: Sample, cycles: list[GCCycle]) -> float:
    """Bytes allocated per second over the window: the growth of HeapAlloc plus what each cycle freed
    (heap at mark end minus the live heap it marked)."""
    freed = sum(max(c.heap_end_mb - c.live_mb, 0) for c in cycles) * MIB
    grown = end.memstats.get("HeapAlloc", 0) - start.memstats.get("HeapAlloc", 0)
    wall = end.t - start.t
    return max(grown + freed, 0.0) / wall if wall > 0 else 0.0


def _stw_share(cycles: list[GCCycle]) -> float:
    total = sum(c.cpu_ms_total for c in cycles)
    return sum(c.cpu_ms[0] + c.cpu_ms[4] for c in cycles) / total if total > 0 else 0.0


def _runtime_other(sample: Sample) -> float:
    """Memory the runtime has mapped that is neither free heap nor heap objects (stacks, metadata,
    fragmentation): what GOMEMLIMIT counts besides the heap objects."""
    stats = sample.memstats
    return max(stats.get("Sys", 0) - stats.get("HeapIdle", 0) - stats.get("HeapAlloc", 0), 0.0)


def _number(value: Any) -> float | None:
    return float(value) if is_number(value) else None
