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
