"""Fast tests of what workers share: the budget rule, the spec and source through the study, the recovery
of trials whose owner died, and trial files through the artifact store."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import time
import warnings

import optuna
import pytest
from optuna.trial import TrialState

from conftest import DATA
from orchestrator.errors import UsageError
from orchestrator.search._artifacts import fetch_trial_files, open_artifact_store, upload_trial_files
from orchestrator.search._claim import OWNER_ATTR, may_measure, owner, recover_dead, retry_callback
from orchestrator.search._shared import SOURCE_ATTR, SPEC_ATTR, joined_spec, publish, unpack_source
from orchestrator.search._states import INTERRUPTED, finished_trials
from orchestrator.spec import load_spec

optuna.logging.set_verbosity(optuna.logging.WARNING)


def test_the_budget_rule_lets_only_the_first_asked_take_the_last_slot():
    # budget 4, 3 measured, trials 10 and 11 running at once: 10 was asked first
    assert may_measure(10, 3, [10, 11], 4)
    assert not may_measure(11, 3, [10, 11], 4)
    # 10 finished meanwhile (now measured): 11 still has no room
    assert not may_measure(11, 4, [11], 4)
    # room for both
    assert may_measure(11, 2, [10, 11], 4)
    # a trial asked later never pushes an earlier one out
    assert may_measure(10, 3, [10, 11, 12], 4) and not may_measure(12, 2, [10, 11, 12], 4)


def test_an_all_new_budget_of_n_admits_exactly_n_of_many_concurrent_asks():
    running = list(range(100, 110))
    assert sum(may_measure(t, 0, running, 4) for t in running) == 4


BUILTIN_SPEC = """name: share
workload: {builtin: service, live_heap: 8MiB, warmup: 200ms, duration: 800ms}
container: {cpus: 1, memory: 128MiB}
space:
  GOGC: [off, 50, 200]
  GOMEMLIMIT: [none, 90%]
