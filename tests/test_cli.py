"""The command line as a user drives it: exit codes, messages, JSON, signals and cleanup."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import DATA, ROOT, containers_of, gctune, gctune_in_process

TRIAL_KEYS = {"gc_cpu_percent", "gc_cycles", "pause_ms_total", "pause_ms_max", "peak_memory_bytes",
              "peak_heap_bytes", "cpu_seconds", "wall_seconds", "throughput_ops_per_s", "latency_p99_ms",
              "oom_killed", "timed_out", "exit_code", "params"}

SHORT_SPEC = """
name: cli-test
workload:
  builtin: service
  live_heap: 16MiB
  warmup: {warmup}
  duration: {duration}
container:
  cpus: 1
  memory: 256MiB
space:
  GOGC: {{low: 25, high: 400, log: true}}
  GOMEMLIMIT: {{low: 50%, high: 95%}}
"""


def short_spec(tmp_path, warmup="500ms", duration="2s"):
    path = tmp_path / "short.yaml"
    path.write_text(SHORT_SPEC.format(warmup=warmup, duration=duration))
    return path


def test_validate_accepts_the_examples():
    specs = sorted((ROOT / "experiments").glob("*.yaml"))
    for spec in specs:  # the first as a user runs it, the rest in this process
        result = gctune("validate", str(spec)) if spec == specs[0] else gctune_in_process("validate", str(spec))
        assert result.returncode == 0, result.stderr
        assert "valid" in result.stdout


@pytest.mark.parametrize("text, expected", [
    ("name: x\nworkload: {builtin: service}\nsearch: {sampler: annealing}\n", "search.sampler"),
    ("name: x\nworkload: {builtin: service}\ncontainer: {cpus: -1}\n", "container.cpus"),
    ("name: x\nworkload: {builtin: service\n", "line"),
    ("", "empty"),
])
def test_validate_rejects_bad_specs_with_exit_2_and_no_traceback(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = gctune_in_process("validate", str(path))
    assert result.returncode == 2
    assert str(path) in result.stderr and expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_set_argument_exits_2(tmp_path):
    result = gctune_in_process("trial", str(short_spec(tmp_path)), "--set", "GOGC=-5")
    assert result.returncode == 2 and "--set GOGC" in result.stderr and "Traceback" not in result.stderr
    result = gctune_in_process("trial", str(short_spec(tmp_path)), "--set", "GOGCC=50")
    assert result.returncode == 2 and "GOMEMLIMIT" in result.stderr  # lists the valid names


def test_parse_gctrace_json_has_the_documented_keys():
    result = gctune("parse", "gctrace", str(DATA / "gctrace" / "go1.27.3.txt"), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert set(summary) == {"cycles", "forced_cycles", "skipped_lines", "elapsed_s", "gc_percent_last",
                            "pause_ms_total", "pause_ms_max", "cpu_ms_total", "heap_peak_mb",
                            "live_heap_mb_last", "heap_goal_mb_last", "procs_last", "missing_cycles"}
    assert summary["cycles"] > 0


@pytest.mark.docker
@pytest.mark.slow
def test_trial_json_reports_every_metric_with_the_settings_used(tmp_path):
    result = gctune("trial", str(short_spec(tmp_path)), "--set", "GOGC=50", "--set", "GOMEMLIMIT=80%",
                    "--json", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert TRIAL_KEYS <= set(metrics)
    assert metrics["params"]["GOGC"] == 50
    assert metrics["params"]["GOMEMLIMIT"] == int(0.8 * 256 * 2**20)
    assert metrics["exit_code"] == 0 and not metrics["oom_killed"] and not metrics["timed_out"]
    assert metrics["gc_cycles"] > 0 and 0 < metrics["gc_cpu_percent"] < 100
    assert metrics["throughput_ops_per_s"] > 0
    assert metrics["peak_memory_bytes"] <= 256 * 2**20
    assert {p.name for p in (tmp_path / "out").iterdir()} == {"gctrace.txt", "workload.jsonl", "metrics.json"}
    # The trace really came from the container's settings.
    assert "gc 1 @" in (tmp_path / "out" / "gctrace.txt").read_text()


@pytest.mark.docker
@pytest.mark.slow
def test_a_trial_that_runs_out_of_memory_is_reported_not_crashed(tmp_path):
    spec = tmp_path / "oom.yaml"
    spec.write_text(SHORT_SPEC.format(warmup="500ms", duration="2s").replace("16MiB", "200MiB")
                    .replace("memory: 256MiB", "memory: 128MiB"))
    result = gctune("trial", str(spec), "--set", "GOGC=off", "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["oom_killed"] is True and metrics["exit_code"] == 137 and metrics["oom_signals"]
    assert metrics["window_complete"] is False


def _start_trial(tmp_path) -> subprocess.Popen:
    spec = short_spec(tmp_path, warmup="1s", duration="60s")
    return subprocess.Popen([sys.executable, "-m", "orchestrator", "trial", str(spec)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_container(client, timeout_s=120.0):
    from orchestrator.runners import RUN_LABEL

    deadline = time.time() + timeout_s
    while time.time() < deadline:
        found = client.containers.list(filters={"label": RUN_LABEL, "status": "running"})
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError("no trial container started")


@pytest.mark.docker
@pytest.mark.slow
@pytest.mark.parametrize("signum, exit_code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_ctrl_c_and_sigterm_remove_the_container(tmp_path, docker_client, signum, exit_code):
    process = _start_trial(tmp_path)
    container = _wait_for_container(docker_client)
    run_id = container.labels["gctune.run"]
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == exit_code, stderr
    assert "Traceback" not in stderr
    assert containers_of(docker_client, run_id) == []


@pytest.mark.docker
@pytest.mark.slow
def test_kill_9_leaves_a_stray_that_the_next_run_reaps(tmp_path, docker_client):
    from orchestrator.runners import DockerRunner

    process = _start_trial(tmp_path)
    container = _wait_for_container(docker_client)
    run_id = container.labels["gctune.run"]
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert len(containers_of(docker_client, run_id)) == 1  # nothing could clean up after kill -9
    runner = DockerRunner(docker_client)
    assert container.name in runner.reaped
    assert containers_of(docker_client, run_id) == []
