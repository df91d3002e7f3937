"""``--jobs N``: N trials at once on disjoint cores, never oversubscribed, the budget exact."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
import yaml

from conftest import gctune
from orchestrator.app import Backend, RunOptions, job_cpusets, run_study
from orchestrator.errors import UsageError
from orchestrator.results import EngineFacts
from orchestrator.runners import ReplayRunner
from orchestrator.spec import load_spec_text
from orchestrator.workloads import RecordedImage

SET = Path(__file__).parent / "data" / "replay" / "service-1cpu"


def spec_with(cpus: str) -> object:
    return load_spec_text(f"name: j\nworkload: {{builtin: service}}\ncontainer: {{cpus: {cpus}, memory: 256MiB}}\n")


def test_cores_are_split_into_disjoint_sets_of_ceil_cpus():
    assert job_cpusets(spec_with("1"), 2, 2) == ["0", "1"]
    assert job_cpusets(spec_with("1.5"), 2, 4) == ["0-1", "2-3"]


def test_more_jobs_than_fit_are_refused_saying_how_many_fit():
    with pytest.raises(UsageError, match=r"need 4 cores; this host has 2, so at most 1 job\(s\) fit"):
        job_cpusets(spec_with("1.5"), 2, 2)
    with pytest.raises(UsageError, match="needs a CPU limit"):
        job_cpusets(load_spec_text("name: j\nworkload: {builtin: service}\n"), 2, 2)


class SlowReplay(ReplayRunner):
    """A replay whose trials wait (up to a few seconds) for a second one to run beside them, so two jobs
    overlap as two containers would, however slowly a loaded machine schedules the threads."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.active, self.most_active, self.calls = 0, 0, 0
        self._count = threading.Condition()

    def run(self, request):
        with self._count:
            self.calls += 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            self._count.notify_all()
            if self.calls > 1:  # the baseline runs alone
                self._count.wait_for(lambda: self.most_active >= 2, timeout=5)
        try:
            return super().run(request)
        finally:
            with self._count:
                self.active -= 1


def test_two_jobs_run_at_once_on_their_own_cores_and_spend_the_budget_exactly(tmp_path):
    data = yaml.safe_load((SET / "spec.yaml").read_text())
    data.update(name="jobs", space={"GOGC": [25, 50, 200, 400]})
    data["search"] = {**data["search"], "sampler": "random", "seed": 5, "repeats": 1, "trials": 4}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    runner = SlowReplay(SET)
    backend = Backend(runner, lambda spec: RecordedImage(runner.image), EngineFacts.model_validate(runner.engine_facts))
    _, summary = run_study(path, RunOptions(results_dir=tmp_path / "r", jobs=2), backend=backend, write_report=False)
    assert sorted(t.params["GOGC"] for t in summary.trials) == [25, 50, 200, 400]  # exact, each once
    assert runner.most_active == 2  # really in parallel
    trial_cpusets = runner.cpusets[1:]  # after the baseline
    assert set(trial_cpusets) == {"0", "1"} and runner.cpusets[0] == "0"


@pytest.mark.docker
@pytest.mark.slow
def test_docker_inspect_shows_disjoint_cpusets_under_two_jobs(tmp_path, docker_client):
    spec = tmp_path / "jobs.yaml"
    spec.write_text("name: jobs\nworkload: {builtin: service, live_heap: 8MiB, warmup: 300ms, duration: 2s,"
                    " sample_interval: 250ms}\ncontainer: {cpus: 1, memory: 128MiB}\n"
                    "space: {GOGC: [50, 200, 400, 800]}\nsearch: {trials: 4, sampler: grid}\n")
    seen: dict[str, str] = {}
    stop = threading.Event()

    def watch() -> None:  # what the engine itself says each running container may use
        while not stop.is_set():
            for container in docker_client.containers.list(filters={"label": "gctune.run=two"}):
                seen[container.id] = container.attrs["HostConfig"]["CpusetCpus"]
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = gctune("run", str(spec), "--results-dir", str(tmp_path / "r"), "--run-id", "two", "--jobs", "2",
                    "--json", timeout=300)
    stop.set()
    watcher.join()
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["trials"]) == 4
    assert set(seen.values()) == {"0", "1"}, seen
    refused = gctune("run", str(spec), "--results-dir", str(tmp_path / "r"), "--jobs", "3", timeout=60)
    assert refused.returncode == 2 and "at most 2 job(s) fit" in refused.stderr
