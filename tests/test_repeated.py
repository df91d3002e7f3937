"""A configuration measured in a run is never measured again, also across a resume with a seeded sampler."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.app import Backend, RunOptions, run_study
from orchestrator.results import EngineFacts
from orchestrator.runners import ReplayRunner
from orchestrator.workloads import RecordedImage

SET = Path(__file__).parent / "data" / "replay" / "service-1cpu"
CHOICES = [25, 50, 200, 400]


def backend(faults=None) -> tuple[Backend, ReplayRunner]:
    runner = ReplayRunner(SET, faults=faults)
    return Backend(runner, lambda spec: RecordedImage(runner.image), EngineFacts.model_validate(runner.engine_facts)), runner


def spec(folder: Path, choices: list, trials: int) -> Path:
    data = yaml.safe_load((SET / "spec.yaml").read_text())
    data.update(name="repeated", space={"GOGC": choices})
    data["search"] = {**data["search"], "sampler": "random", "seed": 3, "repeats": 1, "trials": trials}
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_resumed_seeded_run_measures_each_configuration_once(tmp_path):
    path, options = spec(tmp_path, CHOICES, trials=4), RunOptions(results_dir=tmp_path / "r", run_id="one")
    first, runner = backend(faults={2: KeyboardInterrupt()})  # call 0 is the baseline; the second trial is cut
    with pytest.raises(KeyboardInterrupt):
        run_study(path, options, backend=first, write_report=False)
    again, runner = backend()
    run_dir, summary = run_study(path, options, backend=again, write_report=False)
    measured = [t.params["GOGC"] for t in summary.trials]
    assert sorted(measured) == CHOICES  # exactly the budget, each configuration once
    assert summary.finished
    played = [p for p in runner.played if p]
    assert len(played) == 3  # the resume ran only what was not measured before


def test_a_space_that_runs_out_ends_the_study_without_running_anything_twice(tmp_path):
    path = spec(tmp_path, [25, 50], trials=5)  # 2 configurations, a budget of 5
    replay, runner = backend()
    _, summary = run_study(path, RunOptions(results_dir=tmp_path / "r"), backend=replay, write_report=False)
    assert sorted(t.params["GOGC"] for t in summary.trials) == [25, 50]
    assert len(runner.played) == 1 + 2  # the baseline and each configuration once
    assert not summary.finished  # the budget was not reached: the space ran out
