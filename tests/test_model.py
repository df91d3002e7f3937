"""The GC cost model (orchestrator.model), `gctune predict` and the model guide's stop rule.

Fast tests run on recorded real data (tests/data/replay/service-1cpu, tests/data/format-v1): the model
fitted on some configurations predicts the others, and its quantities are checked against the Go
runtime's own counters where the runtime defines one. Expected values come from the files, never typed in.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
import sys
from pathlib import Path

import pytest
import yaml

from conftest import DATA
from orchestrator.cli import main
from orchestrator.model import (
    MIN_OBSERVATIONS, Point, fit_model, fit_parameters, heap_goal, leave_one_out, observe_folder, observe_run,
    predict)
from orchestrator.parsers.workload import parse_workload_output
from orchestrator.results import TrialRecord
from orchestrator.search._guide import MODEL, ModelGuide, best_feasible, prediction_attrs
from orchestrator.search._study import skip_reason
from orchestrator.spec import load_spec_text

SET = DATA / "replay" / "service-1cpu"
FORMAT_V1 = DATA / "format-v1" / "night-1"
MIB = 2**20


def replay_observations():
    found = {p.name: observe_folder(p) for p in sorted(SET.iterdir()) if p.is_dir()}
    return {name: o for name, o in found.items() if o is not None}


def relative_error(predicted: float, measured: float) -> float:
    return abs(predicted - measured) / measured


# -- reading the raw repeats -------------------------------------------------------------------------------------


def test_only_configurations_that_measured_a_window_with_gc_cycles_are_read():
    found = replay_observations()
    # the OOM kill, the thrashing early stop and the crash measured no complete window
    assert not {"oom-gogc800", "thrash-limit16MiB", "crash-gogc150"} & set(found)
    assert {"default", "gogc25", "gogc400", "gogcoff-limit75pct"} <= set(found)
    assert found["gogcoff-limit75pct"].gogc is None and found["gogcoff-limit75pct"].gomemlimit_bytes == 192 * MIB


def test_the_live_heap_matches_the_runtimes_own_live_heap_counter():
    """/gc/heap/live:bytes is the runtime's heapMarked, the gctrace h2 the model reads (floored to MiB)."""
    for name, observation in replay_observations().items():
        counters = []
        for repeat in sorted((SET / name).glob("repeat-*")):
            output = parse_workload_output((repeat / "workload.jsonl").read_text())
            counters += [s.metric("/gc/heap/live:bytes") for s in output.samples if s.phase == "measure"]
        runtime_live = statistics.median(counters)
        assert observation.live_bytes <= runtime_live + MIB
        assert relative_error(observation.live_bytes, runtime_live) < 0.05, name


def test_the_heap_goal_formula_matches_the_runtimes_own_goal_on_held_out_configurations():
    """GOGC's goal and the memory limit's goal, fitted without the configuration, against gctrace's 'MB goal'."""
    observations = list(replay_observations().values())
    limited = 0
    for index, held_out in enumerate(observations):
        parameters = fit_parameters([o for i, o in enumerate(observations) if i != index])
        goal, by = heap_goal(parameters, Point(held_out.gogc, held_out.gomemlimit_bytes))
        limited += by == "GOMEMLIMIT"
        assert abs(goal - held_out.goal_bytes) <= max(0.05 * held_out.goal_bytes, 2 * MIB), held_out.label
    assert limited >= 2  # GOGC=800 and off under the 75% limit: the limit sets their goal


# -- predictions on held-out real data ---------------------------------------------------------------------------


@pytest.mark.parametrize("held_out", ["gogc50", "gogc200", "default"])
def test_a_held_out_configuration_is_predicted_within_its_error(held_out):
    found = replay_observations()
    fit = fit_model([o for name, o in found.items() if name != held_out])
    truth = found[held_out]
    prediction = predict(fit, Point(truth.gogc, truth.gomemlimit_bytes))
    assert relative_error(prediction.metrics["gc_cpu_percent"].value, truth.gc_cpu_percent) < 0.25
    assert relative_error(prediction.metrics["peak_memory_bytes"].value, truth.peak_memory_bytes) < 0.10
    assert prediction.outside == ()  # an interpolation


