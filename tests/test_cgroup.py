"""Finding and reading a container's cgroup, on small fake trees shaped like the kernel's (tests/data/cgroup/).

Expected values are read from the fixture files here with plain string handling, independently of the
code under test.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from orchestrator.runners._cgroup import (
    CgroupWatcher, cgroup_dir_for_container, cgroup_dir_for_pid, parse_proc_cgroup, read_cgroup)

DATA = Path(__file__).parent / "data" / "cgroup"
RUNNING = "4ead57de0a3d5286b251f721385a0e7912393f7228dc6510b1fef60619da5505"  # copied from a real v1 host
OOM = "9c1f3e2b7d6a4c58e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"
OLD_KERNEL = "e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4"
OTHER = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def number(path: Path) -> int:
    return int(path.read_text())


def keyed(path: Path, key: str) -> int:
    return next(int(line.split()[1]) for line in path.read_text().splitlines() if line.split()[0] == key)


# --- /proc/PID/cgroup ---------------------------------------------------------------------------------

def test_proc_cgroup_v1_maps_every_controller_and_the_unified_line():
    text = (DATA / "v1/proc/101/cgroup").read_text()
    entries = parse_proc_cgroup(text)
    assert entries["memory"] == entries["cpuacct"] == f"/docker/{RUNNING}"
    assert entries["name=systemd"] == f"/docker/{RUNNING}"
    assert entries[""] == f"/docker/{RUNNING}"  # the 0:: line of a hybrid host
    assert len(entries) == len(text.splitlines())


def test_proc_cgroup_v1_splits_combined_controllers():
    entries = parse_proc_cgroup((DATA / "v1/proc/105/cgroup").read_text())
    assert entries["cpu"] == entries["cpuacct"] == entries["memory"] == f"/docker/{RUNNING}"
    assert entries[""] == "/"


def test_proc_cgroup_v2_has_only_the_unified_hierarchy():
    assert parse_proc_cgroup((DATA / "v2/proc/201/cgroup").read_text()) == {
        "": f"/system.slice/docker-{RUNNING}.scope"}


def test_proc_cgroup_ignores_lines_that_are_not_cgroup_entries():
    assert parse_proc_cgroup("garbage\n\n4:memory:/docker/x\n") == {"memory": "/docker/x"}
    assert parse_proc_cgroup("") == {}


# --- finding the folder from the container id ------------------------------------------------------------

@pytest.mark.parametrize("root, container, expected, version", [
    ("v1/cgroupfs", RUNNING, f"memory/docker/{RUNNING}", 1),
    ("v1/systemd", OOM, f"memory/system.slice/docker-{OOM}.scope", 1),
    ("v2/systemd", RUNNING, f"system.slice/docker-{RUNNING}.scope", 2),
    ("v2/cgroupfs", OOM, f"docker/{OOM}", 2),
])
def test_the_container_folder_is_found_from_its_id_in_each_layout(root, container, expected, version):
    assert cgroup_dir_for_container(container, DATA / root) == (DATA / root / expected, version)


@pytest.mark.parametrize("root", ["v1/cgroupfs", "v1/systemd", "v2/systemd", "v2/cgroupfs"])
def test_an_exited_or_unknown_container_has_no_folder_rather_than_the_root(root):
    gone = "f" * 64
    assert cgroup_dir_for_container(gone, DATA / root) is None
    assert cgroup_dir_for_container("", DATA / root) is None  # an empty id must not resolve to docker/


# --- the pid fallback ---------------------------------------------------------------------------------------

def test_the_pid_fallback_finds_a_layout_not_listed_when_its_path_names_the_container():
    root = DATA / "v1/cgroupfs"
    assert cgroup_dir_for_container(RUNNING, root)[0].parent.name == "docker"
    found = cgroup_dir_for_pid(103, RUNNING, root, proc=DATA / "v1/proc")
    assert found == (root / "memory" / "gctune" / RUNNING, 1)


def test_the_pid_fallback_refuses_the_host_root_cgroup_of_a_fast_exiting_container():
    # The root has real memory files (the host's 3 GiB peak): reading them would be a wrong answer.
    assert (DATA / "v1/cgroupfs/memory/memory.max_usage_in_bytes").is_file()
    assert cgroup_dir_for_pid(102, RUNNING, DATA / "v1/cgroupfs", proc=DATA / "v1/proc") is None
    assert cgroup_dir_for_pid(202, RUNNING, DATA / "v2/systemd", proc=DATA / "v2/proc") is None


def test_the_pid_fallback_refuses_a_foreign_cgroup():
    # A reused pid now in another container, and a login session: both folders exist or could.
    assert (DATA / f"v1/cgroupfs/memory/docker/{OTHER}").is_dir()
    assert cgroup_dir_for_pid(104, RUNNING, DATA / "v1/cgroupfs", proc=DATA / "v1/proc") is None
    assert cgroup_dir_for_pid(203, RUNNING, DATA / "v2/systemd", proc=DATA / "v2/proc") is None


def test_the_pid_fallback_of_a_vanished_process_is_none():
    assert cgroup_dir_for_pid(999, RUNNING, DATA / "v1/cgroupfs", proc=DATA / "v1/proc") is None


def test_the_pid_fallback_finds_the_v2_scope():
    root = DATA / "v2/systemd"
    assert cgroup_dir_for_pid(201, RUNNING, root, proc=DATA / "v2/proc") == (
        root / "system.slice" / f"docker-{RUNNING}.scope", 2)


# --- reading the files ----------------------------------------------------------------------------------------

def test_reading_v1_memory_peak_oom_counter_and_cpuacct():
    root = DATA / "v1/cgroupfs"
    folder = root / "memory" / "docker" / RUNNING
    reading = read_cgroup(folder, 1)
    assert reading.peak_bytes == number(folder / "memory.max_usage_in_bytes")
    assert reading.source == "cgroup v1 memory.max_usage_in_bytes"
    assert reading.oom_kills == keyed(folder / "memory.oom_control", "oom_kill") == 0
    assert reading.failcnt == number(folder / "memory.failcnt")
    # cpuacct.usage is in nanoseconds, in the same cgroup under the cpuacct controller
    assert reading.cpu_seconds == pytest.approx(number(root / "cpuacct" / "docker" / RUNNING / "cpuacct.usage") / 1e9)


def test_reading_a_v1_oom_killed_container():
    root = DATA / "v1/systemd"
    folder = root / "memory" / "system.slice" / f"docker-{OOM}.scope"
    reading = read_cgroup(folder, 1)
    assert reading.oom_kills == keyed(folder / "memory.oom_control", "oom_kill") > 0
    assert reading.failcnt == number(folder / "memory.failcnt") > 0
    assert reading.peak_bytes == number(folder / "memory.limit_in_bytes")


def test_reading_v2_memory_peak_events_and_cpu_stat():
    folder = DATA / "v2/systemd" / "system.slice" / f"docker-{RUNNING}.scope"
    reading = read_cgroup(folder, 2)
    assert reading.peak_bytes == number(folder / "memory.peak")
    assert reading.source == "cgroup v2 memory.peak"
    assert reading.oom_kills == keyed(folder / "memory.events", "oom_kill")
    assert reading.failcnt == keyed(folder / "memory.events", "max")
    assert reading.cpu_seconds == pytest.approx(keyed(folder / "cpu.stat", "usage_usec") / 1e6)


def test_reading_a_v2_oom_killed_container():
    folder = DATA / "v2/cgroupfs" / "docker" / OOM
    reading = read_cgroup(folder, 2)
    assert reading.oom_kills == keyed(folder / "memory.events", "oom_kill") > 0
    assert reading.failcnt == keyed(folder / "memory.events", "max") > 0  # times the limit was hit


def test_a_kernel_without_memory_peak_reads_no_peak_rather_than_zero():
    reading = read_cgroup(DATA / "v2/cgroupfs" / "docker" / OLD_KERNEL, 2)
    assert reading.peak_bytes is None and reading.source is None
    assert reading.cpu_seconds is not None


def test_a_vanished_folder_reads_as_nothing():
    reading = read_cgroup(DATA / "v2/cgroupfs" / "docker" / ("f" * 64), 2)
    assert (reading.peak_bytes, reading.oom_kills, reading.failcnt, reading.cpu_seconds) == (None, 0, 0, None)


# --- the watcher ---------------------------------------------------------------------------------------

def _watch(container_id: str, root: Path, pid: int | None = None) -> CgroupWatcher:
    with CgroupWatcher(container_id, pid, interval_s=0.01, root=root) as watcher:
        time.sleep(0.05)
    return watcher


def test_the_watcher_reads_the_container_found_by_id():
    root = DATA / "v2/systemd"
    reading = _watch(RUNNING, root).reading
    assert reading.peak_bytes == number(root / "system.slice" / f"docker-{RUNNING}.scope" / "memory.peak")


def test_the_watcher_of_a_container_whose_folder_is_gone_reads_nothing_not_the_host():
    # pid 1 is never the container: its /proc entry does not name this id, so it is not used either.
    reading = _watch("f" * 64, DATA / "v1/cgroupfs", pid=1).reading
    assert reading.peak_bytes is None and reading.cpu_seconds is None
