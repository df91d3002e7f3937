"""Run the workload in a hardened Docker container: create, attach, start, wait, kill, remove."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import docker
import docker.errors
import requests.exceptions
from docker.types import LogConfig

from orchestrator.build import NONROOT_USER
from orchestrator.errors import EngineError
from orchestrator.results import Fingerprint
from orchestrator.runners._base import RunRequest, RunResult, Runner
from orchestrator.runners._host import local_fingerprint
from orchestrator.runners._output import CappedOutput
from orchestrator.runners._cgroup import CgroupReading, CgroupWatcher
from orchestrator.runners._oom import oom_signals
from orchestrator.runners._stats import StatsWatcher
from orchestrator.runners._engine import (
    _short, connect, default_engine_url, engine_info, owner_labels, reap_stray_containers)

OUTPUT_MOUNT = "/gctune-out"
_WAIT_SLICE_S = 1.0  # wait in slices so the timeout is checked between them
_STOP_GRACE_S = 5    # a planned stop: SIGTERM, and SIGKILL if the program has not exited after this
_ENGINE_GRACE_S = 60  # an engine that went away mid-run (a restart) is waited for this long before giving up
_SIGNAL_EXITS = (137, 143)  # the exit codes of SIGKILL and SIGTERM


class DockerRunner(Runner):
    """Runs each request in a fresh container that is always removed, also on Ctrl-C and SIGTERM."""

    name = "docker"

    def __init__(self, client: docker.DockerClient | None = None, engine_url: str | None = None) -> None:
        self.client = client or connect()
        self.engine_url = engine_url or default_engine_url()  # recorded with each trial
        self.engine = engine_info(self.client)
        self.host_cpus = self.engine.host_cpus
        self.reaped = reap_stray_containers(self.client)
        self._aborted = threading.Event()

    def fingerprint(self) -> Fingerprint:
        """The engine's machine: its CPU from /proc/cpuinfo when the engine is local, else what it reports."""
        engine = self.engine
        name = f"docker {engine.server_version}"
        if engine.local:
            return local_fingerprint(engine.host_cpus, engine.host_memory_bytes, name, engine.cgroup_version,
                                     kernel=engine.kernel)
        return Fingerprint(architecture=engine.architecture, cores=engine.host_cpus,
                           memory_bytes=engine.host_memory_bytes, kernel=engine.kernel, engine=name,
                           cgroup=engine.cgroup_version)

    def abort(self) -> None:
        self._aborted.set()

    def run(self, request: RunRequest) -> RunResult:
        if self._aborted.is_set():
            raise KeyboardInterrupt
        container = self._create(request)
        try:
            result = _ContainerRun(self.client, container, request, self.host_cpus, self._aborted).execute()
        except (requests.exceptions.RequestException, docker.errors.DockerException) as exc:
            # The engine failed under the run (a restart drops every connection): what was read is not a
            # measurement of the workload. EngineError makes the study record it as such and run it again.
            raise EngineError(f"the Docker engine failed during the run ({_short(exc)}); the run measured "
                              "nothing") from exc
        finally:
            _remove(container)
        if self._aborted.is_set():
            raise KeyboardInterrupt  # the run was killed by an abort: it measured nothing
        return result

    def _create(self, request: RunRequest):
        limits = request.limits
        memory = limits.memory_bytes
        try:
            return self.client.containers.create(
                request.image, command=request.command, environment=request.env,
                labels=owner_labels(request.run_id), network_mode="none", read_only=True,
                cap_drop=["ALL"], security_opt=["no-new-privileges"], pids_limit=limits.pids_limit,
                user=NONROOT_USER, nano_cpus=int(limits.cpus * 1e9) if limits.cpus else None,
                cpuset_cpus=limits.cpuset, mem_limit=memory, memswap_limit=memory, tty=False, stdin_open=False,
                # gctune reads the output through attach and keeps it capped; the engine keeps no copy.
                log_config=LogConfig(type=LogConfig.types.NONE),
                volumes={request.output_dir: {"bind": OUTPUT_MOUNT, "mode": "rw"}} if request.output_dir else None,
            )
        except docker.errors.DockerException as exc:
            raise EngineError(f"cannot create a container from {request.image}: {exc}") from exc


