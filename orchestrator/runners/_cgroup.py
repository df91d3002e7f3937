"""Read a container's cgroup (memory, OOM kills, CPU time) from the host while it runs.

The cgroup folder disappears as soon as the container exits, so peak memory and the OOM counter are
polled during the run and the last values are kept. The folder is found from the container's id
under the usual layouts of cgroup v1 and v2; finding and reading are plain functions of a root
folder, so they are tested on small fake trees (tests/data/cgroup/).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

# GCTUNE_CGROUP_ROOT moves it: pointed at a missing folder, a local engine is read as a remote one is
# (the engine's stats API), which is how that path is tested on one machine.
CGROUP_ROOT = Path(os.environ.get("GCTUNE_CGROUP_ROOT") or "/sys/fs/cgroup")


@dataclass
class CgroupReading:
    peak_bytes: int | None = None
    source: str | None = None
    oom_kills: int = 0
    failcnt: int = 0
    cpu_seconds: float | None = None  # the cgroup's CPU time so far (v1 cpuacct.usage, v2 cpu.stat)


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """``/proc/PID/cgroup`` as ``controller -> path``; the v2 unified hierarchy is under ``""``.

    Each line is ``hierarchy-id:controllers:path``; a v1 line may name several controllers
    (``2:cpu,cpuacct:/docker/<id>``), a v2 line none (``0::/system.slice/docker-<id>.scope``).
    """
    entries: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        for controller in controllers.split(",") if controllers else [""]:
            entries[controller] = path.strip()
    return entries


def cgroup_dir_for_container(container_id: str, root: Path = CGROUP_ROOT) -> tuple[Path, int] | None:
    """The memory cgroup folder of a container and the cgroup version (1 or 2), found from its id.

    The usual layouts of the cgroupfs and systemd drivers are tried; None when the container's folder
    is not there (it has exited, or a layout not listed here: see ``cgroup_dir_for_pid``).
    """
    if not container_id:
        return None
    candidates = [(root / "memory" / "docker" / container_id, 1),
                  (root / "memory" / "system.slice" / f"docker-{container_id}.scope", 1),
                  (root / "system.slice" / f"docker-{container_id}.scope", 2),
                  (root / "docker" / container_id, 2)]
    return next(((folder, version) for folder, version in candidates if _is_memory_cgroup(folder, version)), None)


def cgroup_dir_for_pid(pid: int, container_id: str, root: Path = CGROUP_ROOT,
                       proc: Path = Path("/proc")) -> tuple[Path, int] | None:
    """The memory cgroup folder of a container's process, only when that folder is the container's own.

    A container that exits at once leaves a pid whose ``/proc/PID/cgroup`` is the host's (or another
    process's): reading it would report the host's memory as the container's, so any folder whose
    path does not name the container is refused.
    """
    try:
        entries = parse_proc_cgroup((proc / str(pid) / "cgroup").read_text())
    except OSError:
        return None
    candidates = []
    if "memory" in entries:
        candidates.append((root / "memory" / entries["memory"].lstrip("/"), 1))
    if "" in entries:
        candidates.append((root / entries[""].lstrip("/"), 2))
    return next(((folder, version) for folder, version in candidates
                 if container_id and container_id in folder.relative_to(root).as_posix()
                 and _is_memory_cgroup(folder, version)), None)


def _is_memory_cgroup(folder: Path, version: int) -> bool:
    """A container's memory cgroup folder: v1 has memory.max_usage_in_bytes, v2 memory.current."""
    return (folder / ("memory.max_usage_in_bytes" if version == 1 else "memory.current")).is_file()


def read_cgroup(folder: Path, version: int) -> CgroupReading:
    """One reading of peak usage, OOM counters and CPU time; missing files leave fields at None/0."""
    if version == 1:
        usage_ns = _read_int(_v1_sibling(folder, "cpuacct") / "cpuacct.usage")
        return CgroupReading(
            peak_bytes=_read_int(folder / "memory.max_usage_in_bytes"),
            source="cgroup v1 memory.max_usage_in_bytes",
            oom_kills=_read_keyed(folder / "memory.oom_control").get("oom_kill", 0),
            failcnt=_read_int(folder / "memory.failcnt") or 0,
            cpu_seconds=None if usage_ns is None else usage_ns / 1e9,
        )
    events = _read_keyed(folder / "memory.events")
    peak = _read_int(folder / "memory.peak")  # kernel >= 5.19
    usage_us = _read_keyed(folder / "cpu.stat").get("usage_usec")
    return CgroupReading(peak_bytes=peak, source="cgroup v2 memory.peak" if peak is not None else None,
                         oom_kills=events.get("oom_kill", 0), failcnt=events.get("max", 0),
                         cpu_seconds=None if usage_us is None else usage_us / 1e6)


def _v1_sibling(memory_folder: Path, controller: str) -> Path:
    """The same cgroup under another v1 controller: /sys/fs/cgroup/memory/X -> /sys/fs/cgroup/cpuacct/X."""
    parts = memory_folder.parts
    # The last "memory" is the controller's mount: a parent folder of the root could be named so too.
    index = len(parts) - 1 - parts[::-1].index("memory") if "memory" in parts else -1
    return Path(*parts[:index], controller, *parts[index + 1:]) if index >= 0 else memory_folder


class CgroupWatcher:
    """Polls a container's cgroup in a background thread and keeps the highest values seen.

    The folder is found from the container id; the pid's ``/proc`` entry is only a fallback for
    layouts not known here, and only when its path names the container. Without either, the reading
    stays empty rather than showing the host's (or a foreign) cgroup.
    """

    def __init__(self, container_id: str, pid: int | None = None, interval_s: float = 0.05,
                 root: Path = CGROUP_ROOT) -> None:
        self.reading = CgroupReading()
        self._found = cgroup_dir_for_container(container_id, root) or (
            cgroup_dir_for_pid(pid, container_id, root) if pid else None)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gctune-cgroup", daemon=True)

    @property
    def found(self) -> bool:
        """Whether the container's cgroup folder is on this host."""
        return self._found is not None

    def __enter__(self) -> CgroupWatcher:
        if self._found:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)

    def _poll(self) -> None:
        assert self._found is not None
        folder, version = self._found
        while True:
            merge_reading(self.reading, read_cgroup(folder, version))
            if self._stop.wait(self._interval_s) or not folder.exists():
                return


def merge_reading(best: CgroupReading, current: CgroupReading) -> None:
    """Keep in ``best`` the highest values of the readings so far (counters only grow)."""
    if current.peak_bytes is not None and (best.peak_bytes or 0) <= current.peak_bytes:
        best.peak_bytes, best.source = current.peak_bytes, current.source
    best.oom_kills = max(best.oom_kills, current.oom_kills)
    best.failcnt = max(best.failcnt, current.failcnt)
    if current.cpu_seconds is not None:
        best.cpu_seconds = max(best.cpu_seconds or 0.0, current.cpu_seconds)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _read_keyed(path: Path) -> dict[str, int]:
    try:
        pairs = (line.split() for line in path.read_text().splitlines())
        return {p[0]: int(p[1]) for p in pairs if len(p) == 2 and p[1].isdigit()}
    except OSError:
        return {}