search: {trials: 3, sampler: grid}
go: {version: "1.24"}
"""


def test_a_built_in_spec_round_trips_through_the_study_attrs(tmp_path):
    spec_path = tmp_path / "share.yaml"
    spec_path.write_text(BUILTIN_SPEC)
    spec = load_spec(spec_path)
    study = optuna.create_study()
    publish(study, BUILTIN_SPEC, spec, None, None)
    assert study.user_attrs[SPEC_ATTR] == BUILTIN_SPEC and SOURCE_ATTR not in study.user_attrs
    assert study.user_attrs["gctune:go"] == "1.24"
    text, joined = joined_spec(study.user_attrs, None, tmp_path / "worker")
    assert text == BUILTIN_SPEC
    assert joined == spec  # the same spec, GOGC: off still the word off
    publish(study, "name: other\n", spec, None, None)  # a resumed coordinator leaves it as it was
    assert study.user_attrs[SPEC_ATTR] == BUILTIN_SPEC


def test_a_user_package_travels_as_source_and_is_rebuilt_from_the_copy(tmp_path):
    home = tmp_path / "coordinator"
    shutil.copytree(DATA / "probe", home / "probe")
    (home / "probe" / ".git").mkdir()
    (home / "probe" / ".git" / "secret.go").write_text("package secret\n")  # hidden folders stay home
    (home / "probe" / "notes.bin").write_bytes(b"\0" * 100)  # not source
    text = "name: probe\nworkload: {go_package: ./probe, args: [spin], duration: 1s}\ncontainer: {cpus: 1}\n"
    (home / "spec.yaml").write_text(text)
    spec = load_spec(home / "spec.yaml")
    store = open_artifact_store(str(tmp_path / "artifacts"))
    study = optuna.create_study()
    publish(study, text, spec, store, str(tmp_path / "artifacts"))
    assert study.user_attrs[SOURCE_ATTR]["package"] == "."
    with pytest.raises(UsageError, match="--artifacts"):
        joined_spec(study.user_attrs, None, tmp_path / "nostore")
    _, joined = joined_spec(study.user_attrs, store, tmp_path / "worker")
    copy = tmp_path / "worker" / "module"
    assert joined.workload.go_package == copy
    assert (copy / "main.go").read_text() == (home / "probe" / "main.go").read_text()
    assert not (copy / ".git").exists() and not (copy / "notes.bin").exists()
    assert joined.workload.args == spec.workload.args


def test_the_artifact_store_refuses_what_it_cannot_open(tmp_path):
    with pytest.raises(UsageError, match="s3://BUCKET"):
        open_artifact_store("s3://bucket/with/prefix")
    with pytest.raises(UsageError, match="folder path or s3://BUCKET"):
        open_artifact_store("gs://bucket")
    try:
        import boto3  # noqa: F401
    except ImportError:
        with pytest.raises(UsageError, match="needs boto3"):
            open_artifact_store("s3://bucket")


def test_trial_files_go_through_the_store_into_the_coordinators_folder(tmp_path):
    worker_folder = tmp_path / "worker" / "trials" / "0003"
    (worker_folder / "repeat-1").mkdir(parents=True)
    (worker_folder / "repeat-1" / "gctrace.txt").write_text("gc 1 @0.1s 2%: ...\n")
    (worker_folder / "trial.json").write_text('{"number": 3}\n')
    store = open_artifact_store(str(tmp_path / "artifacts"))
    study = optuna.create_study()
    trial = study.ask()
    artifact = upload_trial_files(store, trial, worker_folder)
    target = tmp_path / "coordinator" / "trials" / "0003"
    fetch_trial_files(store, artifact, target)
    assert (target / "repeat-1" / "gctrace.txt").read_text() == "gc 1 @0.1s 2%: ...\n"
    assert (target / "trial.json").read_text() == '{"number": 3}\n'


def test_a_tarball_naming_a_path_outside_its_folder_is_refused_and_writes_nothing(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        payload = b"escaped"
        info = tarfile.TarInfo("../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    with pytest.raises(UsageError, match="outside its folder"):
        unpack_source(buffer.getvalue(), tmp_path / "into")
    assert not (tmp_path / "escaped.txt").exists()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_trial_of_a_dead_process_on_this_host_runs_again_and_counts_once(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    storage = study._storage
    mine, theirs = study.ask({"x": optuna.distributions.IntDistribution(0, 9)}), \
        study.ask({"x": optuna.distributions.IntDistribution(0, 9)})
    storage.set_trial_system_attr(mine._trial_id, OWNER_ATTR, owner())
    storage.set_trial_system_attr(theirs._trial_id, OWNER_ATTR, owner().replace(str(os.getpid()),
                                                                                   str(dead_pid())))
    assert recover_dead(study, storage, INTERRUPTED) == [theirs.number]
    assert study.trials[mine.number].state == TrialState.RUNNING  # a live owner's trial is left alone
    waiting = study.get_trials(states=(TrialState.WAITING,))
    assert [t.system_attrs["fixed_params"] for t in waiting] == [{"x": theirs.params["x"]}]
    assert finished_trials(study) == []  # the failed one is not a measurement


def test_a_stale_heartbeat_is_failed_retried_and_left_out_of_the_count(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path / 'h.db'}", heartbeat_interval=1, grace_period=1,
                                             heartbeat_stale_trial_callback=retry_callback())
        study = optuna.create_study(storage=storage)
        trial = study.ask({"x": optuna.distributions.IntDistribution(0, 9)})
    storage.set_trial_system_attr(trial._trial_id, OWNER_ATTR, "pid 1 on host elsewhere")  # not judged by pid
    storage.record_heartbeat(trial._trial_id)
    time.sleep(2.2)
    recover_dead(study, storage, INTERRUPTED)
    states = [t.state for t in study.trials]
    assert states == [TrialState.FAIL, TrialState.WAITING]
    assert study.trials[1].params == trial.params
    assert finished_trials(study) == []


def test_trials_of_another_machine_are_counted_apart_and_never_raced():
    from orchestrator.results import TrialRecord
    from orchestrator.search._race import leaders
    from orchestrator.search._summary import _counts, on_machine

    def trial(machine: str | None, feasible: bool) -> optuna.trial.FrozenTrial:
        return optuna.trial.create_trial(value=1.0, user_attrs={"machine": machine, "feasible": feasible})

    trials = [trial("here", True), trial("here", False), trial("there", True), trial(None, True)]
    feasible = [t for t in trials if t.user_attrs["feasible"] and on_machine(t.user_attrs["machine"], "here")]
    counts = _counts(trials, feasible, "here")
    assert counts["feasible"] == 2 and counts["infeasible"] == 1 and counts["other_machine"] == 1
    assert "other_machine" not in _counts(trials[:2], feasible[:1], "here")

    records = [TrialRecord(trial=n, state="COMPLETE", feasible=True, values={"gc_cpu_percent": v}, params={"GOGC": g},
                           machine=m) for n, (v, g, m) in enumerate([(5.0, 100, "there"), (6.0, 200, "here")])]
    comparable = [r for r in records if on_machine(r.machine, "here")]
    assert [r.trial for r in leaders(comparable, "gc_cpu_percent", "minimize")] == [1]