def test_the_format_v1_run_folder_fits_and_its_leave_one_out_predictions_are_close():
    observations = observe_run(FORMAT_V1)
    summary = json.loads((FORMAT_V1 / "summary.json").read_text())
    assert [o.label for o in observations] == ["baseline"] + [f"trial {t['trial']}" for t in summary["trials"]]
    assert observations[0].gc_cpu_percent == pytest.approx(summary["baseline"]["metrics"]["gc_cpu_percent"])
    fit = fit_model(observations)
    assert fit.quality.observations == len(observations) >= MIN_OBSERVATIONS
    errors = [relative_error(p["gc_cpu_percent"], o.gc_cpu_percent)
              for o, p in zip(observations, leave_one_out(observations))]
    assert statistics.median(errors) == pytest.approx(fit.quality.error)
    assert fit.quality.verdict == ("good" if fit.quality.error <= 0.25 else "poor")


def test_the_gc_cpu_prediction_does_not_depend_on_where_the_window_cut_the_cycles():
    """A window holds whole cycles, one more or fewer by where it starts, while its GC CPU seconds are
    not counted in cycles: the same run recounted must predict the same gc_cpu_percent everywhere."""
    observations = list(replay_observations().values())
    recounted = [dataclasses.replace(o, gc_cycles=o.gc_cycles + (1 if i % 2 else -1))
                 for i, o in enumerate(observations)]
    assert all(o.gc_cycles >= 1 for o in recounted)
    fit, refit = fit_model(observations), fit_model(recounted)
    for point in (Point(50, None), Point(300, None), Point(400, 192 * MIB), Point(None, 192 * MIB)):
        before, after = (predict(f, point).metrics["gc_cpu_percent"].value for f in (fit, refit))
        assert after == pytest.approx(before, rel=1e-9), point
    assert refit.parameters.runway_factor != fit.parameters.runway_factor  # the cycles themselves did change


def test_more_gogc_costs_less_gc_cpu_and_more_memory():
    fit = fit_model(list(replay_observations().values()))
    low, high = (predict(fit, Point(g, None)).metrics for g in (50, 300))
    assert high["gc_cpu_percent"].value < low["gc_cpu_percent"].value
    assert high["peak_memory_bytes"].value > low["peak_memory_bytes"].value
    assert high["gc_cycles"].value < low["gc_cycles"].value


def test_extrapolation_and_oom_are_flagged():
    fit = fit_model(list(replay_observations().values()))
    beyond = predict(fit, Point(5000, None))
    assert any("GOGC=5000" in reason for reason in beyond.outside)
    assert beyond.oom_expected  # a 5000% heap goal cannot fit the 256MiB container
    never = predict(fit, Point(None, None))
    assert never.metrics["gc_cycles"].value == 0 and never.oom_expected


# -- the quality verdict -----------------------------------------------------------------------------------------


def test_too_few_configurations_are_insufficient():
    observations = list(replay_observations().values())[: MIN_OBSERVATIONS - 1]
    quality = fit_model(observations).quality
    assert quality.verdict == "insufficient" and not quality.usable and str(MIN_OBSERVATIONS) in quality.reason


def test_a_fit_whose_data_disagrees_is_poor():
    observations = list(replay_observations().values())[:4]
    # Two configurations whose GC cost per cycle is off by 3x: no single model fits them all.
    bent = [dataclasses.replace(o, gc_cpu_seconds=o.gc_cpu_seconds * (3 if i % 2 else 1 / 3),
                                gc_cpu_percent=o.gc_cpu_percent * (3 if i % 2 else 1 / 3))
            for i, o in enumerate(observations)]
    good, poor = fit_model(observations).quality, fit_model(bent).quality
    assert poor.verdict == "poor" and poor.error > 0.25 and poor.error > good.error


# -- gctune predict ---------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture()
def gctune(capsys):
    """The CLI in this process (a subprocess per call would cost a second of imports each)."""
    def run(*args: str) -> Ran:
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        return Ran(code, out.out, out.err)
    return run


@pytest.fixture()
def run_copy(tmp_path):
    target = tmp_path / "night-1"
    shutil.copytree(FORMAT_V1, target)
    return target


