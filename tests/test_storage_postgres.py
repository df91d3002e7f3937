"""A real study in PostgreSQL: `gctune run --storage postgresql+psycopg://...`, then resume from run.json.

``scripts/ensure-postgres`` makes the server answer (on Debian as root it installs and starts it).
Each test session gives its spec, hence its study, a name of its own, so runs never share a study.
"""

from __future__ import annotations

import json
import subprocess
import uuid

import optuna
import pytest
from optuna.trial import TrialState

from conftest import ROOT, gctune
from orchestrator.search._storage import redact

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SPEC = """
name: {name}
workload:
  builtin: service
  live_heap: 16MiB
  warmup: 500ms
  duration: 1000ms
container:
  cpus: 1
  memory: 256MiB
space:
  GOGC: {{low: 50, high: 200}}
search:
  trials: 2
  seed: 3
"""

BUILTIN_CONSTRAINTS = {"no OOM kill", "no GC thrashing", "runnable configuration"}


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The storage URL of a PostgreSQL server that answers now; the script prints it last."""
    result = subprocess.run([str(ROOT / "scripts" / "ensure-postgres")], capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, f"scripts/ensure-postgres failed:\n{result.stderr}"
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def pg_run(postgres_url, tmp_path_factory):
    """One finished two-trial study in PostgreSQL; the study is deleted afterwards."""
    tmp = tmp_path_factory.mktemp("pg")
    name = f"pg-{uuid.uuid4().hex[:12]}"
    spec = tmp / "spec.yaml"
    spec.write_text(SPEC.format(name=name))
    run_id = f"r-{uuid.uuid4().hex[:8]}"
    result = gctune("run", str(spec), "--results-dir", str(tmp / "results"), "--storage", postgres_url,
                    "--run-id", run_id, "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    study_name = f"{name}/{run_id}"  # one study per run, so runs sharing a storage never mix
    yield spec, tmp / "results" / name / run_id, study_name, json.loads(result.stdout)
    try:
        optuna.delete_study(study_name=study_name, storage=postgres_url)
    except KeyError:
        pass


def test_the_study_lives_in_postgresql_with_its_constraints_and_attrs(pg_run, postgres_url):
    _, run_dir, name, printed = pg_run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert printed == summary and summary["finished"] is True
    # The password is never written to disk.
    assert summary["storage"] == redact(postgres_url) and ":gctune@" not in summary["storage"]
    assert summary["study_name"] == name
    assert json.loads((run_dir / "run.json").read_text())["storage"] == redact(postgres_url)
    assert not (run_dir / "study.db").exists()  # nothing went to the default SQLite file

    study = optuna.load_study(study_name=name, storage=postgres_url)
    assert "baseline" in study.user_attrs
    counted = [t for t in study.trials if t.state in (TrialState.COMPLETE, TrialState.FAIL)]
    assert len(counted) == 2 == summary["trial_counts"]["total"]
    for trial in counted:
        assert set(trial.constraints) >= BUILTIN_CONSTRAINTS
        assert trial.user_attrs["outcome"] == "ok", trial.user_attrs
        assert trial.user_attrs["feasible"] == all(v <= 0 for v in trial.constraints.values())
        assert 50 <= trial.params["GOGC"] <= 200
        assert (run_dir / "trials" / f"{trial.number:04d}" / "trial.json").exists()


def test_resume_reuses_the_recorded_postgresql_storage(pg_run, postgres_url):
    spec, run_dir, name, _ = pg_run
    without_password = gctune("run", str(spec), "--resume", str(run_dir), timeout=120)
    assert without_password.returncode == 2 and "pass --storage with its password" in without_password.stderr
    resumed = gctune("run", str(spec), "--resume", str(run_dir), "--storage", postgres_url, "--json", timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["storage"] == redact(postgres_url) and summary["finished"] is True
    assert summary["trial_counts"]["total"] == 2
    study = optuna.load_study(study_name=name, storage=postgres_url)
    assert len(study.trials) == 2  # the budget was spent: resuming ran nothing
    assert not (run_dir / "study.db").exists()


def test_resume_with_another_storage_is_refused(pg_run, postgres_url, tmp_path):
    spec, run_dir, _, _ = pg_run
    other = f"sqlite:///{tmp_path / 'other.db'}"
    refused = gctune("run", str(spec), "--resume", str(run_dir), "--storage", other, timeout=120)
    assert refused.returncode == 2, refused.stderr
    assert f"--storage {other}" in refused.stderr and redact(postgres_url) in refused.stderr
    assert "resume" in refused.stderr
    assert not (tmp_path / "other.db").exists()
    assert json.loads((run_dir / "run.json").read_text())["storage"] == redact(postgres_url)
