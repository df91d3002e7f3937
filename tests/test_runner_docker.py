"""The Docker runner against a real engine: hardening, labels, timeouts, OOM kills, cleanup."""

from __future__ import annotations

import json

import pytest

from conftest import containers_of
from orchestrator.runners import RUN_LABEL, ContainerLimits, RunRequest

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def request(image, command, run_id, timeout_s=30.0, memory=None, on_line=None):
    return RunRequest(image=image.tag, command=command, env={"GCTUNE_TEST": "1"},
                      limits=ContainerLimits(cpus=1.0, memory_bytes=memory, pids_limit=64),
                      timeout_s=timeout_s, run_id=run_id, on_stdout_line=on_line)


def test_container_is_hardened_labelled_and_removed(runner, docker_client, probe_image):
    seen = {}

    def inspect_while_running(line: str) -> None:
        if not seen:
            (container,) = containers_of(docker_client, "test-hardening")
            seen.update(container.attrs["HostConfig"], labels=container.labels)

    result = runner.run(request(probe_image, ["inspect"], "test-hardening", on_line=inspect_while_running))
    facts = json.loads(result.stdout)
    assert result.exit_code == 0 and not result.oom_killed and not result.timed_out
    assert facts["uid"].split()[0] == "65534" and facts["gid"].split()[0] == "65534"
    assert int(facts["cap_eff"], 16) == 0
    assert facts["no_new_privs"] == "1"
    assert facts["root_writable"] is False
    assert facts["interfaces"] == ["lo"]
    assert "GCTUNE_TEST=1" in facts["env"]
    assert seen["NetworkMode"] == "none" and seen["ReadonlyRootfs"] is True
    assert seen["CapDrop"] == ["ALL"] and "no-new-privileges" in seen["SecurityOpt"]
    assert seen["PidsLimit"] == 64 and seen["NanoCpus"] == 1_000_000_000
    assert seen["labels"][RUN_LABEL] == "test-hardening"
    assert containers_of(docker_client, "test-hardening") == []


def test_timeout_kills_and_is_not_an_oom(runner, docker_client, probe_image):
    result = runner.run(request(probe_image, ["sleep"], "test-timeout", timeout_s=2, memory=64 * 2**20))
    assert result.timed_out and result.exit_code == 137
    assert not result.oom_killed, result.oom_signals
    assert 2 <= result.wall_seconds < 15
    assert containers_of(docker_client, "test-timeout") == []


def test_oom_kill_is_detected_with_peak_memory_from_cgroup(runner, docker_client, probe_image):
    limit = 64 * 2**20
    result = runner.run(request(probe_image, ["alloc"], "test-oom", memory=limit))
    assert result.exit_code == 137 and not result.timed_out
    assert result.oom_killed and result.oom_signals
    assert "cgroup v1 memory.max_usage_in_bytes" in result.peak_memory_source or "v2" in result.peak_memory_source
    assert limit <= result.peak_memory_bytes <= limit + 2**16  # the kernel may overshoot by a page
    assert containers_of(docker_client, "test-oom") == []


def test_stop_request_from_output_ends_the_run_early(runner, probe_image):
    result = runner.run(request(probe_image, ["alloc"], "test-stop", memory=2**30,
                                on_line=lambda line: '"mib":16}' in line))
    assert result.stopped_early and not result.timed_out and not result.oom_killed
    assert result.exit_code == 137


def test_stray_container_of_a_dead_process_is_reaped(docker_client, probe_image):
    from orchestrator.runners import reap_stray_containers
    from orchestrator.runners._engine import HOST_LABEL, PID_LABEL, owner_labels

    labels = {**owner_labels("test-stray"), PID_LABEL: "999999999"}  # no such process
    live = {**owner_labels("test-alive")}  # this process: must be left alone
    dead = docker_client.containers.create(probe_image.tag, ["sleep"], labels=labels)
    alive = docker_client.containers.create(probe_image.tag, ["sleep"], labels=live)
    try:
        reaped = reap_stray_containers(docker_client)
        assert dead.name in reaped and alive.name not in reaped
        assert containers_of(docker_client, "test-stray") == []
        assert len(containers_of(docker_client, "test-alive")) == 1
        assert labels[HOST_LABEL] == live[HOST_LABEL]
    finally:
        alive.remove(force=True)
