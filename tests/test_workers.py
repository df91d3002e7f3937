"""Workers on one study (issue 11), with real parts: PostgreSQL, the local engine and a second engine the
test starts, a coordinator (`gctune run --storage`) and `gctune worker` processes.

The workload is the probe as the user's own package (so its source travels through the artifact store),
trials of about a second. Checked: the budget is exact and no configuration measured twice; a worker
SIGKILLed during a trial has it failed by its stale heartbeat and measured by another; a worker on the
second engine records that engine, its fingerprint, and memory read without the local cgroup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import docker.errors
import optuna
import pytest
from optuna.trial import TrialState

from conftest import DATA, ROOT, containers_of
from engines import second_engine  # noqa: F401 - a fixture: a second dockerd of the test's own
from test_faults import Background, _no_gctune_left_running, measured, no_traceback, summary_of  # noqa: F401
from test_storage_postgres import postgres_url  # noqa: F401 - the fixture: scripts/ensure-postgres

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """
name: {name}
workload: {{go_package: ./probe, args: [spin], warmup: 100ms, duration: {duration}}}
container: {{cpus: 1, memory: 256MiB}}
space:
  GOGC: {{low: 25, high: 800, log: true}}
search: {{trials: {trials}, seed: 7, repeats: 1}}
"""


def make_spec(folder: Path, trials: int, duration: str) -> tuple[Path, str]:
    name = f"wk-{uuid.uuid4().hex[:10]}"  # a study of its own in the shared database
    shutil.copytree(DATA / "probe", folder / "probe")
    spec = folder / "spec.yaml"
    spec.write_text(SPEC.format(name=name, trials=trials, duration=duration))
    return spec, name


def published(url: str, study_name: str) -> bool:
    """The coordinator created the study and recorded what workers need."""
    try:
        return "gctune:spec" in optuna.load_study(study_name=study_name, storage=url).user_attrs
    except KeyError:
        return False


def settings_of(trial) -> str:
    return json.dumps(trial.user_attrs["settings"], sort_keys=True)


@pytest.fixture
def cleanup_study(postgres_url):  # noqa: F811
    names: list[str] = []
    yield names
    for name in names:
        try:
            optuna.delete_study(study_name=name, storage=postgres_url)
        except KeyError:
            pass


def test_a_coordinator_and_two_workers_one_on_a_second_engine_spend_the_budget_exactly(
        tmp_path, postgres_url, second_engine, docker_client, cleanup_study):  # noqa: F811
    spec, name = make_spec(tmp_path, trials=8, duration="1200ms")
    run_id = "multi"
    study_name = f"{name}/{run_id}"
    cleanup_study.append(study_name)
    run_dir = tmp_path / "results" / name / run_id
    coordinator = Background(tmp_path / "logs", "run", str(spec), "--storage", postgres_url, "--run-id", run_id,
                             "--results-dir", str(tmp_path / "results"), "--json")
    assert coordinator.until(lambda: published(postgres_url, study_name), timeout_s=240), coordinator.stderr
    common = ("worker", "--storage", postgres_url, "--study", study_name, "--json")
    local = Background(tmp_path / "logs", *common, "--results-dir", str(tmp_path / "w-local"))
    # The second engine is on this machine, so its containers' cgroup files are here too: moving the cgroup
    # root away makes this worker read them as it would from a truly remote engine (its stats API).
    remote = Background(tmp_path / "logs", *common, "--engine", second_engine.host,
                        "--results-dir", str(tmp_path / "w-remote"), env={"GCTUNE_CGROUP_ROOT": "/nonexistent"})
    for process in (coordinator, local, remote):
        code = process.wait(timeout_s=400)
        no_traceback(process.stderr)
        assert code == 0, process.stderr[-3000:]
    summary = summary_of(run_dir)
    assert summary["finished"] is True and len(summary["trials"]) == 8
    study = optuna.load_study(study_name=study_name, storage=postgres_url)
    trials = measured(study)
    assert len(trials) == 8  # exact, though three processes asked
    assert len({settings_of(t) for t in trials}) == 8  # no configuration measured twice
    by = {t.user_attrs["measured_by"] for t in trials}
    assert len(by) >= 2, by  # the work was shared
    on_second = [t for t in trials if t.user_attrs.get("engine_url") == second_engine.host]
    assert on_second, [t.user_attrs.get("engine_url") for t in trials]
    engine_info = second_engine.client().info()
    for trial in on_second:
        fingerprint = trial.user_attrs["fingerprint"]
        assert fingerprint["engine"] == f"docker {engine_info['ServerVersion']}"
        assert fingerprint["cores"] == engine_info["NCPU"] and fingerprint["kernel"] == engine_info["KernelVersion"]
        source = trial.user_attrs["metrics"]["peak_memory_source"]
        assert source and "cgroup v" not in source, source  # not the local cgroup files
    remote_report = json.loads(Path(remote.out_path).read_text())
    assert remote_report["measured_here"] == len(on_second) and remote_report["budget"] == 8
    # Every trial's raw files are in the coordinator's run folder, wherever it ran.
    for record in summary["trials"]:
        folder = run_dir / "trials" / f"{record['trial']:04d}"
        assert (folder / "trial.json").exists() and (folder / "repeat-1" / "gctrace.txt").stat().st_size > 0
    assert containers_of(docker_client, run_id) == [] and containers_of(second_engine.client(), run_id) == []


def as_other_host(*args: str) -> list[str]:
    """The command in a UTS namespace of its own with another host name: to every other process it is a
    worker on another host, whose death only its heartbeat tells."""
    return ["unshare", "--uts", "sh", "-c", 'hostname gctune-elsewhere && exec "$@"', "sh", *args]


def test_a_worker_killed_in_a_trial_has_it_measured_by_another_and_counted_once(
        tmp_path, postgres_url, docker_client, cleanup_study):  # noqa: F811
    if shutil.which("unshare") is None:
        pytest.skip("needs unshare (util-linux) to run a worker under another host name")
    spec, name = make_spec(tmp_path, trials=3, duration="4s")
    run_id = "killed"
    study_name = f"{name}/{run_id}"
    cleanup_study.append(study_name)
    beat = {"GCTUNE_HEARTBEAT_S": "1"}  # stale after 3 s
    coordinator = Background(tmp_path / "logs", "run", str(spec), "--storage", postgres_url, "--run-id", run_id,
                             "--results-dir", str(tmp_path / "results"), env=beat)
    assert coordinator.until(lambda: published(postgres_url, study_name), timeout_s=240), coordinator.stderr
    worker = subprocess.Popen(as_other_host(sys.executable, "-m", "orchestrator", "worker", "--storage", postgres_url,
                                            "--study", study_name, "--results-dir", str(tmp_path / "w")),
                              cwd=ROOT, env={**os.environ, **beat}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        def worker_trial_running():
            study = optuna.load_study(study_name=study_name, storage=postgres_url)
            running = [t for t in study.get_trials(states=(TrialState.RUNNING,))
                       if "gctune-elsewhere" in t.system_attrs.get("gctune:owner", "")]
            try:
                has_container = any(c.labels.get("gctune.host") == "gctune-elsewhere"
                                    for c in containers_of(docker_client, run_id))
            except docker.errors.NotFound:  # one ended between the listing and its inspection
                return None
            return running[0] if running and has_container else None

        assert coordinator.until(worker_trial_running, timeout_s=300), worker.stderr.read() if worker.poll() else ""
        killed = worker_trial_running()
        worker.kill()  # SIGKILL in the middle of its trial
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
    for container in containers_of(docker_client, run_id):  # the dead worker's container, left running
        if container.labels.get("gctune.host") == "gctune-elsewhere":
            container.remove(force=True)
    code = coordinator.wait(timeout_s=300)
    no_traceback(coordinator.stderr)
    assert code == 0, coordinator.stderr[-3000:]
    study = optuna.load_study(study_name=study_name, storage=postgres_url)
    assert study.trials[killed.number].state == TrialState.FAIL  # failed by its stale heartbeat
    retries = [t for t in study.trials if killed.number in t.system_attrs.get("retry_history", [])]
    assert retries, "Optuna's retry callback queued the killed trial again"
    stale = {n for t in study.trials for n in t.system_attrs.get("retry_history", [])}
    trials = [t for t in measured(study) if t.number not in stale]
    assert len(trials) == 3 and len({settings_of(t) for t in trials}) == 3
    summary = summary_of(tmp_path / "results" / name / run_id)
    assert sorted(t["trial"] for t in summary["trials"]) == sorted(t.number for t in trials)
    redone = [t for t in trials if t.params == killed.params]
    assert len(redone) == 1 and redone[0].user_attrs["measured_by"] != killed.system_attrs["gctune:owner"]
    assert killed.number not in {t.number for t in trials}  # counted once: by its re-run
    assert summary["finished"] is True
