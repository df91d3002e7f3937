"""OOM inference: every independent sign of an OOM kill, and gctune's own kills never read as one."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.runners._cgroup import CgroupReading, read_cgroup
from orchestrator.runners._oom import AT_LIMIT, SIGKILL_EXIT, oom_signals

MIB = 2**20
LIMIT = 128 * MIB
QUIET = CgroupReading(peak_bytes=40 * MIB, oom_kills=0, failcnt=0)
CGROUP = Path(__file__).parent / "data" / "cgroup"
OOM = "9c1f3e2b7d6a4c58e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"  # the OOM-killed fixture container


def signals(engine_flag: bool = False, oom_event: bool = False, cgroup: CgroupReading = QUIET,
            exit_code: int | None = 0, killed_by_us: bool = False, limit: int | None = LIMIT) -> list[str]:
    return oom_signals(engine_flag, oom_event, cgroup, exit_code, killed_by_us, limit)


def test_a_clean_exit_has_no_signal():
    assert signals() == []


def test_the_engine_flag_is_a_signal():
    assert signals(engine_flag=True, exit_code=SIGKILL_EXIT) == ["engine OOMKilled flag"]


def test_an_oom_event_is_a_signal():
    assert signals(oom_event=True, exit_code=SIGKILL_EXIT) == ["engine oom event"]


def test_the_cgroup_oom_kill_counter_is_a_signal_naming_the_count():
    cgroup = CgroupReading(peak_bytes=LIMIT, oom_kills=2, failcnt=0)
    assert signals(cgroup=cgroup, exit_code=1) == ["cgroup oom_kill counter = 2"]


@pytest.mark.parametrize("cgroup", [
    CgroupReading(peak_bytes=10 * MIB, failcnt=3),  # the limit was hit, the peak fell between polls
    CgroupReading(peak_bytes=int(LIMIT * AT_LIMIT) + 1),  # at the limit, failcnt not counted
])
def test_a_sigkill_not_sent_by_gctune_at_the_memory_limit_is_a_signal(cgroup):
    assert signals(cgroup=cgroup, exit_code=SIGKILL_EXIT) == [
        "SIGKILL not sent by gctune, with memory at the container limit"]


def test_a_sigkill_below_the_limit_is_not_an_oom():
    below = CgroupReading(peak_bytes=int(LIMIT * AT_LIMIT) - MIB)
    assert signals(cgroup=below, exit_code=SIGKILL_EXIT) == []


def test_a_sigkill_without_a_memory_limit_is_not_an_oom():
    assert signals(cgroup=CgroupReading(peak_bytes=LIMIT, failcnt=5), exit_code=SIGKILL_EXIT, limit=None) == []


def test_another_exit_code_at_the_limit_is_not_the_sigkill_signal():
    at_limit = CgroupReading(peak_bytes=LIMIT, failcnt=5)
    assert signals(cgroup=at_limit, exit_code=2) == []  # e.g. Go's own "out of memory" fatal error


def test_our_own_timeout_kill_at_the_limit_is_not_an_oom():
    # gctune SIGKILLed it (timeout or thrashing) while it sat at the limit: no OOM signal.
    at_limit = CgroupReading(peak_bytes=LIMIT, failcnt=12)
    assert signals(cgroup=at_limit, exit_code=SIGKILL_EXIT, killed_by_us=True) == []
    # ... but the kernel's own counter still counts if it also fired.
    killed = CgroupReading(peak_bytes=LIMIT, oom_kills=1, failcnt=12)
    assert signals(cgroup=killed, exit_code=SIGKILL_EXIT, killed_by_us=True) == ["cgroup oom_kill counter = 1"]


def test_every_sign_at_once_is_listed_in_order():
    cgroup = CgroupReading(peak_bytes=LIMIT, oom_kills=1, failcnt=9)
    assert signals(True, True, cgroup, SIGKILL_EXIT) == [
        "engine OOMKilled flag", "engine oom event", "cgroup oom_kill counter = 1",
        "SIGKILL not sent by gctune, with memory at the container limit"]


@pytest.mark.parametrize("folder, version", [
    (f"v1/systemd/memory/system.slice/docker-{OOM}.scope", 1),
    (f"v2/cgroupfs/docker/{OOM}", 2),
])
def test_the_oom_killed_fixture_containers_read_as_oom_without_the_engine(folder, version):
    cgroup = read_cgroup(CGROUP / folder, version)
    found = signals(cgroup=cgroup, exit_code=SIGKILL_EXIT)
    assert found[0].startswith("cgroup oom_kill counter")
    assert found[-1].startswith("SIGKILL not sent by gctune")