class _ContainerRun:
    """One container's life from start to exit, with its output collected by a reader thread."""

    def __init__(self, client: docker.DockerClient, container, request: RunRequest, host_cpus: int,
                 aborted: threading.Event) -> None:
        self.client, self.container, self.request, self.host_cpus = client, container, request, host_cpus
        self.aborted = aborted
        self.stdout = CappedOutput()
        self.stderr = CappedOutput()
        self.stop_requested = threading.Event()
        self.killed_by_us = False
        self.stopped_as_planned = False

    def execute(self) -> RunResult:
        stream = self.container.attach(stdout=True, stderr=True, stream=True, demux=True)
        reader = threading.Thread(target=self._read, args=(stream,), name="gctune-output", daemon=True)
        started = time.time()
        reader.start()
        self.container.start()
        self.container.reload()
        with CgroupWatcher(self.container.id, self.container.attrs["State"].get("Pid"), interval_s=0.02) as watcher, \
                StatsWatcher(self.container, enabled=not watcher.found) as stats:  # a remote engine's cgroup
            timed_out, stopped_early = self._wait(started)
        reader.join(timeout=10)
        wall = time.time() - started
        return self._result(wall, timed_out, stopped_early, watcher.reading if watcher.found else stats.reading,
                            started)

    def _read(self, stream: Iterator[tuple[bytes | None, bytes | None]]) -> None:
        pending = b""
        try:
            for out, err in stream:
                if err:
                    self.stderr.append(err)
                if out:
                    self.stdout.append(out)
                    pending = self._dispatch_lines(pending + out)
        except (requests.exceptions.RequestException, docker.errors.DockerException, OSError):
            pass  # the container went away; what was read is kept

    def _dispatch_lines(self, data: bytes) -> bytes:
        """Hand complete lines to the caller's callback; return the unfinished tail."""
        *lines, tail = data.split(b"\n")
        callback = self.request.on_stdout_line
        if callback is not None:
            for line in lines:
                if callback(line.decode("utf-8", "replace")) and not self.stop_requested.is_set():
                    self.stop_requested.set()
                    self._kill()
        return tail

    def _wait(self, started: float) -> tuple[bool, bool]:
        """Wait for exit; kill at the timeout or when a stop was requested. Returns (timed_out, stopped)."""
        deadline = started + self.request.timeout_s
        planned = started + self.request.stop_after_s if self.request.stop_after_s else None
        while True:
            try:
                self.container.wait(timeout=max(0.1, min(_WAIT_SLICE_S, deadline - time.time())))
                return False, self.stop_requested.is_set()
            except (requests.exceptions.RequestException, docker.errors.APIError) as exc:
                if not _timed_out(exc):
                    raise _await_engine(self.client, exc)
                # the wait's read timed out: the container is still running
            if planned is not None and time.time() >= planned and not self.stopped_as_planned:
                self.stopped_as_planned = self.killed_by_us = True
                self.container.stop(timeout=_STOP_GRACE_S)  # SIGTERM, then SIGKILL after the grace period
            elif time.time() >= deadline:
                self._kill()
                return True, False
            elif self.aborted.is_set():
                self._kill()
                return False, True

    def _kill(self) -> None:
        """SIGKILL the workload (from the main thread at the timeout, or the reader on a stop request)."""
        self.killed_by_us = True
        try:
            self.container.kill()
        except docker.errors.APIError:
            pass  # it exited on its own meanwhile
        except requests.exceptions.RequestException:
            pass  # the engine is away: _wait notices, and the container is removed with the run

    def _result(self, wall: float, timed_out: bool, stopped_early: bool, cgroup: CgroupReading,
                started: float) -> RunResult:
        self.container.reload()
        state = self.container.attrs["State"]
        exit_code = state.get("ExitCode")
        limit = self.request.limits.memory_bytes
        signals = oom_signals(bool(state.get("OOMKilled")), self._had_oom_event(started), cgroup, exit_code,
                              self.killed_by_us, limit)
        oom_killed = bool(signals) and exit_code != 0
        if exit_code in _SIGNAL_EXITS and not self.killed_by_us and not oom_killed:
            sender = self._outside_kill(started)
            if sender:
                raise EngineError(f"the container was stopped from outside gctune ({sender}): an engine restart "
                                  "or a `docker stop`; the run measured nothing")
        peak, source = cgroup.peak_bytes, cgroup.source
        if oom_killed and limit and (peak or 0) < limit:
            # The last climb to the limit can fall between two polls; an OOM kill means it was reached.
            peak, source = limit, f"memory limit, reached at the OOM kill ({source or 'cgroup not readable'} saw less)"
        return RunResult(
            stdout=self.stdout.text(),
            stderr=self.stderr.text(),
            exit_code=exit_code, wall_seconds=wall, timed_out=timed_out, stopped_early=stopped_early,
            stopped_as_planned=self.stopped_as_planned, cpu_seconds=cgroup.cpu_seconds,
            oom_killed=oom_killed, oom_signals=signals, peak_memory_bytes=peak, peak_memory_source=source,
            host_cpus=self.host_cpus, error=state.get("Error") or None,
        )

    def _had_oom_event(self, started: float) -> bool:
        return bool(self._events(started, "oom"))

    def _outside_kill(self, started: float) -> str:
        """The signal of a kill gctune did not send (the engine stopping its containers as it shuts down, a
        `docker stop`), or "" when there was none: the kernel's OOM killer and a crash send no kill event."""
        kills = self._events(started, "kill")
        return f"signal {kills[-1].get('Actor', {}).get('Attributes', {}).get('signal', '?')}" if kills else ""

    def _events(self, started: float, event: str) -> list[dict]:
        # The engine streams events until `until`: a whole second ahead made every run wait up to a second.
        # Fractional timestamps need nine digits (the engine reads the part after the dot as nanoseconds).
        try:
            return list(self.client.events(since=f"{started - 1:.9f}", until=f"{time.time() + 0.2:.9f}",
                                           decode=True, filters={"container": self.container.id, "event": event}))
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            return []


