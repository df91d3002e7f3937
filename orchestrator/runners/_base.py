"""The small interface every runner (Docker now, a local process runner later) implements."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.results import Fingerprint


@dataclass(frozen=True)
class ContainerLimits:
    """Resource limits for one run; ``None`` means unlimited."""

    cpus: float | None = None
    memory_bytes: int | None = None
    pids_limit: int = 256
    cpuset: str | None = None  # the host cores it may run on ("0", "2-3"); None: any


@dataclass(frozen=True)
class RunRequest:
    """Everything needed to run the workload once."""

    image: str
    command: list[str]
    env: dict[str, str]
    limits: ContainerLimits
    timeout_s: float
    run_id: str
    # Stop the program (SIGTERM, then SIGKILL after a grace period) this long after start, as planned:
    # for a server that runs until told to stop. Not a timeout.
    stop_after_s: float | None = None
    # Host folder mounted writable at /gctune-out (profiles); everything else stays read-only.
    output_dir: str | None = None
    # Called with each complete stdout line as it arrives; a true result asks to stop the run early.
    on_stdout_line: Callable[[str], bool | None] | None = None


@dataclass
class RunResult:
    """What a run produced: raw output plus what only the runner can observe."""

    stdout: str
    stderr: str
    exit_code: int | None
    wall_seconds: float
    timed_out: bool = False
    stopped_early: bool = False
    stopped_as_planned: bool = False
    cpu_seconds: float | None = None  # the container's CPU time from its cgroup (cpuacct), when readable
    oom_killed: bool = False
    oom_signals: list[str] = field(default_factory=list)
    peak_memory_bytes: int | None = None
    peak_memory_source: str | None = None
    host_cpus: int | None = None
    error: str | None = None


class Runner(abc.ABC):
    """Runs a workload image under given environment and limits, always cleaning up after itself."""

    name: str

    def fingerprint(self) -> Fingerprint:
        """The machine this runner measures on (empty when it cannot tell)."""
        return Fingerprint()

    def abort(self) -> None:
        """Stop every run in progress (from another thread): each raises KeyboardInterrupt once cleaned up."""

    @abc.abstractmethod
    def run(self, request: RunRequest) -> RunResult:
        """Run to completion, timeout or OOM kill; never leave the workload running."""
