"""Pure logic of the search stage: statistics, the space mapping, skips, the Pareto front."""

from __future__ import annotations

import optuna
import pytest

from orchestrator.search import aggregate, skip_reason
from orchestrator.stats import median_ci
from orchestrator.search._space import GOGC_OFF_PARAM, grid_space, space_size, suggest
from orchestrator.search._summary import _front, _knee
from orchestrator.spec import Percent, TrialSettings, load_spec_text

SPEC = """
name: logic
workload: {builtin: service}
container: {memory: 256MiB, cpus: 1}
space:
  GOGC: {low: 25, high: 400, log: true, off: true}
  GOMEMLIMIT: {low: 50%, high: 90%}
  GOMAXPROCS: [1, 2, auto]
  cpus: {low: 0.5, high: 2.0}
objective:
  minimize: [gc_cpu_percent, peak_memory_bytes]
"""


def test_median_interval_is_min_max_below_six_repeats_with_its_real_coverage():
    assert median_ci([3.0, 1.0, 2.0]) == (1.0, 3.0, 0.75)
    low, high, coverage = median_ci([float(v) for v in range(1, 7)])
    assert (low, high) == (1.0, 6.0) and coverage == pytest.approx(1 - 2 / 64)


def test_median_interval_narrows_to_order_statistics_with_enough_repeats():
    low, high, coverage = median_ci([float(v) for v in range(1, 11)])
    assert (low, high) == (2.0, 9.0)  # x_(2) .. x_(9)
    assert coverage == pytest.approx(1 - 2 * 11 / 1024) and coverage >= 0.95


def test_aggregate_takes_medians_and_any_for_flags():
    merged, spreads = aggregate([
        {"gc_cpu_percent": 10.0, "oom_killed": False, "go_version": "go1.27.3"},
        {"gc_cpu_percent": 30.0, "oom_killed": True, "go_version": "go1.27.3"},
        {"gc_cpu_percent": 20.0, "oom_killed": False, "go_version": "go1.27.3"},
    ])
    assert merged == {"gc_cpu_percent": 20.0, "oom_killed": True, "go_version": "go1.27.3"}
    assert spreads["gc_cpu_percent"]["min"] == 10.0 and spreads["gc_cpu_percent"]["max"] == 30.0
    assert "oom_killed" not in spreads


def test_suggestions_cover_every_kind_of_dimension_and_resolve_to_settings():
    spec = load_spec_text(SPEC)
    study = optuna.create_study(directions=["minimize", "minimize"],
                                sampler=optuna.samplers.RandomSampler(seed=3))
    seen_off = seen_value = False
    for _ in range(40):
        trial = study.ask()
        overrides = suggest(trial, spec.space.searched())
        gogc = overrides["GOGC"]
        seen_off |= gogc == "off" and trial.params[GOGC_OFF_PARAM] is True
        seen_value |= isinstance(gogc, int) and 25 <= gogc <= 400
        assert isinstance(overrides["GOMEMLIMIT"], Percent) and 50 <= overrides["GOMEMLIMIT"].value <= 90
        assert overrides["GOMAXPROCS"] in (1, 2, "auto") and 0.5 <= overrides["cpus"] <= 2.0
        study.tell(trial, [1.0, 1.0])
    assert seen_off and seen_value


def test_grid_lists_every_point_of_a_stepped_space():
    spec = load_spec_text("name: g\nworkload: {builtin: service}\ncontainer: {memory: 256MiB}\n"
                          "space:\n  GOGC: {low: 50, high: 200, step: 50, off: true}\n"
                          "  GOMEMLIMIT: {low: 60%, high: 90%, step: 15%}\nsearch: {sampler: grid}\n")
    grid = grid_space(spec.space.searched())
    assert grid == {"GOGC": [50, 100, 150, 200, "off"], "GOMEMLIMIT": ["60%", "75%", "90%"]}


@pytest.mark.parametrize("space, size", [
    ("  GOGC: {low: 50, high: 200, step: 50, off: true}\n  GOMEMLIMIT: {low: 60%, high: 90%, step: 15%}\n", 15),
    ("  GOGC: [50, 100]\n  GOMAXPROCS: [1, 2, auto]\n", 6),
    ("  GOGC: {low: 25, high: 400, log: true}\n", 376),  # every integer of the range
    ("  GOGC: [50, 100]\n  GOMEMLIMIT: {low: 50%, high: 90%}\n", None),  # a continuous percentage
    ("  GOGC: [50]\n  cpus: {low: 0.5, high: 2.0}\n", None),
])
def test_a_finite_space_counts_its_configurations(space, size):
    spec = load_spec_text("name: s\nworkload: {builtin: service}\ncontainer: {memory: 256MiB}\nspace:\n" + space)
    assert space_size(spec.space.searched()) == size


@pytest.mark.parametrize("settings, expected", [
    (TrialSettings(gogc="off", memory_bytes=2**28), "never collects"),
    (TrialSettings(gogc=100, gomemlimit_bytes=2**28, memory_bytes=2**28), "at or above the container memory"),
    (TrialSettings(gogc="off", gomemlimit_bytes=2**27, memory_bytes=2**28), ""),
    (TrialSettings(gogc=50), ""),
])
def test_configurations_that_cannot_work_are_skipped_with_a_reason(settings, expected):
    reason = skip_reason(settings)
    assert (expected in reason) if expected else reason == ""


def _trial(values):
    return optuna.trial.create_trial(values=values, params={}, distributions={})


def test_pareto_front_and_its_knee():
    spec = load_spec_text(SPEC)
    trials = [_trial(v) for v in ([10, 200], [20, 100], [40, 60], [90, 50], [30, 150])]
    front = _front(trials, spec)
    assert [t.values for t in front] == [[10, 200], [20, 100], [40, 60], [90, 50]]
    # Scaled to [0, 1] per objective: (20, 100) -> (0.125, 0.333), distance 0.356 from the ideal;
    # (40, 60) -> (0.375, 0.067), distance 0.381; the ends are at distance 1.
    assert _knee(front, spec).values == [20, 100]
