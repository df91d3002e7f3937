"""Was a container OOM-killed? Every independent sign of it, from what the engine and the cgroup saw.

The engine's OOMKilled flag alone is unreliable (cgroup v2 kills a single process without setting it,
and some engines miss it), so several signs are collected and reported by name. A SIGKILL that
gctune sent itself (timeout, a thrashing stop) is never read as an OOM kill.
"""

from __future__ import annotations

from orchestrator.runners._cgroup import CgroupReading

SIGKILL_EXIT = 137  # 128 + SIGKILL: how the engine reports a container killed by SIGKILL
AT_LIMIT = 0.98  # peak memory this close to the limit counts as "at the limit" (polls miss the last climb)


def oom_signals(engine_flag: bool, oom_event: bool, cgroup: CgroupReading, exit_code: int | None,
                killed_by_us: bool, memory_limit: int | None) -> list[str]:
    """The signs of an OOM kill that were seen, each named for the run's record; empty when none."""
    signals = []
    if engine_flag:
        signals.append("engine OOMKilled flag")
    if oom_event:
        signals.append("engine oom event")
    if cgroup.oom_kills:
        signals.append(f"cgroup oom_kill counter = {cgroup.oom_kills}")
    if exit_code == SIGKILL_EXIT and not killed_by_us and memory_limit and (
            cgroup.failcnt or (cgroup.peak_bytes or 0) >= AT_LIMIT * memory_limit):
        signals.append("SIGKILL not sent by gctune, with memory at the container limit")
    return signals
