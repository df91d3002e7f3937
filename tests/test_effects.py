"""Option effects: matched pairs of trials that differ in one categorical setting, and the median of their
ratios, on hand-built trial records (no engine)."""

from __future__ import annotations

import statistics
from typing import Any

import pytest

from orchestrator.report import option_effects
from orchestrator.report._effects import effect_metrics, listed_values
from orchestrator.results import TrialRecord
from orchestrator.spec import CATEGORICAL_SETTINGS, SETTINGS, WORKLOAD_OPTION_SETTINGS
from orchestrator.stats import paired_ratios, percent_change

MIB = 2**20
METRICS = ["peak_heap_bytes", "gc_cpu_percent"]
ORDER = {"map_keys": ["string", "int"], "pool": [False, True]}  # as allocation-patterns.yaml lists them


def record(number: int, outcome: str = "ok", state: str = "COMPLETE", heap_mib: float = 100.0,
           gc_cpu: float = 10.0, **params: Any) -> TrialRecord:
    """One trial as summary.json holds it: GOGC 100 in a 256MiB container unless ``params`` says otherwise."""
    settings = {"GOGC": 100, "GOMEMLIMIT": None, "GOMAXPROCS": "auto", "cpus": 1.0, "memory": 256 * MIB, **params}
    return TrialRecord.model_validate({
        "trial": number, "state": state, "outcome": outcome, "feasible": outcome == "ok", "params": settings,
        "metrics": {"peak_heap_bytes": heap_mib * MIB, "gc_cpu_percent": gc_cpu, "repeats": 3}})


def effects_of(trials: list[TrialRecord]) -> list[Any]:
    return option_effects(trials, METRICS, ORDER)


def only(effects: list[Any], setting: str) -> Any:
    found = [e for e in effects if e.setting == setting]
    assert len(found) == 1, found
    return found[0]


def test_the_registry_calls_names_categorical_and_numbers_not():
    assert set(WORKLOAD_OPTION_SETTINGS) | {"go_version", "go_experiment"} == set(CATEGORICAL_SETTINGS)
    assert not any(SETTINGS[n].categorical for n in ("GOGC", "GOMEMLIMIT", "GOMAXPROCS", "cpus", "memory"))


def test_a_pair_is_found_only_when_every_other_setting_matches():
    trials = [record(0, map_keys="string", pool=False, heap_mib=100),
              record(1, map_keys="int", pool=False, heap_mib=56),
              record(2, map_keys="int", pool=True, heap_mib=50),  # differs in pool too: no partner
              record(3, map_keys="string", pool=False, GOGC=200, heap_mib=150)]  # differs in GOGC: no partner
    effect = only(effects_of(trials), "map_keys")
    assert effect.pairs == ((0, 1),)
    assert (effect.reference, effect.value) == ("string", "int")
    ratios = effect.metrics["peak_heap_bytes"]
    assert ratios.n == 1 and ratios.median == pytest.approx(0.56)
    assert ratios.median_change_percent == pytest.approx(-44.0)
    pool = only(effects_of(trials), "pool")  # 1 and 2 differ in pool only
    assert pool.pairs == ((1, 2),) and pool.metrics["peak_heap_bytes"].median == pytest.approx(50 / 56)


def test_several_pairs_give_the_median_and_range_of_their_ratios():
    others = [(100, False), (200, False), (100, True), (200, True)]  # (GOGC, pool) of each pair
    heaps = {"string": [100.0, 120.0, 80.0, 200.0], "int": [55.0, 70.0, 44.0, 90.0]}
    trials = [record(len(others) * k + i, map_keys=key, GOGC=gogc, pool=pool, heap_mib=heaps[key][i])
              for k, key in enumerate(heaps) for i, (gogc, pool) in enumerate(others)]
    effect = only(option_effects(trials, METRICS, order={"map_keys": ["string", "int"]}), "map_keys")
    ratios = [i / s for s, i in zip(heaps["string"], heaps["int"])]
    heap = effect.metrics["peak_heap_bytes"]
    assert len(effect.pairs) == heap.n == 4
    assert heap.median == pytest.approx(statistics.median(ratios))
    assert (heap.min, heap.max) == (pytest.approx(min(ratios)), pytest.approx(max(ratios)))
    assert all(trials[a].params["map_keys"] == "string" and trials[b].params["map_keys"] == "int"
               and trials[a].params["GOGC"] == trials[b].params["GOGC"] for a, b in effect.pairs)
    assert effect.metrics["gc_cpu_percent"].median == 1.0  # every pair at 10% GC CPU


def test_the_space_order_picks_the_reference():
    trials = [record(0, pool=False, heap_mib=100), record(1, pool=True, heap_mib=80)]
    assert only(option_effects(trials, METRICS, order={"pool": [True, False]}), "pool").reference is True
    assert only(option_effects(trials, METRICS, order={"pool": [False, True]}), "pool").reference is False
    assert only(option_effects(trials, METRICS), "pool").reference is False  # none listed: sorted by repr
    assert listed_values({"space": {"pool": [False, True], "GOGC": [100, 200], "map_keys": "int"}}) == {
        "pool": [False, True]}


