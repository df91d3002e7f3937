"""The replay runner: matching, repeat cycling, the early-stop cut, faults, and metrics as recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.definitions import METRICS
from orchestrator.errors import EngineError
from orchestrator.metrics._thrash import ThrashDetector
from orchestrator.parsers.gctrace import parse_gctrace
from orchestrator.parsers.workload import parse_workload_output
from orchestrator.runners import ReplayRunner, RunRequest
from orchestrator.spec import load_spec, resolve_trial_settings
from orchestrator.trial import run_trial, trial_request

SET = Path(__file__).parent / "data" / "replay" / "service-1cpu"
CAPTURE = json.loads((SET / "capture.json").read_text())
SPEC = load_spec(SET / "spec.yaml")


def request(runner: ReplayRunner, on_stdout_line=None, **settings: str) -> RunRequest:
    return trial_request(SPEC, resolve_trial_settings(SPEC, settings), runner.image, "test", on_stdout_line)


def recorded(name: str) -> tuple[str, str, dict]:
    folder = SET / name
    return ((folder / "workload.jsonl").read_text(), (folder / "gctrace.txt").read_text(),
            json.loads((folder / "run.json").read_text()))


def test_attributes_are_those_recorded():
    runner = ReplayRunner(SET)
    assert runner.name == "replay" and runner.host_cpus == CAPTURE["host_cpus"]
    assert (runner.image.tag, runner.image.go_version) == (CAPTURE["image"], CAPTURE["go_version"])
    assert runner.engine_facts == CAPTURE["engine"]
    assert runner.fingerprint().cpu_model == CAPTURE["cpu_model"]


def test_exact_match_plays_the_recorded_run_of_those_settings():
    runner = ReplayRunner(SET)
    result = runner.run(request(runner, GOGC="400", GOMEMLIMIT="75%"))
    assert runner.played == ["gogc400-limit75pct/repeat-1"]
    stdout, stderr, run = recorded("gogc400-limit75pct/repeat-1")
    assert (result.stdout, result.stderr) == (stdout, stderr)
    assert (result.exit_code, result.wall_seconds, result.peak_memory_bytes) == (
        run["exit_code"], run["wall_seconds"], run["peak_memory_bytes"])
    assert run["request"]["env"]["GOMEMLIMIT"] == str(3 * 2**26)  # 75% of 256MiB


def test_exact_match_refuses_unrecorded_settings_and_names_what_was_recorded():
    runner = ReplayRunner(SET)
    with pytest.raises(LookupError, match="GOGC=60 .*recorded: .*GOGC=50 GOMEMLIMIT=none"):
        runner.run(request(runner, GOGC="60"))


@pytest.mark.parametrize("settings, served", [
    ({"GOGC": "60"}, "gogc50"),                                    # log 60/50 < log 100/60
    ({"GOGC": "90"}, "default"),
    ({"GOGC": "25", "GOMEMLIMIT": "75%"}, "gogc25"),               # a 25-point share step beats a 16x GOGC step
    ({"GOGC": "2000", "GOMEMLIMIT": "70%"}, "gogc800-limit75pct"),  # a number never matches off
    ({"GOGC": "off", "GOMEMLIMIT": "50%"}, "gogcoff-limit75pct"),   # off only matches off
    ({"GOGC": "120", "GOMEMLIMIT": "12MiB"}, "thrash-limit16MiB"),
])
def test_nearest_match_takes_the_closest_recorded_configuration(settings, served):
    runner = ReplayRunner(SET, match="nearest")
    runner.run(request(runner, **settings))
    assert runner.played == [f"{served}/repeat-1"]


def test_nearest_match_never_changes_the_container_limits():
    runner = ReplayRunner(SET, match="nearest")
    with pytest.raises(LookupError, match="cpus=2.0"):
        runner.run(request(runner, GOGC="100", cpus="2"))


def test_repeats_are_played_in_order_and_cycle():
    runner = ReplayRunner(SET)
    repeats = next(c["repeats"] for c in CAPTURE["configurations"] if c["name"] == "default")
    for _ in range(repeats + 2):
        runner.run(request(runner, GOGC="100"))
    runner.run(request(runner, GOGC="50"))
    expected = [f"default/repeat-{n}" for n in [*range(1, repeats + 1), 1, 2]]
    assert runner.played == [*expected, "gogc50/repeat-1"]


def test_a_stop_request_cuts_the_output_at_that_line_as_an_early_kill_would():
    runner = ReplayRunner(SET)
    seen: list[str] = []

    def stop_at_fifth(line: str) -> bool:
        seen.append(line)
        return len(seen) == 5

    result = runner.run(request(runner, stop_at_fifth, GOGC="25"))
    stdout, stderr, run = recorded("gogc25/repeat-1")
    lines = stdout.splitlines()
    assert len(lines) > 5 and run["exit_code"] == 0 and not run["stopped_early"]
    assert seen == lines[:5] and result.stdout.splitlines() == lines[:5]
    assert (result.exit_code, result.stopped_early, result.timed_out, result.oom_killed) == (137, True, False, False)
    cut_s = parse_workload_output(result.stdout).samples[-1].t
    kept, full = parse_gctrace(result.stderr).cycles, parse_gctrace(stderr).cycles
    assert kept and all(c.end_s <= cut_s for c in kept)
    assert full[len(kept)].end_s > cut_s  # the first cycle dropped had not been printed yet
    assert result.wall_seconds < run["wall_seconds"]
    assert parse_workload_output(result.stdout).summary is None


def test_a_capture_that_was_stopped_early_is_played_whole_with_its_real_kill():
    runner = ReplayRunner(SET)
    seen: list[str] = []
    result = runner.run(request(runner, lambda line: seen.append(line) or True, GOGC="100", GOMEMLIMIT="16MiB"))
    stdout, stderr, run = recorded("thrash-limit16MiB/repeat-1")
    assert run["stopped_early"] and run["exit_code"] == 137
    assert (result.stdout, result.stderr, result.stopped_early) == (stdout, stderr, True)
    assert seen == stdout.splitlines()  # every line still goes to the callback, as in the Docker runner


def test_faults_are_raised_at_their_call_and_do_not_use_up_a_repeat():
    runner = ReplayRunner(SET, faults={1: EngineError("engine gone"), 3: KeyboardInterrupt()})
    runner.run(request(runner, GOGC="100"))
    with pytest.raises(EngineError, match="engine gone"):
        runner.run(request(runner, GOGC="100"))
    runner.run(request(runner, GOGC="100"))
    with pytest.raises(KeyboardInterrupt):
        runner.run(request(runner, GOGC="100"))
    assert runner.played == ["default/repeat-1", None, "default/repeat-2", None]


@pytest.mark.parametrize("config", CAPTURE["configurations"], ids=lambda c: c["name"])
def test_metrics_from_a_replay_equal_those_computed_when_it_ran_for_real(config):
    runner = ReplayRunner(SET)
    settings = resolve_trial_settings(SPEC, config["settings"])
    for number in range(1, config["repeats"] + 1):
        detector = ThrashDetector(SPEC.search.thrash_gc_cpu_percent, SPEC.search.thrash_for, settings.cpus,
                                  runner.host_cpus)
        outcome = run_trial(SPEC, settings, runner, runner.image, "replay", on_stdout_line=detector.feed)
        assert runner.played[-1] == f"{config['name']}/repeat-{number}"
        real = json.loads((SET / runner.played[-1] / "metrics.json").read_text())
        replayed = json.loads(json.dumps(outcome.to_dict()))
        # A metric added after the capture was recorded has nothing to be computed from: it must be None.
        newer = {k for k in replayed if k not in real}
        assert newer <= set(METRICS) and all(replayed[k] is None for k in newer), newer
        assert ({k: v for k, v in replayed.items() if k not in newer | {"run_id"}}
                == {k: v for k, v in real.items() if k != "run_id"})
        assert detector.thrashing == (config["expect"] == "thrashing")


RUN_FOLDER = Path(__file__).parent / "data" / "format-v1" / "night-1"  # a gctune run folder, as `gctune run` left it


def run_folder_repeats() -> list[Path]:
    return sorted(RUN_FOLDER.glob("baseline/repeat-*")) + sorted(RUN_FOLDER.glob("trials/*/repeat-*"))


def test_a_run_folder_replays_each_repeat_with_the_metrics_it_recorded():
    """The study's own trial folders answer requests: same settings in, the recorded metrics out."""
    runner = ReplayRunner(RUN_FOLDER)
    info = json.loads((RUN_FOLDER / "run.json").read_text())
    assert (runner.image.tag, runner.image.go_version) == (info["image"], info["go_toolchain"])
    assert runner.host_cpus == info["engine"]["host_cpus"]
    spec = load_spec(RUN_FOLDER / "spec.yaml")
    repeats = run_folder_repeats()
    assert len(repeats) > 3
    for repeat in repeats:
        real = json.loads((repeat / "metrics.json").read_text())
        params = real["params"]
        settings = resolve_trial_settings(spec, {"GOGC": str(params["GOGC"]), "GOMEMLIMIT": str(
            params["GOMEMLIMIT"]) if params["GOMEMLIMIT"] is not None else "none"})
        assert settings.params() == params
        outcome = run_trial(spec, settings, runner, runner.image, "replay")
        assert runner.played[-1] == repeat.relative_to(RUN_FOLDER).as_posix()  # its repeats in order
        replayed = json.loads(json.dumps(outcome.to_dict()))
        newer = {k for k in replayed if k not in real}
        assert newer <= set(METRICS) and all(replayed[k] is None for k in newer), newer
        # the study added its thrash verdict and the repeat count to what run_trial computed
        assert {k: v for k, v in replayed.items() if k not in newer | {"run_id"}} == {
            k: v for k, v in real.items() if k in replayed and k != "run_id"}


def test_a_run_folder_replays_the_nearest_recorded_trial():
    runner = ReplayRunner(RUN_FOLDER, match="nearest")
    spec = load_spec(RUN_FOLDER / "spec.yaml")
    trial = json.loads((RUN_FOLDER / "trials" / "0001" / "trial.json").read_text())["params"]
    near = resolve_trial_settings(spec, {"GOGC": str(trial["GOGC"] + 3), "GOMEMLIMIT": str(trial["GOMEMLIMIT"])})
    runner.run(trial_request(spec, near, runner.image, "test"))
    assert runner.played == ["trials/0001/repeat-1"]
