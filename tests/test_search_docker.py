"""Real studies on Docker: a small search, interruption and resume, thrashing, OOM and skips."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.trial import TrialState

from conftest import ROOT, gctune

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """
name: {name}
workload:
  builtin: service
  live_heap: 16MiB
  warmup: 500ms
  duration: {duration}
container:
  cpus: 1
  memory: 256MiB
space:
  GOGC: {{low: 25, high: 400, log: true, off: true}}
  GOMEMLIMIT: [none, 60%, 90%]
constraints:
  - peak_memory_bytes <= 200MiB
  - throughput_ops_per_s >= 0.3 * baseline
search:
  trials: {trials}
  seed: 7
  repeats: {repeats}
"""


def write_spec(tmp_path, name="small", duration="1500ms", trials=4, repeats=1):
    path = tmp_path / f"{name}.yaml"
    path.write_text(SPEC.format(name=name, duration=duration, trials=trials, repeats=repeats))
    return path


def load(run_dir):
    summary = json.loads((run_dir / "summary.json").read_text())
    return summary, optuna.load_study(study_name=summary["study_name"], storage=summary["storage"])


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    result = gctune("run", str(write_spec(tmp, repeats=2)), "--results-dir", str(tmp / "results"),
                    "--run-id", "r1", "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    return tmp / "results" / "small" / "r1", json.loads(result.stdout)


def test_a_small_study_runs_its_budget_and_stores_an_ordinary_optuna_study(small_run):
    run_dir, printed = small_run
    summary, study = load(run_dir)
    assert printed == summary and summary["finished"] is True
    counted = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
    assert len(counted) == 4 == summary["trial_counts"]["total"]
    for trial in study.trials:
        if trial.state == TrialState.COMPLETE:
            # Optuna 5 counts a trial without constraint values as feasible: every one has them.
            assert set(trial.constraints) >= {"no OOM kill", "peak_memory_bytes <= 200MiB",
                                              "throughput_ops_per_s >= 0.3 * baseline"}
            assert trial.user_attrs["feasible"] == all(v <= 0 for v in trial.constraints.values())
        folder = run_dir / "trials" / f"{trial.number:04d}"
        assert json.loads((folder / "trial.json").read_text())["number"] == trial.number


def test_repeats_give_a_median_and_a_spread(small_run):
    run_dir, summary = small_run
    baseline = summary["baseline"]
    assert baseline["params"]["GOGC"] == 100 and baseline["params"]["GOMEMLIMIT"] is None
    spread = baseline["spread"]["gc_cpu_percent"]
    assert spread["n"] == 2 and spread["min"] <= baseline["metrics"]["gc_cpu_percent"] <= spread["max"]
    for index in (1, 2):
        assert (run_dir / "baseline" / f"repeat-{index}" / "gctrace.txt").read_text().startswith("gc 1 @")
        assert (run_dir / "baseline" / f"repeat-{index}" / "metrics.json").exists()


def test_the_recommendation_is_feasible_and_compared_with_the_baseline(small_run):
    _, summary = small_run
    rec = summary["recommended"]
    assert rec is not None and summary["trial_counts"]["feasible"] >= 1
    assert rec["metrics"]["peak_memory_bytes"] <= 200 * 2**20
    saving = summary["saving"]
    assert saving["baseline"] == summary["baseline"]["metrics"]["gc_cpu_percent"]
    assert saving["absolute"] == pytest.approx(saving["baseline"] - saving["recommended"])
    if rec["trial"] != "baseline":
        assert saving["absolute"] > 0  # otherwise the baseline would have been recommended
        assert summary["headroom"]["memory_limit_bytes"] == 256 * 2**20


def _wait_for(predicate, timeout_s=180.0):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def _completed_trials(run_dir):
    path = run_dir / "summary.json"
    return json.loads(path.read_text())["trials"] if path.exists() else []


@pytest.mark.parametrize("how", ["ctrl-c", "kill-9"])
def test_an_interrupted_study_resumes_without_redoing_finished_trials(tmp_path, docker_client, how):
    spec = write_spec(tmp_path, name="resume", duration="3s", trials=3)
    results, run_dir = tmp_path / "results", tmp_path / "results" / "resume" / "r2"
    command = [sys.executable, "-m", "orchestrator", "run", str(spec), "--results-dir", str(results), "--run-id", "r2"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: len(_completed_trials(run_dir)) >= 1)
    _wait_for(lambda: docker_client.containers.list(filters={"label": f"gctune.pid={process.pid}"}))
    before = {t["trial"]: t for t in _completed_trials(run_dir)}
    os.kill(process.pid, signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == (130 if how == "ctrl-c" else -9)

    resumed = gctune("run", str(spec), "--resume", str(run_dir), "--json", timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    summary, study = load(run_dir)
    assert summary["finished"] and summary["trial_counts"]["total"] == 3
    for number, trial in before.items():  # finished trials were kept, not measured again
        again = next(t for t in summary["trials"] if t["trial"] == number)
        assert again["metrics"] == trial["metrics"]
    cut = set(study.user_attrs.get("interrupted_trials", []))  # left RUNNING by a killed process
    interrupted = [t for t in study.trials if t.user_attrs.get("outcome") == "interrupted" or t.number in cut]
    assert len(interrupted) == 1 and interrupted[0].state == TrialState.FAIL
    requeued = [t for t in study.trials if t.params == interrupted[0].params and t.state == TrialState.COMPLETE]
    assert requeued, "the interrupted configuration was run again"
    assert docker_client.containers.list(all=True, filters={"label": "gctune.run=r2"}) == []


def test_thrashing_oom_and_impossible_settings_are_infeasible_not_crashes(tmp_path):
    spec = tmp_path / "edge.yaml"
    spec.write_text("""
name: edge
workload: {builtin: service, live_heap: 48MiB, warmup: 500ms, duration: 20s}
container: {cpus: 1, memory: 96MiB}
space:
  GOGC: [100, "off"]
  GOMEMLIMIT: [none, 40MiB]
search: {sampler: grid, trials: 4, thrash_gc_cpu_percent: 30, thrash_for: 1s}
""")
    result = gctune("run", str(spec), "--results-dir", str(tmp_path / "results"), "--json", timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    by_params = {(t["params"]["GOGC"], t["params"]["GOMEMLIMIT"]): t for t in summary["trials"]}
    assert len(by_params) == 4  # the grid was covered exactly
    skipped = by_params[("off", None)]
    assert skipped["outcome"] == "skipped" and not skipped["feasible"] and "never collects" in skipped["reason"]
    squeezed = by_params[(100, 40 * 2**20)]  # a limit below the live heap: GC runs back to back
    assert squeezed["outcome"] in ("thrashing", "oom") and not squeezed["feasible"]
    if squeezed["outcome"] == "thrashing":
        assert squeezed["metrics"]["stopped_early"] and squeezed["metrics"]["wall_seconds"] < 15
