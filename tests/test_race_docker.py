"""A short real race on Docker: leaders, Go's defaults and GOMAXPROCS=1 raced in the hardened container,
and the memory outside the Go runtime checked against the runtime's own MemStats counters."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import gctune

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """
name: race
workload:
  builtin: service
  live_heap: 16MiB
  warmup: 500ms
  duration: 1500ms
container:
  cpus: 1
  memory: 256MiB
space:
  GOGC: [50, 200]
constraints:
  - peak_memory_bytes <= 200MiB
search:
  sampler: grid
  trials: 2
  repeats: 1
  confidence: fast
  time_budget: 5m
"""


@pytest.fixture(scope="module")
def raced(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("race")
    (tmp / "race.yaml").write_text(SPEC)
    result = gctune("run", str(tmp / "race.yaml"), "--results-dir", str(tmp / "results"), "--run-id", "r1",
                    timeout=600)
    assert result.returncode == 0, result.stderr
    return tmp / "results" / "race" / "r1"


def test_a_real_race_measures_leaders_defaults_and_gomaxprocs_and_decides(raced: Path) -> None:
    summary = json.loads((raced / "summary.json").read_text())
    decision = summary["decision"]
    assert decision["finished"] and decision["stopped"] in ("separated", "max_repeats")
    roles = [c["role"] for c in decision["contenders"]]
    assert roles == ["leader", "leader", "baseline", "gomaxprocs"]  # 1 CPU: the leader also at GOMAXPROCS=1
    variant = decision["contenders"][-1]
    assert variant["params"]["GOMAXPROCS"] == 1
    for contender in decision["contenders"]:
        measured = [m["gomaxprocs"] for m in contender["repeat_metrics"]]
        expected = 1 if contender["params"]["GOMAXPROCS"] == 1 else summary["baseline"]["metrics"]["gomaxprocs"]
        assert set(measured) == {expected}  # the runtime ran with the GOMAXPROCS raced
        if contender["feasible"]:
            assert len(contender["values"]) >= decision["min_repeats"]
    folders = sorted(p.parent.name for p in (raced / "race").rglob("metrics.json"))
    assert len(folders) == decision["repeats_spent"]
    winner = next(c for c in decision["contenders"] if c["label"] == decision["winner"])
    assert summary["recommended"]["params"] == winner["params"]
    report = json.loads((raced / "report.json").read_text())
    assert report["headline"]["confidence"]["level"] == decision["confidence"]
    warnings = {w["code"]: w["message"] for w in report["warnings"]}
    assert "gomaxprocs_measured" in warnings and "GOMAXPROCS=1" in warnings["gomaxprocs_measured"]
    assert "cpu_limit_below_2" not in warnings


def test_memory_outside_go_is_the_container_peak_minus_the_runtimes_own_counters(raced: Path) -> None:
    repeats = list((raced / "race").rglob("metrics.json"))
    assert repeats
    for path in repeats:
        metrics = json.loads(path.read_text())
        samples = [json.loads(line) for line in (path.parent / "workload.jsonl").read_text().splitlines()
                   if line.startswith("{") and '"type":"sample"' in line]
        # MemStats.Sys is all memory obtained from the OS, HeapReleased what went back: read by
        # runtime.ReadMemStats, apart from the runtime/metrics counters the metric is computed from.
        held = max(s["memstats"]["Sys"] - s["memstats"]["HeapReleased"] for s in samples)
        assert metrics["peak_go_memory_bytes"] == pytest.approx(held, rel=0.03)
        outside = metrics["peak_memory_bytes"] - metrics["peak_go_memory_bytes"]
        assert metrics["memory_outside_go_bytes"] == outside
        # Negative when the runtime mapped pages it had not touched yet (the cgroup counts touched pages only).
        assert abs(outside) < metrics["peak_memory_bytes"]
