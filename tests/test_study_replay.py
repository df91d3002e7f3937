"""The study loop, summary, reports and nightly verdicts over replays of recorded real runs (no engine).

Expected values are computed from the recorded files (tests/data/replay/service-1cpu), never typed in.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.app import Backend, RunOptions, run_nightly, run_study
from orchestrator.report import write_reports
from orchestrator.errors import EngineError
from orchestrator.results import EngineFacts, Summary, TrialRecord
from orchestrator.runners import ReplayRunner
from orchestrator.spec import load_spec, resolve_trial_settings
from orchestrator.store import RunDir
from orchestrator.workloads import RecordedImage

SET = Path(__file__).parent / "data" / "replay" / "service-1cpu"
CAPTURE = json.loads((SET / "capture.json").read_text())
RECORDED_SPEC = load_spec(SET / "spec.yaml")
GOGC_GRID = [25, 50, 200, 400, 800]  # recorded without GOMEMLIMIT; 800 is the OOM kill


def backend(match: str = "exact", faults: dict[int, BaseException] | None = None) -> Backend:
    """What orchestrator.app.replay_backend builds, with scripted faults."""
    runner = ReplayRunner(SET, match=match, faults=faults)
    return Backend(runner, lambda spec: RecordedImage(runner.image), EngineFacts.model_validate(runner.engine_facts))


def write_spec(folder: Path, space: dict[str, Any], repeats: int = 3, **extra: Any) -> Path:
    """The recorded spec (same workload, container and thrash detector) with another space and budget."""
    data = yaml.safe_load((SET / "spec.yaml").read_text())
    data.update(name="replay-study", space=space, **extra)
    data["search"] = {**data["search"], "repeats": repeats, "seed": 1}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def config_for(settings: dict[str, Any]) -> dict[str, Any]:
    """The recorded configuration with these (trial) settings."""
    wanted = resolve_trial_settings(RECORDED_SPEC, settings)
    for config in CAPTURE["configurations"]:
        if resolve_trial_settings(RECORDED_SPEC, config["settings"]) == wanted:
            return config
    raise LookupError(settings)


def recorded_median(settings: dict[str, Any], repeats: int, metric: str = "gc_cpu_percent") -> float:
    """The median a configuration's first ``repeats`` plays give (its recorded repeats cycle)."""
    config = config_for(settings)
    values = [json.loads((SET / config["name"] / f"repeat-{i % config['repeats'] + 1}" / "metrics.json")
                         .read_text())[metric] for i in range(repeats)]
    return statistics.median(values)


def trial_settings(trial: TrialRecord) -> dict[str, Any]:
    gomemlimit = trial.params.get("GOMEMLIMIT")
    return {"GOGC": str(trial.params["GOGC"]), "GOMEMLIMIT": "none" if gomemlimit is None else str(gomemlimit)}


def by_gogc(summary: Summary) -> dict[Any, TrialRecord]:
    return {t.params["GOGC"]: t for t in summary.trials}


def study(spec_path: Path, options: RunOptions, replay: Backend) -> tuple[RunDir, Summary]:
    """run_study without its reports (test_reports_name_the_recommendation writes them)."""
    return run_study(spec_path, options, backend=replay, write_report=False)


def test_grid_study_measures_the_baseline_first_then_each_point_with_its_median(tmp_path):
    spec_path = write_spec(tmp_path, {"GOGC": GOGC_GRID})
    replay = backend()
    run_dir, summary = study(spec_path, RunOptions(results_dir=tmp_path / "results"), replay)
    played = replay.runner.played
    assert played[:3] == ["default/repeat-1", "default/repeat-2", "default/repeat-3"]
    assert summary.baseline.metrics["repeats"] == 3
    assert summary.baseline.metrics["gc_cpu_percent"] == pytest.approx(recorded_median({"GOGC": "100"}, 3))
    trials = by_gogc(summary)
    assert sorted(trials) == GOGC_GRID and summary.finished
    for gogc, trial in trials.items():
        if gogc == 800:
            continue
        assert (trial.outcome, trial.feasible, trial.metrics["repeats"]) == ("ok", True, 3)
        assert trial.metrics["gc_cpu_percent"] == pytest.approx(recorded_median({"GOGC": str(gogc)}, 3))
    oom = trials[800]
    assert (oom.outcome, oom.feasible, oom.metrics["repeats"]) == ("oom", False, 1)  # not repeated
    assert "OOM-killed" in oom.reason and played.count("oom-gogc800/repeat-1") == 1
    best = min((g for g in GOGC_GRID if g != 800), key=lambda g: recorded_median({"GOGC": str(g)}, 3))
    assert summary.recommended is not None and summary.recommended.params["GOGC"] == best
    assert len(played) == 3 + 3 * (len(GOGC_GRID) - 1) + 1


def test_thrashing_crash_and_skipped_configurations_are_told_apart(tmp_path):
    spec_path = write_spec(tmp_path, {"GOGC": [150, "off"], "GOMEMLIMIT": ["none", "16MiB"]})
    replay = backend(match="nearest")
    _, summary = study(spec_path, RunOptions(results_dir=tmp_path / "results"), replay)
    trials = {(t.params["GOGC"], t.params["GOMEMLIMIT"]): t for t in summary.trials}
    assert len(trials) == 4
    thrash = trials[(150, 16 * 2**20)]  # nearest: the recorded GOGC=100 GOMEMLIMIT=16MiB run
    assert (thrash.outcome, thrash.feasible, thrash.state) == ("thrashing", False, "COMPLETE")
    assert "stopped early" in thrash.reason and thrash.metrics["stopped_early"] is True
    crash = trials[(150, None)]
    assert (crash.outcome, crash.state) == ("crash", "FAIL")
    crash_stderr = (SET / "crash-gogc150" / "repeat-1" / "gctrace.txt").read_text().strip().splitlines()[-1]
    assert crash.reason == f"exit code 2: {crash_stderr[:200]}"
    skipped = trials[("off", None)]
    assert (skipped.outcome, skipped.feasible) == ("skipped", False) and "never collects" in skipped.reason
    assert trials[("off", 16 * 2**20)].outcome == "ok"  # nearest: GOGC=off with a 75% limit
    assert "thrash-limit16MiB/repeat-1" in replay.runner.played
    assert "crash-gogc150/repeat-1" in replay.runner.played
    assert summary.trial_counts and summary.recommended is not None
    assert summary.recommended.params == trials[("off", 16 * 2**20)].params


