"""The small interface every scheduler backend (cron, systemd timers) implements, and its job record."""

from __future__ import annotations

import abc
import os
import shlex
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

JOB_PREFIX = "gctune-"
MARKER = "gctune-job:"  # cron: '# gctune-job: NAME' ends the job's line; systemd: a comment in each unit


@dataclass(frozen=True)
class ScheduledJob:
    """One scheduled gctune run: what runs, when, where its output goes, and which backend holds it."""

    name: str  # gctune-<spec name>; the job's identity in every backend
    cron: str  # the schedule as a cron expression ('0 2 * * *'), whatever the backend
    command: tuple[str, ...]  # the argv run: absolute gctune, 'nightly', absolute spec, extra arguments
    workdir: str  # the directory the command runs in (the spec's)
    log_path: str  # stdout and stderr are appended here
    backend: str = ""  # 'cron' or 'systemd'
    calendar: str | None = None  # the systemd OnCalendar= value, for the systemd backend
    location: str = ""  # where the job is kept: 'crontab of USER' or the .timer file
    next_runs: tuple[datetime, ...] = field(default=())

    @property
    def command_line(self) -> str:
        """The command as one shell-quoted line."""
        return shlex.join(self.command)

    def with_(self, **changes: Any) -> ScheduledJob:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: times as ISO 8601 with their UTC offset."""
        return {
            "name": self.name, "backend": self.backend, "cron": self.cron, "calendar": self.calendar,
            "command": list(self.command), "workdir": self.workdir, "log_path": self.log_path,
            "location": self.location, "next_runs": [when.isoformat() for when in self.next_runs],
        }


class Scheduler(abc.ABC):
    """Keeps gctune's jobs in one backend; never touches entries that are not gctune's."""

    name: str

    @abc.abstractmethod
    def install(self, job: ScheduledJob) -> ScheduledJob:
        """Add ``job``, replacing any job of the same name; return it as stored."""

    @abc.abstractmethod
    def list_jobs(self) -> list[ScheduledJob]:
        """gctune's jobs in this backend, in the order they are stored."""

    @abc.abstractmethod
    def remove(self, name: str) -> bool:
        """Remove the job called ``name``; False when there is none."""

    def problems(self) -> list[str]:
        """Reasons the installed jobs may not run on time (e.g. no cron daemon running); empty if none."""
        return []


def state_dir() -> Path:
    """Where job logs and locks go: ``$XDG_STATE_HOME/gctune``, by default ``~/.local/state/gctune``."""
    base = os.environ.get("XDG_STATE_HOME") or ""
    return (Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state") / "gctune"
