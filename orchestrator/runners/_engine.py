"""Connecting to the Docker engine, describing it, and reaping containers of dead gctune runs."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

import docker
import docker.errors
import requests.exceptions

from orchestrator.errors import EngineError

RUN_LABEL = "gctune.run"
PID_LABEL = "gctune.pid"
HOST_LABEL = "gctune.host"

ENGINE_HINT = ("start a Docker engine (on Debian as root: scripts/ensure-docker installs docker.io and "
               "starts dockerd), or point DOCKER_HOST at one")


@dataclass(frozen=True)
class EngineInfo:
    server_version: str
    cgroup_version: str
    cgroup_driver: str
    storage_driver: str
    host_cpus: int
    host_memory_bytes: int
    kernel: str = "?"
    architecture: str = "?"
    local: bool = True  # the engine runs on this host (its cgroup files and /proc/cpuinfo are ours)
    name: str = "?"  # the engine's host name (docker info Name)


def connect(timeout_s: float = 60, base_url: str | None = None) -> docker.DockerClient:
    """Return a client of the engine at ``base_url`` (else DOCKER_HOST's) that answered a ping, or raise
    EngineError saying what to do."""
    try:
        client = (docker.DockerClient(base_url=base_url, timeout=int(timeout_s)) if base_url
                  else docker.from_env(timeout=int(timeout_s)))
        client.ping()
        return client
    except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
        where = base_url or default_engine_url()
        raise EngineError(f"no Docker engine answers at {where} ({_short(exc)}); {ENGINE_HINT}") from exc


def default_engine_url() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def engine_info(client: docker.DockerClient) -> EngineInfo:
    info = client.info()
    return EngineInfo(
        server_version=str(info.get("ServerVersion", "?")),
        cgroup_version=str(info.get("CgroupVersion", "1")),
        cgroup_driver=str(info.get("CgroupDriver", "?")),
        storage_driver=str(info.get("Driver", "?")),
        host_cpus=int(info.get("NCPU") or os.cpu_count() or 1),
        host_memory_bytes=int(info.get("MemTotal") or 0),
        kernel=str(info.get("KernelVersion", "?")), architecture=str(info.get("Architecture", "?")),
        name=str(info.get("Name", "?")),
        local=str(client.api.base_url).startswith("http+docker://local"),  # docker-py's name for a unix socket
    )


def owner_labels(run_id: str) -> dict[str, str]:
    """Labels that tie a container to this run and process, so strays can be found and reaped."""
    return {RUN_LABEL: run_id, PID_LABEL: str(os.getpid()), HOST_LABEL: socket.gethostname()}


def reap_stray_containers(client: docker.DockerClient) -> list[str]:
    """Remove gctune containers whose owning process on this host is gone; return their names."""
    reaped = []
    for container in client.containers.list(all=True, filters={"label": RUN_LABEL}):
        labels = container.labels or {}
        if labels.get(HOST_LABEL) == socket.gethostname() and _pid_alive(labels.get(PID_LABEL)):
            continue
        if labels.get(HOST_LABEL) not in (None, socket.gethostname()):
            continue  # another host's run: not ours to judge
        try:
            container.remove(force=True)
            reaped.append(container.name)
        except docker.errors.NotFound:
            pass
    return reaped


def _pid_alive(pid: str | None) -> bool:
    if not pid or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]
