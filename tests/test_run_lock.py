"""One run, one coordinator: a second holder of a run folder is refused at once, naming the first; the
lock dies with its holder (also on SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT
from orchestrator.errors import UsageError
from orchestrator.store import RunDir

HOLD = """
import sys, time
from pathlib import Path
from orchestrator.store import RunDir
with RunDir(Path(sys.argv[1])).lock():
    print("locked", flush=True)
    time.sleep(60)
"""


def hold(folder) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_second_coordinator_is_refused_naming_the_holder(tmp_path):
    holder = hold(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(UsageError, match=f"in use by pid {holder.pid} on host") as caught:
            with RunDir(tmp_path).lock():
                pass
        assert caught.value.exit_code == 2 and time.monotonic() - started < 1
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_dies_with_a_killed_holder(tmp_path):
    holder = hold(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with RunDir(tmp_path).lock():  # the resume is never blocked by a dead coordinator
        assert f"pid {os.getpid()}" in (tmp_path / ".lock").read_text()
    assert (tmp_path / ".lock").read_text() == ""  # released: no holder named


@pytest.mark.docker
@pytest.mark.slow
def test_a_second_gctune_run_on_a_run_in_use_exits_2_and_the_killed_run_resumes(tmp_path, docker_client):
    from conftest import containers_of, gctune

    spec = tmp_path / "lock.yaml"
    spec.write_text("name: lock\nworkload: {builtin: service, live_heap: 8MiB, warmup: 200ms, duration: 800ms,"
                    " sample_interval: 200ms}\ncontainer: {cpus: 1, memory: 128MiB}\n"
                    "space: {GOGC: [50, 200, 400]}\nsearch: {trials: 3, sampler: grid}\n")
    args = ["run", str(spec), "--results-dir", str(tmp_path / "results"), "--run-id", "busy"]
    first = subprocess.Popen([sys.executable, "-m", "orchestrator", *args], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        assert "run directory:" in first.stderr.readline()
        started = time.monotonic()
        second = gctune(*args, timeout=60)
        assert second.returncode == 2 and time.monotonic() - started < 10
        assert f"in use by pid {first.pid} on host" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait()
    resumed = gctune(*args, "--json", timeout=300)  # the lock died with its holder
    assert resumed.returncode == 0, resumed.stderr
    assert not containers_of(docker_client, "busy")
