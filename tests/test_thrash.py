"""Live thrashing detection fed sample lines: real captured workload output, and lines in the same format.

The real lines are a gctune 0.1 run's workload.jsonl (tests/data/format-v1). The made-up lines are a
real sample record with its time, process CPU and the runtime's CPU classes replaced, written as the
reporter writes them (one compact JSON object a line), so the detector parses them exactly as it
parses a workload's stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.metrics import ThrashDetector
from orchestrator.parsers.workload import parse_workload_output

CAPTURE = Path(__file__).parent / "data" / "format-v1" / "night-1" / "trials" / "0000" / "repeat-1" / "workload.jsonl"
GC_TOTAL, CPU_TOTAL, CPU_IDLE = ("/cpu/classes/gc/total:cpu-seconds", "/cpu/classes/total:cpu-seconds",
                                 "/cpu/classes/idle:cpu-seconds")


def real_lines() -> list[str]:
    return CAPTURE.read_text().splitlines()


def _template() -> dict[str, Any]:
    return next(json.loads(line) for line in real_lines() if '"type":"sample"' in line)


class Workload:
    """Writes sample lines of a program that uses one full CPU, a chosen share of it in GC."""

    def __init__(self) -> None:
        self.t = self.cpu = self.gc = 0.0
        self.record = _template()

    def line(self) -> str:
        record = {**self.record, "t": self.t, "rusage_cpu_s": self.cpu,
                  "metrics": {**self.record["metrics"], GC_TOTAL: self.gc, CPU_TOTAL: self.cpu, CPU_IDLE: 0.0}}
        return json.dumps(record, separators=(",", ":"))

    def run(self, seconds: float, gc_share: float) -> str:
        """Advance the clock; busy all the time (no idle), ``gc_share`` of it in GC."""
        self.t += seconds
        self.cpu += seconds
        self.gc += gc_share * seconds
        return self.line()


def detector(threshold: float = 50.0, for_s: float = 2.0) -> ThrashDetector:
    # GOMAXPROCS 2 in the template, a 1-CPU quota: the program can use one CPU, as Workload does.
    return ThrashDetector(threshold, for_s, cpus_limit=1.0, host_cpus=2)


def test_the_made_up_lines_parse_as_samples_of_the_real_format():
    workload = Workload()
    text = "\n".join([workload.line(), workload.run(0.5, 0.3)])
    samples = parse_workload_output(text).samples
    assert [s.t for s in samples] == [0.0, 0.5] and samples[1].rusage_cpu_s == 0.5
    assert set(samples[1].metrics) == set(_template()["metrics"])


def test_a_real_healthy_run_is_never_thrashing():
    watch = detector(threshold=50.0, for_s=0.5)
    assert not any(watch.feed(line) for line in real_lines())
    assert 0.0 < watch.highest_percent < 50.0  # GC did run, far below the threshold


def test_on_a_real_run_it_turns_true_only_once_for_s_has_passed():
    # Threshold 0: every judged span is "above"; the flag must still wait for for_s seconds.
    samples = parse_workload_output(CAPTURE.read_text()).samples
    for_s = 1.0
    watch = detector(threshold=0.0, for_s=for_s)
    first_true = None
    for line in real_lines():
        if watch.feed(line) and first_true is None:
            first_true = json.loads(line)["t"]
    assert first_true is not None
    expected = next(s.t for s in samples if s.t - samples[0].t >= for_s)
    assert first_true == expected


def test_it_stays_false_under_the_threshold():
    workload, watch = Workload(), detector(threshold=50.0, for_s=2.0)
    watch.feed(workload.line())
    assert not any(watch.feed(workload.run(0.5, 0.45)) for _ in range(40))  # 20 s at 45% GC
    assert watch.highest_percent == pytest.approx(45.0)


def test_it_turns_true_after_for_s_above_the_threshold_and_not_before():
    workload, watch = Workload(), detector(threshold=50.0, for_s=2.0)
    watch.feed(workload.line())
    answers = [(watch.feed(workload.run(0.5, 0.8)), workload.t) for _ in range(6)]
    assert [t for flag, t in answers if not flag] == [0.5, 1.0, 1.5]
    assert all(flag for flag, t in answers if t >= 2.0)
    assert watch.highest_percent == pytest.approx(80.0)


def test_it_resets_when_gc_drops_below_the_threshold():
    workload, watch = Workload(), detector(threshold=50.0, for_s=2.0)
    watch.feed(workload.line())
    for _ in range(3):
        assert not watch.feed(workload.run(0.5, 0.8))  # 1.5 s above
    assert not watch.feed(workload.run(0.5, 0.2))  # one span below: the count starts again
    restart = workload.t
    flags = [(watch.feed(workload.run(0.5, 0.8)), workload.t) for _ in range(5)]
    assert min(t for flag, t in flags if flag) == pytest.approx(restart + 2.0)


def test_once_thrashing_it_stays_so():
    workload, watch = Workload(), detector(threshold=50.0, for_s=1.0)
    watch.feed(workload.line())
    for _ in range(2):
        watch.feed(workload.run(0.5, 0.9))
    assert watch.thrashing
    assert watch.feed(workload.run(0.5, 0.0))  # the run is stopped; a late quiet span does not undo it


def test_spans_shorter_than_half_a_second_are_not_judged():
    workload, watch = Workload(), detector(threshold=50.0, for_s=0.0)
    watch.feed(workload.line())
    assert not watch.feed(workload.run(0.3, 1.0))  # 100% GC, but over 0.3 s only
    assert watch.highest_percent == 0.0
    # the short span is merged into the next: 0.3 s at 100% + 0.3 s at 0% = 50% over 0.6 s
    watch.feed(workload.run(0.3, 0.0))
    assert watch.highest_percent == pytest.approx(50.0)


def test_a_brief_spike_between_fast_samples_is_averaged_out():
    workload, watch = Workload(), detector(threshold=50.0, for_s=0.0)
    watch.feed(workload.line())
    for share in (1.0, 1.0, 0.0, 0.0, 0.0):  # samples every 0.1 s: 0.2 s of full GC, then none
        assert not watch.feed(workload.run(0.1, share))
    assert watch.highest_percent == pytest.approx(40.0)


def test_lines_that_are_not_samples_are_ignored():
    watch = detector(threshold=0.0, for_s=0.0)
    assert not watch.feed("plain program output")
    assert not watch.feed('{"type":"summary","ops":1}')
    assert not watch.feed('{"type":"sample","t":0.1,"rusage')  # a line cut off by a kill
