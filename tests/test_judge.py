"""``judge()``: a night's findings and verdict against the previous comparable night, without running anything."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.history import Night, judge  # Night may move to orchestrator.results: change it here only
from orchestrator.history._nightly import FEASIBLE_SHRINK
from orchestrator.spec import Spec, load_spec_text

SPEC = """
name: judged
workload: {{builtin: service}}
container: {{cpus: 1, memory: 256MiB}}
space:
  GOGC: [50, 100, 200]
nightly: {{mode: recheck, threshold_percent: {threshold}, alpha: 0.05}}
"""
STEADY = [10.0, 10.4, 10.2, 10.1, 10.3]
MIB = 2.0**20


def spec(threshold: float = 10.0) -> Spec:
    return load_spec_text(SPEC.format(threshold=threshold))


def night(run_id: str, objective: list[float] = STEADY, baseline: list[float] = STEADY,
          recommended: dict[str, Any] | None = None, feasible: int = 8, total: int = 10) -> Night:
    return Night(experiment="judged", run_id=run_id, date="2025-01-01T03:00:00+0000", mode="recheck",
                 comparable_key="k", objective="gc_cpu_percent", direction="minimize",
                 recommended={"GOGC": 200} if recommended is None else recommended,
                 objective_values=objective, baseline_values=baseline,
                 peak_memory_values=[100 * MIB, 101 * MIB, 102 * MIB, 100.5 * MIB],
                 feasible_trials=feasible, total_trials=total)


def worse(values: list[float], percent: float) -> list[float]:
    return [v * (1 + percent / 100) for v in values]


def kinds(tonight: Night) -> list[str]:
    return [f.kind for f in tonight.findings]


def test_the_first_night_has_nothing_to_compare():
    tonight = night("n1")
    judge(tonight, None, spec())
    assert tonight.verdict == "first night" and tonight.findings == []


def test_the_same_measurements_again_are_no_regression():
    tonight = night("n2")
    judge(tonight, night("n1"), spec())
    assert tonight.verdict == "no regression"
    assert kinds(tonight) == ["objective at the recommendation", "objective at Go's defaults",
                              "peak memory at the recommendation"]
    assert not any(f.regression for f in tonight.findings)
    assert all(f.p_value is not None and f.p_value > 0.05 for f in tonight.findings)


def test_a_clearly_worse_objective_is_a_regression():
    tonight = night("n2", objective=worse(STEADY, 20))
    judge(tonight, night("n1"), spec())
    assert tonight.verdict == "regression" and tonight.regression
    flagged = [f for f in tonight.findings if f.regression]
    assert [f.kind for f in flagged] == ["objective at the recommendation"]
    assert flagged[0].change_percent == pytest.approx(20.0) and flagged[0].p_value < 0.05


def test_a_worse_go_default_alone_is_a_regression_too():
    tonight = night("n2", baseline=worse(STEADY, 25))
    judge(tonight, night("n1"), spec())
    assert tonight.verdict == "regression"
    assert [f.kind for f in tonight.findings if f.regression] == ["objective at Go's defaults"]


def test_a_significant_change_under_the_spec_threshold_is_no_regression():
    tonight, previous = night("n2", objective=worse(STEADY, 6)), night("n1")
    judge(tonight, previous, spec(threshold=10))
    finding = tonight.findings[0]
    assert finding.p_value < 0.05 and not finding.regression and tonight.verdict == "no regression"
    stricter = night("n2", objective=worse(STEADY, 6))
    judge(stricter, previous, spec(threshold=5))
    assert stricter.verdict == "regression"


def test_better_is_never_a_regression():
    tonight = night("n2", objective=worse(STEADY, -30))
    judge(tonight, night("n1"), spec())
    assert tonight.verdict == "no regression" and tonight.findings[0].change_percent < 0


def test_a_changed_recommendation_is_changed_not_a_regression():
    tonight = night("n2", recommended={"GOGC": 100})
    judge(tonight, night("n1"), spec())
    assert tonight.verdict == "changed"
    change = next(f for f in tonight.findings if f.kind == "recommendation changed")
    assert change.from_ == {"GOGC": 200} and change.to == {"GOGC": 100} and not change.regression


def test_a_shrunk_feasible_region_is_changed():
    tonight = night("n2", feasible=4)
    judge(tonight, night("n1", feasible=8), spec())
    assert tonight.verdict == "changed"
    shrink = next(f for f in tonight.findings if f.kind == "feasible region shrank")
    assert (shrink.from_, shrink.to) == ("8/10", "4/10")


def test_a_small_shrink_of_the_feasible_region_is_not_reported():
    assert (8 - 7) / 10 < FEASIBLE_SHRINK  # 8/10 -> 7/10 is under the share that is reported
    tonight = night("n2", feasible=7)
    judge(tonight, night("n1", feasible=8), spec())
    assert "feasible region shrank" not in kinds(tonight) and tonight.verdict == "no regression"


def test_a_regression_outranks_a_change():
    tonight = night("n2", objective=worse(STEADY, 20), recommended={"GOGC": 50})
    judge(tonight, night("n1"), spec())
    assert "recommendation changed" in kinds(tonight) and tonight.verdict == "regression"


def test_too_few_repeats_are_reported_but_never_a_regression():
    tonight = night("n2", objective=worse(STEADY[:3], 50), baseline=STEADY[:3])
    judge(tonight, night("n1", objective=STEADY[:3], baseline=STEADY[:3]), spec())
    first = tonight.findings[0]
    assert first.p_value is None and "at least" in first.note and tonight.verdict == "no regression"
