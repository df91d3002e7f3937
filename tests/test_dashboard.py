"""optuna-dashboard (the real package, served on loopback) shows gctune's infeasible trials as infeasible.

Optuna 5 stores ``set_constraint`` per key; optuna-dashboard 0.21 reads only the older list, so gctune
writes both. The study here is a real gctune study over replays of recorded container runs.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from orchestrator.app import RunOptions, replay_backend, run_study

SET = Path(__file__).parent / "data" / "replay" / "service-1cpu"
DASHBOARD = Path(sys.executable).with_name("optuna-dashboard")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def study_dir(tmp_path):
    data = yaml.safe_load((SET / "spec.yaml").read_text())
    # 800 is an OOM kill (infeasible by gctune's own constraint); the memory bound rules out more.
    data.update(name="dashboard", space={"GOGC": [25, 200, 400, 800]},
                constraints=["peak_memory_bytes <= 80MiB", "oom_killed == false"])
    data["search"] = {**data["search"], "sampler": "grid", "repeats": 1, "trials": 4}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(data))
    run_dir, summary = run_study(spec, RunOptions(results_dir=tmp_path / "results"),
                                 backend=replay_backend(SET), write_report=False)
    return run_dir, summary


@pytest.mark.skipif(not DASHBOARD.exists() and shutil.which("optuna-dashboard") is None,
                    reason="optuna-dashboard is a test dependency (pip install -e '.[test]')")
def test_the_dashboard_marks_exactly_the_infeasible_trials(study_dir):
    run_dir, summary = study_dir
    expected = {t.trial: t.feasible for t in summary.trials if t.state == "COMPLETE"}
    assert True in expected.values() and False in expected.values(), expected  # the test can tell them apart
    port = free_port()
    server = subprocess.Popen([str(DASHBOARD if DASHBOARD.exists() else "optuna-dashboard"),
                               f"sqlite:///{run_dir.db_path}", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                studies = get(f"{base}/api/studies")["study_summaries"]
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("optuna-dashboard did not answer")
        study_id = next(s["study_id"] for s in studies if s["study_name"] == summary.study_name)
        trials = get(f"{base}/api/studies/{study_id}?after=0")["trials"]
        shown = {t["number"]: all(c <= 0 for c in t["constraints"]) for t in trials if t["state"] == "Complete"}
        assert all(t["constraints"] for t in trials if t["state"] == "Complete")  # none left without them
        assert shown == expected
    finally:
        server.terminate()
        server.wait(timeout=10)
