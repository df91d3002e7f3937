"""Peak memory and CPU time from the engine's stats API, when the container's cgroup is not on this host.

On a remote engine (``tcp://``, ``ssh://``) the cgroup files live on the engine's machine. The engine
answers ``GET /containers/ID/stats?one-shot`` with the same counters; they are polled while the
container runs and the highest values kept, with the source saying they came from the API and how
often it was asked (a peak between two polls is missed; cgroup v1's ``max_usage`` is not).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from orchestrator.runners._cgroup import CgroupReading, merge_reading

_POLL_S = 0.25


def reading_from_stats(stats: dict[str, Any]) -> CgroupReading:
    """One stats answer as a cgroup reading: cgroup v1's max_usage when given, else the current usage."""
    memory = stats.get("memory_stats") or {}
    cpu_ns = ((stats.get("cpu_stats") or {}).get("cpu_usage") or {}).get("total_usage")
    peak, source = memory.get("max_usage"), "docker stats API max_usage"
    if not peak:
        peak, source = memory.get("usage"), f"docker stats API usage, polled every {_POLL_S}s"
    failcnt = int(memory.get("failcnt") or 0)
    return CgroupReading(peak_bytes=int(peak) if peak else None, source=source if peak else None,
                         oom_kills=int((memory.get("stats") or {}).get("oom_kill") or 0), failcnt=failcnt,
                         cpu_seconds=cpu_ns / 1e9 if cpu_ns else None)


class StatsWatcher:
    """Polls the stats API of a container in a background thread (only when ``enabled``)."""

    def __init__(self, container: Any, enabled: bool) -> None:
        self.container = container
        self.enabled = enabled
        self.reading = CgroupReading()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gctune-stats", daemon=True)

    def __enter__(self) -> StatsWatcher:
        if self.enabled:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _poll(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(Exception):  # the container ended between two polls, or the engine is busy
                merge_reading(self.reading, reading_from_stats(self.container.stats(stream=False, one_shot=True)))
            self._stop.wait(_POLL_S)
