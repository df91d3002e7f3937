"""``trace_metrics``: the window metrics of a program without runtime samples, on real gctrace captures.

The captures are tests/data/gctrace/ (real GODEBUG=gctrace=1 output). Expected values are computed
here from the raw lines with plain ``str.split``, independently of the gctrace parser.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from orchestrator.metrics import trace_metrics
from orchestrator.parsers.gctrace import parse_gctrace
from orchestrator.runners import RunResult

DATA = Path(__file__).parent / "data" / "gctrace"


def gc_lines(name: str) -> list[str]:
    return [line for line in (DATA / name).read_text().splitlines() if line.startswith("gc ")]


def at_s(line: str) -> float:
    return float(line.split()[2].removeprefix("@").removesuffix("s"))


def cpu_ms(line: str) -> float:
    """The five CPU terms ``a+b/c/d+e ms cpu`` of a gc line, added."""
    terms = line.split(" ms clock, ")[1].split(" ms cpu")[0]
    return math.fsum(float(v) for v in terms.replace("/", "+").split("+"))


def procs(line: str) -> int:
    return int(line.split(", ")[-1].split()[0])


def run(text: str, wall_seconds: float, host_cpus: int = 2) -> RunResult:
    return RunResult(stdout="", stderr=text, exit_code=0, wall_seconds=wall_seconds, cpu_seconds=1.25,
                     host_cpus=host_cpus)


def metrics(name: str, wall_seconds: float, warmup_s: float, cpus_limit: float | None = None,
            text: str | None = None, host_cpus: int = 2) -> dict:
    text = (DATA / name).read_text() if text is None else text
    return trace_metrics(parse_gctrace(text), run(text, wall_seconds, host_cpus), cpus_limit, warmup_s)


def test_cycles_before_the_warm_up_are_left_out():
    lines = gc_lines("go1.27.3.txt")
    warmup = at_s(lines[len(lines) // 2])
    kept = [line for line in lines if at_s(line) >= warmup]
    assert 0 < len(kept) < len(lines)
    result = metrics("go1.27.3.txt", wall_seconds=1.0, warmup_s=warmup)
    assert result["gc_cycles"] == len(kept)
    assert result["gc_cpu_seconds"] == pytest.approx(math.fsum(cpu_ms(line) for line in kept) / 1000)


@pytest.mark.parametrize("name", ["go1.21.13.txt", "go1.23.9.txt", "go1.25.5.txt", "go1.26.6.txt", "go1.27.3.txt"])
def test_gc_seconds_are_the_sum_of_the_cycles_cpu_terms(name):
    lines = gc_lines(name)
    result = metrics(name, wall_seconds=10.0, warmup_s=0.0)
    assert result["gc_cycles"] == len(lines)
    assert result["gc_cpu_seconds"] == pytest.approx(math.fsum(cpu_ms(line) for line in lines) / 1000, rel=1e-12)


def test_the_percent_is_gc_seconds_over_the_cpu_capacity_of_the_window():
    lines = gc_lines("go1.27.3-periodic.txt")
    warmup, wall, limit = 100.0, 130.0, 1.5
    kept = [line for line in lines if at_s(line) >= warmup]
    result = metrics("go1.27.3-periodic.txt", wall_seconds=wall, warmup_s=warmup, cpus_limit=limit)
    cpus = min(procs(kept[-1]), limit, 2)
    assert result["effective_cpus"] == cpus and result["gomaxprocs"] == procs(kept[-1])
    assert result["wall_seconds"] == pytest.approx(wall - warmup)
    gc_seconds = math.fsum(cpu_ms(line) for line in kept) / 1000
    assert result["gc_cpu_percent"] == pytest.approx(100 * gc_seconds / (cpus * (wall - warmup)))
    assert result["cpu_seconds"] == 1.25  # the cgroup's CPU time, passed through


def test_pauses_are_the_two_stop_the_world_clock_terms():
    lines = gc_lines("go1.26.6.txt")
    pauses = [float(c[0]) + float(c[2]) for c in
              (line.split(": ")[1].split(" ms clock")[0].split("+") for line in lines)]
    result = metrics("go1.26.6.txt", wall_seconds=10.0, warmup_s=0.0)
    assert result["pause_ms_total"] == pytest.approx(math.fsum(pauses))
    assert result["pause_ms_max"] == pytest.approx(max(pauses))


def test_the_percent_is_capped_at_100():
    lines = gc_lines("go1.27.3.txt")
    gc_seconds = math.fsum(cpu_ms(line) for line in lines) / 1000
    wall = gc_seconds / 10  # a window far shorter than the GC time in it (e.g. P time under throttling)
    result = metrics("go1.27.3.txt", wall_seconds=wall, warmup_s=0.0, cpus_limit=1.0)
    assert 100 * gc_seconds / wall > 100
    assert result["gc_cpu_percent"] == 100.0
    assert result["gc_cpu_seconds"] == pytest.approx(gc_seconds)  # the seconds are not capped


def test_only_the_last_process_counts_after_a_restart():
    first, second = (DATA / "go1.26.6.txt").read_text(), (DATA / "go1.27.3.txt").read_text()
    assert gc_lines("go1.27.3.txt")[0].startswith("gc 1 ")  # the second process begins again at gc 1
    result = metrics("", wall_seconds=10.0, warmup_s=0.0, text=first + second)
    lines = gc_lines("go1.27.3.txt")
    assert len(lines) != len(gc_lines("go1.26.6.txt"))
    assert result["gc_cycles"] == len(lines)
    assert result["gc_cpu_seconds"] == pytest.approx(math.fsum(cpu_ms(line) for line in lines) / 1000)


def test_no_cycle_in_the_window_gives_zero_gc_and_the_host_cpus():
    # All cycles ran in the first second; with no cycle to read "N P" from, GOMAXPROCS is the host's.
    result = metrics("go1.27.3.txt", wall_seconds=200.0, warmup_s=100.0, host_cpus=3)
    assert result["gc_cycles"] == 0 and result["gc_cpu_seconds"] == 0.0 and result["gc_cpu_percent"] == 0.0
    assert result["gomaxprocs"] == 3 and result["pause_ms_max"] == 0.0