def _timed_out(exc: BaseException) -> bool:
    """A wait slice that ended without an exit (docker-py reports it as ReadTimeout or as a ConnectionError
    saying "Read timed out"), as opposed to the engine going away under the wait."""
    return isinstance(exc, requests.exceptions.Timeout) or "timed out" in str(exc).lower()


def _await_engine(client: docker.DockerClient, exc: BaseException) -> EngineError:
    """The engine dropped a wait: give a restarting engine time to answer again, so the next run finds it.
    Returns the error to raise; either way this run is lost."""
    deadline = time.time() + _ENGINE_GRACE_S
    while time.time() < deadline:
        try:
            client.ping()
            return EngineError(f"the Docker engine went away during the run and came back ({_short(exc)}); "
                               "the run measured nothing")
        except (docker.errors.DockerException, requests.exceptions.RequestException):
            time.sleep(0.5)
    return EngineError(f"the Docker engine went away during the run and did not answer for {_ENGINE_GRACE_S}s "
                       f"({_short(exc)})")


def _remove(container) -> None:
    try:
        container.remove(force=True)
    except docker.errors.NotFound:
        pass
    except requests.exceptions.RequestException as exc:
        raise EngineError(f"could not remove container {container.name}: the engine does not answer "
                          f"({_short(exc)}); the next gctune run removes it") from exc
    except docker.errors.APIError as exc:
        if "already in progress" not in str(exc):
            raise EngineError(f"could not remove container {container.name}: {exc}") from exc