def test_an_interrupted_study_resumes_redoing_only_the_interrupted_trial(tmp_path):
    spec_path = write_spec(tmp_path, {"GOGC": GOGC_GRID})
    options = RunOptions(results_dir=tmp_path / "results", run_id="resumed")
    first = backend(faults={5: KeyboardInterrupt()})  # the third repeat of the first trial
    with pytest.raises(KeyboardInterrupt):
        study(spec_path, options, first)
    run_dir = RunDir(tmp_path / "results" / "replay-study" / "resumed")
    interrupted = run_dir.read_summary()
    assert not interrupted.finished and interrupted.trials == []
    second = backend()
    _, summary = study(spec_path, RunOptions(resume=run_dir.root), second)
    assert summary.finished and len(summary.trials) == len(GOGC_GRID)
    assert sorted(by_gogc(summary)) == GOGC_GRID
    assert not any(p.startswith("default/") for p in second.runner.played)  # the baseline is not redone
    redone = summary.trials[0]
    assert redone.metrics["repeats"] == 3
    first_config = config_for(trial_settings(redone))["name"]
    assert first.runner.played[3:5] == [f"{first_config}/repeat-1", f"{first_config}/repeat-2"]
    assert second.runner.played[:3] == [f"{first_config}/repeat-{n}" for n in (1, 2, 3)]
    runs = sum(t.metrics.get("repeats", 0) for t in summary.trials)
    assert len(second.runner.played) == runs  # nothing measured twice in the second session


def test_engine_failures_in_a_row_stop_the_study(tmp_path):
    spec_path = write_spec(tmp_path, {"GOGC": GOGC_GRID})
    limit = RECORDED_SPEC.search.max_engine_failures
    faults = {3 + n: EngineError(f"engine gone {n}") for n in range(limit)}  # after the baseline's 3 runs
    replay = backend(faults=faults)
    with pytest.raises(EngineError, match=f"{limit} trials in a row failed.*engine gone {limit - 1}"):
        study(spec_path, RunOptions(results_dir=tmp_path / "results"), replay)
    run_dirs = list((tmp_path / "results" / "replay-study").iterdir())
    summary = RunDir(run_dirs[0]).read_summary()
    assert [t.outcome for t in summary.trials] == ["engine"] * limit
    assert replay.runner.played[3:] == [None] * limit


# Each case writes a whole report (its figures take seconds): one repeat, the common case, runs in the
# fast tier; 3 and 7 repeats in the full tier.
@pytest.mark.parametrize("repeats", [1, pytest.param(3, marks=pytest.mark.slow), pytest.param(7, marks=pytest.mark.slow)])
def test_reports_name_the_recommendation(tmp_path, repeats):
    spec_path = write_spec(tmp_path, {"GOGC": GOGC_GRID}, repeats=repeats)
    run_dir, summary = study(spec_path, RunOptions(results_dir=tmp_path / "results"), backend())
    assert not (run_dir.root / "report.html").exists()
    write_reports(run_dir.root)
    for name in ("report.html", "report.md", "report.json"):
        assert (run_dir.root / name).stat().st_size > 0
    best = min((g for g in GOGC_GRID if g != 800), key=lambda g: recorded_median({"GOGC": str(g)}, repeats))
    assert summary.recommended is not None and summary.recommended.params["GOGC"] == best
    assert summary.baseline.metrics["repeats"] == repeats
    headline = json.loads((run_dir.root / "report.json").read_text())["headline"]
    assert headline["params"]["GOGC"] == best and f"GOGC={best}" in headline["verdict"]
    assert f"GOGC={best}" in (run_dir.root / "report.md").read_text()
    assert headline["confidence"]["repeats"] == repeats


@pytest.mark.slow  # two nights, each with its whole report
def test_a_nightly_recheck_of_the_same_recorded_runs_is_no_regression(tmp_path):
    spec_path = write_spec(tmp_path, {"GOGC": GOGC_GRID}, nightly={"mode": "recheck", "top": 1, "repeats": 3})
    results = tmp_path / "results"
    first = run_nightly(spec_path, RunOptions(results_dir=results, run_id="night-1"), backend=backend())
    assert first.previous is None and not first.regression
    second = run_nightly(spec_path, RunOptions(results_dir=results, run_id="night-2"), backend=backend())
    assert second.previous is not None and second.previous.run_id == "night-1"
    assert second.night.mode == "recheck" and not second.regression
    recommended = first.night.recommended_trial_params
    assert recommended and second.run_dir.read_summary().trials[0].optuna_params == recommended


def test_the_first_night_in_a_new_results_folder_runs(tmp_path):
    spec_path = write_spec(tmp_path, {"GOGC": [400]}, nightly={"mode": "recheck", "repeats": 1})
    result = run_nightly(spec_path, RunOptions(results_dir=tmp_path / "new"), backend=backend())
    assert result.previous is None