def test_predict_prints_each_metric_with_its_interval(gctune, run_copy):
    result = gctune("predict", str(run_copy), "--set", "GOGC=300", "--set", "GOMEMLIMIT=70%", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["GOGC"] == 300 and data["GOMEMLIMIT"] == int(0.7 * 128 * MIB)
    for name in ("gc_cpu_percent", "peak_memory_bytes", "gc_cycles"):
        estimate = data["metrics"][name]
        assert estimate["low"] <= estimate["value"] <= estimate["high"]
    assert data["quality"]["verdict"] in ("good", "poor") and data["fitted_on"][0] == "baseline"
    table = gctune("predict", str(run_copy), "--set", "GOGC=300")
    assert table.returncode == 0 and "gc_cpu_percent" in table.stdout and "fit" in table.stdout


def test_predict_warns_outside_the_measured_range(gctune, run_copy):
    result = gctune("predict", str(run_copy), "--set", "GOGC=2000")
    assert result.returncode == 0
    assert "warning: GOGC=2000 is outside the measured" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--set", "GOGCX=300"], "unknown setting"),
    (["--set", "GOGC=lots"], "--set GOGC: must be an integer"),
    (["--set", "GOMEMLIMIT=7 apples"], "--set GOMEMLIMIT"),
    (["--set", "cpus=2"], "predicts only GOGC and GOMEMLIMIT"),
    (["--set", "GOGC"], "expected NAME=VALUE"),
])
def test_predict_refuses_bad_settings_with_exit_2(gctune, run_copy, args, message):
    result = gctune("predict", str(run_copy), *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_predict_refuses_a_folder_that_is_not_a_run_or_has_too_few_trials(gctune, run_copy, tmp_path):
    result = gctune("predict", str(tmp_path), "--set", "GOGC=200")
    assert result.returncode == 2 and "not a gctune run directory" in result.stderr
    for trial in sorted((run_copy / "trials").iterdir())[1:]:
        shutil.rmtree(trial)
    result = gctune("predict", str(run_copy), "--set", "GOGC=200")
    assert result.returncode == 2 and f"needs at least {MIN_OBSERVATIONS}" in result.stderr


# -- the guide's stop rule ---------------------------------------------------------------------------------------

GUIDE_SPEC = """
name: guide
workload: {builtin: service, live_heap: 32MiB}
container: {cpus: 1, memory: 256MiB}
space:
  GOGC: {low: 25, high: 800, log: true}
  GOMEMLIMIT: [none, 75%]
objective: {minimize: gc_cpu_percent}
constraints: [peak_memory_bytes <= 200MiB]
search: {trials: 10}
"""


def guide_with(names: list[str]) -> ModelGuide:
    guide = ModelGuide(load_spec_text(GUIDE_SPEC), skip_reason, budget=10)
    assert guide.disabled is None
    guide.refit([SET / name for name in names])
    return guide


def model_trial(number: int, settings_of: str, value: float, prediction) -> TrialRecord:
    params = json.loads((SET / settings_of / "repeat-1" / "metrics.json").read_text())["params"]
    return TrialRecord(trial=number, state="COMPLETE", outcome="ok", feasible=True, params=params,
                       metrics={"gc_cpu_percent": value}, proposed_by=MODEL, prediction=prediction_attrs(prediction))


def test_the_guide_proposes_a_feasible_point_better_than_anything_measured():
    guide = guide_with(["default", "gogc50", "gogc25"])
    proposal = guide.propose([], None)
    assert proposal is not None and guide.stopped is None
    predicted = proposal.prediction.metrics
    best = min(o.gc_cpu_percent for o in guide.fit.observations)
    assert predicted["gc_cpu_percent"].value < best
    assert predicted["peak_memory_bytes"].high <= 200 * MIB
    assert proposal.user_attrs()["proposed_by"] == MODEL


def test_the_guide_keeps_proposing_while_its_prediction_holds_and_stops_on_a_miss():
    guide = guide_with(["default", "gogc50", "gogc25"])
    prediction = guide.propose([], None).prediction
    estimate = prediction.metrics["gc_cpu_percent"]
    held = model_trial(0, "gogc200", (estimate.low + estimate.high) / 2, prediction)
    assert guide.propose([held], None) is not None or "nothing better" in (guide.stopped or "")

    guide = guide_with(["default", "gogc50", "gogc25"])
    missed = model_trial(0, "gogc200", estimate.high * 1.5, prediction)
    assert guide.propose([missed], None) is None
    assert "outside the predicted" in guide.stopped
    assert guide.propose([], None) is None  # stopped for good: the sampler carries on alone


def test_the_guide_waits_for_enough_configurations_and_stops_on_a_poor_fit():
    guide = guide_with(["default", "gogc50"])
    assert guide.fit is None and guide.propose([], None) is None and guide.stopped is None
    guide = guide_with(["default", "gogc50", "gogc25", "gogc200"])
    bent = [dataclasses.replace(o, gc_cpu_seconds=o.gc_cpu_seconds * (3 if i % 2 else 1 / 3),
                                gc_cpu_percent=o.gc_cpu_percent * (3 if i % 2 else 1 / 3))
            for i, o in enumerate(guide.fit.observations)]
    guide.fit = fit_model(bent)
    assert guide.propose([], None) is None and guide.stopped.startswith("the fit is poor")


def test_a_fit_that_cannot_be_checked_proposes_nothing_yet_and_does_not_stop_the_guide():
    guide = guide_with(["default", "gogc50", "gogc25"])
    assert guide.propose([], None) is not None
    guide.fit = dataclasses.replace(guide.fit, quality=dataclasses.replace(guide.fit.quality, verdict="insufficient"))
    assert guide.propose([], None) is None and guide.stopped is None


def test_the_best_measured_value_follows_the_objectives_direction():
    trials = [TrialRecord(trial=n, state="COMPLETE", outcome="ok", feasible=True, params={},
                          metrics={"gc_cycles": v}) for n, v in enumerate([40.0, 90.0, 60.0])]
    assert best_feasible(trials, None, "gc_cycles") == 40.0
    assert best_feasible(trials, None, "gc_cycles", "maximize") == 90.0


def test_the_guide_does_not_apply_where_the_model_does_not():
    text = GUIDE_SPEC.replace("search: {trials: 10}", "search: {trials: 10, guide: none}")
    assert ModelGuide(load_spec_text(text), skip_reason, 10).disabled == "search.guide is none"
    text = GUIDE_SPEC.replace("  GOMEMLIMIT: [none, 75%]", "  GOMEMLIMIT: [none, 75%]\n  GOMAXPROCS: [1, 2]")
    assert "other than GOGC" in ModelGuide(load_spec_text(text), skip_reason, 10).disabled
    text = GUIDE_SPEC.replace("minimize: gc_cpu_percent", "minimize: latency_p99_ms")
    assert "objective" in ModelGuide(load_spec_text(text), skip_reason, 10).disabled


# -- the guide inside a replayed study ---------------------------------------------------------------------------


def test_a_replayed_study_measures_the_models_proposal_after_the_first_trials(tmp_path):
    sys.path.insert(0, str(Path(__file__).parent))
    from test_study_replay import backend, study, write_spec

    spec = write_spec(tmp_path, {"GOGC": {"low": 25, "high": 800, "log": True}, "GOMEMLIMIT": ["none", "75%"]},
                      repeats=1, constraints=["peak_memory_bytes <= 200MiB"])
    data = yaml.safe_load(spec.read_text())
    data["search"].update(sampler="tpe", trials=4)
    spec.write_text(yaml.safe_dump(data))
    from orchestrator.app import RunOptions
    _, summary = study(spec, RunOptions(results_dir=tmp_path / "results"), backend("nearest"))
    proposers = [t.proposed_by for t in summary.trials]
    assert set(proposers) <= {"model", "sampler"} and "model" in proposers
    first = proposers.index("model")
    assert first == MIN_OBSERVATIONS - 1  # baseline + the sampler's first trials, then the model's point
    model_trial = summary.trials[first]
    assert model_trial.prediction and "gc_cpu_percent" in model_trial.prediction
    assert all(t.prediction for t in summary.trials[first:])  # sampler trials after a good fit get one too
