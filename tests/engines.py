"""A second Docker engine of a test's own (its socket, data root, exec root and containerd namespace),
started and stopped by the test: for faults of the engine (tests/test_faults.py) and for a worker's
remote engine (tests/test_workers.py)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import docker
import pytest


class SecondEngine:
    """A dockerd of the test's own (socket, data root, exec root, containerd namespace), which the test can
    kill and start again. It runs its own containerd, in its session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.socket = root / "docker.sock"
        self.pidfile = root / "dockerd.pid"
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout_s: float = 90) -> None:
        self.pidfile.unlink(missing_ok=True)  # a killed dockerd leaves it, and a new one refuses to start then
        # containerd takes only alphanumerics joined by single [._-]; mkdtemp names may hold "_" anywhere.
        namespace = "gctune" + re.sub(r"[^a-z0-9]", "", self.root.name.lower())
        with open(self.root / "dockerd.log", "ab") as log:
            self.process = subprocess.Popen(
                ["dockerd", "--host", self.host, "--data-root", str(self.root / "data"),
                 "--exec-root", str(self.root / "exec"), "--pidfile", str(self.pidfile),
                 "--bridge", "none", "--iptables=false", "--ip-masq=false",
                 "--containerd-namespace", namespace, "--containerd-plugins-namespace", f"{namespace}-plugins"],
                stdout=log, stderr=log, start_new_session=True)
        deadline = time.time() + timeout_s
        while time.time() < deadline:
            with contextlib.suppress(Exception):
                self.client().ping()
                return
            assert self.process.poll() is None, "\n".join(
                line for line in (self.root / "dockerd.log").read_text().splitlines() if "module=grpc" not in line)[-3000:]
            time.sleep(0.2)
        raise AssertionError("the second dockerd did not answer")

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.host, timeout=30)

    def kill(self) -> None:
        """A crash: dockerd and its containerd killed at once (the containers' shims live on)."""
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self._wait_for_session_to_end()
        # Its containerd died with it; a pid file naming a reused pid would make the next dockerd wait on it.
        (self.root / "exec" / "containerd" / "containerd.pid").unlink(missing_ok=True)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()
        self._wait_for_session_to_end()
        for pid in self._own_processes():  # shims of containers it did not stop
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _wait_for_session_to_end(self, timeout_s: float = 30) -> None:
        deadline = time.time() + timeout_s
        while time.time() < deadline and any("containerd --config" in cmd for cmd in self._own_commands()):
            time.sleep(0.1)

    def _own_processes(self) -> list[int]:
        return [pid for pid, _ in self._own()]

    def _own_commands(self) -> list[str]:
        return [cmd for _, cmd in self._own()]

    def _own(self) -> list[tuple[int, str]]:
        """The processes whose command line names this engine's folder (its containerd, its shims)."""
        found = []
        for entry in Path("/proc").iterdir():
            with contextlib.suppress(OSError):
                if entry.name.isdigit():
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    if str(self.root) in command or f"gctune-{self.root.name}" in command:
                        found.append((int(entry.name), command))
        return found

    def remove(self) -> None:
        mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
        for mount in sorted((m for m in mounts if m.startswith(str(self.root))), reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def second_engine():
    if shutil.which("dockerd") is None or os.geteuid() != 0:
        pytest.skip("needs root and dockerd to start a second engine")
    root = Path(tempfile.mkdtemp(prefix="gctd-", dir="/tmp"))  # short: a unix socket path has ~100 bytes
    engine = SecondEngine(root)
    try:
        engine.start()
        yield engine
    finally:
        with contextlib.suppress(Exception):
            for container in engine.client().containers.list(all=True):
                container.remove(force=True)
        engine.stop()
        engine.remove()