def test_no_pair_gives_nothing():
    trials = [record(0, map_keys="string", pool=False), record(1, map_keys="int", pool=True)]
    assert effects_of(trials) == []
    assert option_effects([], METRICS) == []
    same = [record(0, map_keys="int"), record(1, map_keys="int", GOGC=200)]  # one value only
    assert effects_of(same) == []


@pytest.mark.parametrize("outcome,state", [("oom", "COMPLETE"), ("crash", "FAIL"), ("thrashing", "COMPLETE"),
                                           ("ok", "FAIL"), ("skipped", "COMPLETE")])
def test_trials_not_measured_ok_are_ignored(outcome, state):
    trials = [record(0, map_keys="string"), record(1, map_keys="int", outcome=outcome, state=state)]
    assert effects_of(trials) == []
    trials.append(record(2, map_keys="int", heap_mib=60))
    assert only(effects_of(trials), "map_keys").pairs == ((0, 2),)


def test_an_infeasible_trial_is_still_a_measurement():
    trials = [record(0, map_keys="string"), record(1, map_keys="int", heap_mib=60)]
    trials[1] = trials[1].model_copy(update={"feasible": False})
    assert only(effects_of(trials), "map_keys").pairs == ((0, 1),)


def test_a_numeric_dimension_is_not_categorical():
    trials = [record(0, GOGC=100, heap_mib=100), record(1, GOGC=200, heap_mib=180),
              record(2, GOGC=100, cpus=2.0), record(3, GOGC=100, GOMAXPROCS=2)]
    assert effects_of(trials) == []


def test_go_version_and_experiment_are_categorical_settings_too():
    trials = [record(0, go_version="1.25.5", go_experiment="greenteagc", gc_cpu=8.0),
              record(1, go_version="1.25.5", go_experiment="nogreenteagc", gc_cpu=10.0),
              record(2, go_version="1.26.0", go_experiment="greenteagc", gc_cpu=6.0)]
    effects = option_effects(trials, METRICS, order={"go_experiment": ["nogreenteagc", "greenteagc"]})
    experiment = only(effects, "go_experiment")
    assert experiment.pairs == ((1, 0),) and experiment.metrics["gc_cpu_percent"].median == pytest.approx(0.8)
    assert only(effects, "go_version").pairs == ((0, 2),)


def test_three_values_give_every_pair_of_values_and_a_metric_without_a_ratio_is_left_out():
    trials = [record(0, go_version="1.24.0"), record(1, go_version="1.25.0", gc_cpu=0.0),
              record(2, go_version="1.26.0", gc_cpu=5.0)]
    effects = option_effects(trials, METRICS, order={"go_version": ["1.24.0", "1.25.0", "1.26.0"]})
    assert [(e.reference, e.value) for e in effects] == [("1.24.0", "1.25.0"), ("1.24.0", "1.26.0"),
                                                         ("1.25.0", "1.26.0")]
    assert "gc_cpu_percent" not in effects[2].metrics  # against 0% GC CPU there is no ratio
    assert effects[2].metrics["peak_heap_bytes"].median == 1.0


def test_a_configuration_measured_twice_counts_once_by_its_first_trial():
    trials = [record(5, map_keys="int", heap_mib=50), record(1, map_keys="string"),
              record(3, map_keys="int", heap_mib=60)]
    effect = only(effects_of(trials), "map_keys")
    assert effect.pairs == ((1, 3),) and effect.metrics["peak_heap_bytes"].median == pytest.approx(0.6)


def test_effect_metrics_are_the_objectives_then_memory_and_gc_cpu_numbers_only():
    assert effect_metrics(["throughput_ops_per_s", "gc_cpu_percent"]) == [
        "throughput_ops_per_s", "gc_cpu_percent", "peak_heap_bytes", "peak_memory_bytes"]
    assert "gc_limiter_engaged" not in effect_metrics(["gc_limiter_engaged"])


def test_paired_ratios_are_the_median_of_b_over_a_and_skip_pairs_without_a_ratio():
    ratios = paired_ratios([(100.0, 50.0), (10.0, 6.0), (0.0, 3.0), (4.0, float("nan")), (20.0, 14.0)])
    assert ratios is not None and ratios.n == 3
    assert (ratios.median, ratios.min, ratios.max) == (pytest.approx(0.6), 0.5, pytest.approx(0.7))
    assert ratios.to_dict()["median_change_percent"] == pytest.approx(-40.0)
    assert percent_change(1.25) == pytest.approx(25.0)
    assert paired_ratios([(0.0, 1.0)]) is None and paired_ratios([]) is None
