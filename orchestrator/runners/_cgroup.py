"""Read a container's cgroup (memory, OOM kills, CPU time) from the host while it runs.

The cgroup folder disappears as soon as the container exits, so peak memory and the OOM counter are
polled during the run and the last values are kept.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class CgroupReading:
    peak_bytes: int | None = None
    source: str | None = None
    oom_kills: int = 0
    failcnt: int = 0
    cpu_seconds: float | None = None  # the cgroup's CPU time so far (v1 cpuacct.usage, v2 cpu.stat)


def memory_cgroup_dir(pid: int, root: Path = CGROUP_ROOT) -> tuple[Path, int] | None:
    """Return the memory cgroup folder of ``pid`` and the cgroup version (1 or 2), or None."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    entries = dict(_split_cgroup_line(line) for line in lines if line.count(":") >= 2)
    for controllers, path in entries.items():
        if "memory" in controllers.split(","):
            folder = root / "memory" / path.lstrip("/")
            if folder.is_dir():
                return folder, 1
    if "" in entries:
        folder = root / entries[""].lstrip("/")
        if (folder / "memory.current").exists():
            return folder, 2
    return None


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
    index = parts.index("memory") if "memory" in parts else -1
    return Path(*parts[:index], controller, *parts[index + 1:]) if index >= 0 else memory_folder


class CgroupWatcher:
    """Polls a process's cgroup in a background thread and keeps the highest values seen."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        self.reading = CgroupReading()
        self._found = memory_cgroup_dir(pid)
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gctune-cgroup", daemon=True)

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
            current = read_cgroup(folder, version)
            self._merge(current)
            if self._stop.wait(self._interval_s) or not folder.exists():
                return

    def _merge(self, current: CgroupReading) -> None:
        best = self.reading
        if current.peak_bytes is not None and (best.peak_bytes or 0) <= current.peak_bytes:
            best.peak_bytes, best.source = current.peak_bytes, current.source
        best.oom_kills = max(best.oom_kills, current.oom_kills)
        best.failcnt = max(best.failcnt, current.failcnt)
        if current.cpu_seconds is not None:
            best.cpu_seconds = max(best.cpu_seconds or 0.0, current.cpu_seconds)


def _split_cgroup_line(line: str) -> tuple[str, str]:
    _, controllers, path = line.split(":", 2)
    return controllers, path


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
