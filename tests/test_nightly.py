"""Nightly runs: significance testing of regressions, and real nights on Docker with their history."""

from __future__ import annotations

import json

import pytest

from conftest import gctune
from orchestrator.history import compare, mann_whitney_greater

NIGHT_SPEC = """
name: nightly-test
workload: {{builtin: service, live_heap: 16MiB, warmup: 500ms, duration: 1500ms, loop: open, rate: 4000,
            allocs_per_op: {allocs}}}
container: {{cpus: 1, memory: 256MiB}}
space:
  GOGC: [50, 100, 200]
constraints: ["peak_memory_bytes <= 200MiB"]
search: {{sampler: grid, trials: 3}}
nightly: {{mode: recheck, top: 1, repeats: 5, on_regression: "echo >{marker}"}}
"""


def test_exact_mann_whitney_p_values():
    # Completely separated 5 vs 5: only 1 of the C(10, 5) = 252 splits is as extreme.
    assert mann_whitney_greater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) == pytest.approx(1 / 252)
    assert mann_whitney_greater([1, 2, 3], [4, 5, 6]) == 1.0
    # Ties count half: identical samples are never evidence.
    assert mann_whitney_greater([5, 5, 5], [5, 5, 5]) == 1.0


def test_a_regression_needs_both_size_and_significance():
    before = [10.0, 10.4, 10.2, 10.1, 10.3]
    assert compare("m", before, [12.0, 12.4, 12.2, 12.1, 12.3], "minimize", 10, 0.05).regression
    small = compare("m", before, [10.5, 10.6, 10.7, 10.8, 10.9], "minimize", 10, 0.05)
    assert small.p_value < 0.05 and not small.regression  # significant, but only ~5% worse
    noisy = compare("m", before, [8.0, 15.0, 9.0, 14.0, 10.0], "minimize", 10, 0.05)
    assert not noisy.regression
    # For a metric to maximise, lower is worse.
    assert compare("ops", [100.0, 101, 102, 103], [80.0, 81, 82, 83], "maximize", 10, 0.05).regression


def test_too_few_repeats_cannot_be_judged():
    result = compare("m", [10.0, 10.1, 10.2], [20.0, 20.1, 20.2], "minimize", 10, 0.05)
    assert result.p_value is None and not result.regression and "at least 4 repeats" in result.note


@pytest.mark.docker
@pytest.mark.slow
def test_nights_of_the_same_workload_pass_and_more_allocation_is_flagged(tmp_path):
    marker = tmp_path / "regression-report-path.txt"
    results = tmp_path / "results"

    def night(allocs: int):
        spec = tmp_path / f"night-{allocs}.yaml"
        spec.write_text(NIGHT_SPEC.format(allocs=allocs, marker=marker))
        return gctune("nightly", str(spec), "--results-dir", str(results), "--json", timeout=600)

    first, same = night(16), night(16)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["verdict"] == "first night"
    assert same.returncode == 0, same.stderr
    second = json.loads(same.stdout)
    assert second["verdict"] != "regression" and second["mode"] == "recheck"
    assert len(second["objective_values"]) == 5 and len(second["baseline_values"]) == 5
    assert not marker.exists()
    heavier = night(64)
    assert heavier.returncode == 3, heavier.stderr
    third = json.loads(heavier.stdout)
    flagged = [f for f in third["findings"] if f.get("regression")]
    assert third["verdict"] == "regression" and flagged
    assert all(f["p_value"] < 0.05 and f["change_percent"] > 10 for f in flagged)
    assert marker.exists()  # the on_regression command ran, given the report path

    listed = gctune("history", str(results / "nightly-test"), "--json")
    assert listed.returncode == 0, listed.stderr
    assert [n["verdict"] for n in json.loads(listed.stdout)] == ["first night", second["verdict"], "regression"]
    table = gctune("history", str(results / "nightly-test"))
    assert table.returncode == 0 and "regression" in table.stdout
