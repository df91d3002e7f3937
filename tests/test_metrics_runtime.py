"""The trial metrics, measured in a real container, checked against the Go runtime's own counters."""

from __future__ import annotations

import json

import pytest

from conftest import gctune
from orchestrator.metrics._compute import (
    GC_TOTAL, go_gc_fraction, gc_share_of_busy, measurement_window, window_cycles)
from orchestrator.parsers.gctrace import parse_gctrace
from orchestrator.parsers.workload import Sample, parse_workload_output

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """
name: metrics-check
workload:
  builtin: service
  live_heap: 32MiB
  warmup: 1s
  duration: 3s
container:
  memory: 512MiB
  {cpus}
space:
  GOGC: 50
"""


def run_trial(tmp_path, name: str, *extra: str, cpus: str = "") -> tuple[dict, object, object]:
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(SPEC.format(cpus=cpus))
    out = tmp_path / name
    result = gctune("trial", str(spec), "--json", "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    return metrics, parse_workload_output((out / "workload.jsonl").read_text()), \
        parse_gctrace((out / "gctrace.txt").read_text())


@pytest.fixture(scope="module")
def uncapped(tmp_path_factory):
    """GOMAXPROCS = host CPUs and no CPU limit: Go's own denominator is then the true capacity."""
    return run_trial(tmp_path_factory.mktemp("uncapped"), "uncapped", "--set", "GOMAXPROCS=2")


def zero_sample() -> Sample:
    """The counters at process start: every cumulative value is zero."""
    return Sample(0.0, "start", "warmup", 0, {"NumGC": 0}, {}, 0.0, 0, 0)


def gc_p_seconds(window) -> float:
    """GC time in P-seconds between the window's samples (idle marking included), from the runtime."""
    return window.end.metric(GC_TOTAL) - window.start.metric(GC_TOTAL)


def test_window_formula_over_the_whole_run_equals_gccpufraction(uncapped):
    _, output, _ = uncapped
    final = output.samples[-1]
    assert final.memstats["NumGC"] > 10
    assert go_gc_fraction(zero_sample(), final) == pytest.approx(final.memstats["GCCPUFraction"], rel=1e-3)


def test_gc_cycles_are_the_gctrace_cycles_of_the_window(uncapped):
    metrics, output, trace = uncapped
    cycles = window_cycles(measurement_window(output), trace)
    assert metrics["gc_cycles"] == len(cycles) > 5
    numbers = [c.number for c in cycles]
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert trace.summary().missing_cycles == 0


def test_gc_time_agrees_with_the_gctrace_cpu_columns(uncapped):
    metrics, output, trace = uncapped
    window = measurement_window(output)
    cycles = window_cycles(window, trace)
    # gctrace prints the five per-cycle CPU terms; gc_cpu_seconds counts all of them.
    traced = sum(c.cpu_ms_total for c in cycles) / 1000
    assert gc_p_seconds(window) == pytest.approx(traced, rel=0.10, abs=0.002 * len(cycles))
    assert metrics["gc_cpu_seconds"] == pytest.approx(
        gc_share_of_busy(window.start, window.end) * metrics["cpu_seconds"], rel=1e-9)


def test_gc_cpu_is_bounded_by_the_runtime_p_time(uncapped):
    metrics, output, _ = uncapped
    window = measurement_window(output)
    # A P's wall-clock GC time is an upper bound of the CPU the OS gave it (less on a loaded host).
    assert 0 < metrics["gc_cpu_seconds"] <= 1.05 * gc_p_seconds(window)
    assert 0 < metrics["gc_cpu_percent"] <= 100


def test_pauses_agree_with_memstats_pause_total(uncapped):
    metrics, output, _ = uncapped
    window = measurement_window(output)
    runtime_ms = (window.end.memstats["PauseTotalNs"] - window.start.memstats["PauseTotalNs"]) / 1e6
    assert metrics["pause_ms_total"] == pytest.approx(runtime_ms, rel=0.25, abs=0.05 * metrics["gc_cycles"])
    assert 0 < metrics["pause_ms_max"] <= metrics["pause_ms_total"]


def test_throughput_time_and_cpu_are_consistent(uncapped):
    metrics, output, _ = uncapped
    assert metrics["wall_seconds"] == pytest.approx(output.summary["seconds"], rel=1e-6)
    assert metrics["throughput_ops_per_s"] == pytest.approx(output.summary["ops_per_s"], rel=1e-6)
    assert 3.0 <= metrics["wall_seconds"] < 4.0
    # Closed loop on 2 CPUs: the process keeps them busy, but cannot use more than it has.
    assert 1.0 * metrics["wall_seconds"] < metrics["cpu_seconds"] <= 2.1 * metrics["wall_seconds"]
    assert metrics["latency_p50_ms"] <= metrics["latency_p99_ms"] <= metrics["latency_p999_ms"]


def test_memory_peaks_are_ordered(uncapped):
    metrics, output, _ = uncapped
    # Whichever cgroup version the host has: v1 memory.max_usage_in_bytes or v2 memory.peak.
    assert metrics["peak_memory_source"] in ("cgroup v1 memory.max_usage_in_bytes", "cgroup v2 memory.peak")
    assert metrics["peak_heap_bytes"] >= max(s.memstats["HeapAlloc"] for s in output.samples)
    assert metrics["peak_heap_bytes"] >= 32 * 2**20  # the configured live heap
    # The cgroup charges every resident page of the process, so it sees at least the process's peak RSS.
    assert metrics["peak_memory_bytes"] >= 0.95 * metrics["peak_rss_bytes"]
    assert metrics["peak_memory_bytes"] <= 512 * 2**20


def test_a_cpu_limit_below_gomaxprocs_is_measured_against_the_real_capacity(tmp_path):
    metrics, output, _ = run_trial(tmp_path, "capped", "--set", "GOMAXPROCS=2", cpus="cpus: 0.5")
    window = measurement_window(output)
    assert metrics["effective_cpus"] == 0.5 and metrics["gomaxprocs"] == 2
    # The quota really bounds the process: it used at most half a CPU ...
    assert metrics["cpu_seconds"] <= 0.5 * metrics["wall_seconds"] * 1.1
    # ... and GC's share of that capacity is a share: never above 100%, unlike the runtime's
    # wall-clock P time scaled naively by GOMAXPROCS / CPUs.
    assert 0 < metrics["gc_cpu_percent"] <= 100
    assert metrics["gc_cpu_percent"] == pytest.approx(
        100 * gc_share_of_busy(window.start, window.end) * metrics["cpu_seconds"]
        / (0.5 * metrics["wall_seconds"]), rel=1e-9)
