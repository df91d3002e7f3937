"""The systemd backend: a ``.timer`` (``Persistent=true``) and a ``Type=oneshot`` ``.service`` per job.

systemd never starts a oneshot service that is still running, so runs cannot overlap and no flock is
needed; ``Persistent=true`` runs a job missed while the machine was off as soon as it is back. The
units are user units (``~/.config/systemd/user``, ``systemctl --user``) for ordinary users and
system units (``/etc/systemd/system``) for root. The job's cron expression is kept in a comment
of the timer, so that listing can show the next run times without asking systemd.
"""

from __future__ import annotations

import getpass
import os
import re
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

from orchestrator.errors import GctuneError, UsageError
from orchestrator.schedule._base import JOB_PREFIX, MARKER, ScheduledJob, Scheduler
from orchestrator.schedule._cronexpr import parse_cron

UNIT_DIR_ENV = "GCTUNE_SYSTEMD_UNIT_DIR"
CRON_COMMENT = "gctune-cron:"
SYSTEMD_RUN_DIR = Path("/run/systemd/system")  # exists only when systemd is PID 1
_SAFE_WORD = re.compile(r"^[A-Za-z0-9_@+=:,./-]+$")
_TIMEOUT_S = 60


def default_scope() -> str:
    """``system`` for root, ``user`` for everyone else."""
    return "system" if os.geteuid() == 0 else "user"


def default_unit_dir(scope: str) -> Path:
    """``$GCTUNE_SYSTEMD_UNIT_DIR``, else ``~/.config/systemd/user`` (user) or ``/etc/systemd/system``."""
    if os.environ.get(UNIT_DIR_ENV):
        return Path(os.environ[UNIT_DIR_ENV])
    if scope == "system":
        return Path("/etc/systemd/system")
    config = os.environ.get("XDG_CONFIG_HOME") or ""
    return (Path(config) if os.path.isabs(config) else Path.home() / ".config") / "systemd" / "user"


def systemd_running(scope: str | None = None, systemctl: Sequence[str] = ("systemctl",),
                    run_dir: Path = SYSTEMD_RUN_DIR) -> bool:
    """True when systemd is the init system and its (user or system) manager answers ``systemctl``."""
    if not run_dir.is_dir():
        return False
    scope_args = ["--user"] if (scope or default_scope()) == "user" else []
    try:
        result = subprocess.run([*systemctl, *scope_args, "show", "--property=Version", "--value"],
                                capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


class SystemdScheduler(Scheduler):
    """gctune's jobs as systemd timer and service units in one unit directory."""

    name = "systemd"

    def __init__(self, unit_dir: str | os.PathLike[str] | None = None, scope: str | None = None,
                 systemctl: Sequence[str] | None = ("systemctl",)) -> None:
        self.scope = scope or default_scope()
        if self.scope not in ("user", "system"):
            raise UsageError(f"systemd scope {self.scope!r}: expected user or system")
        self.unit_dir = Path(unit_dir) if unit_dir is not None else default_unit_dir(self.scope)
        self.systemctl = list(systemctl) if systemctl is not None else None  # None: only write files

    def install(self, job: ScheduledJob) -> ScheduledJob:
        """Write both units, reload systemd and enable and start the timer; undo the files on failure."""
        units = render_units(job, scope=self.scope)
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        paths = [self.unit_dir / filename for filename in units]
        previous = {path: path.read_text() for path in paths if path.exists()}
        for path, text in zip(paths, units.values()):
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_text(text, encoding="utf-8")
            temporary.replace(path)
        try:
            self._systemctl("daemon-reload")
            self._systemctl("enable", "--now", f"{job.name}.timer")
        except GctuneError as exc:
            for path in paths:
                if path in previous:
                    path.write_text(previous[path], encoding="utf-8")
                else:
                    path.unlink(missing_ok=True)
            self._systemctl("daemon-reload", check=False)
            raise GctuneError(f"{exc}; the unit files are as they were before "
                              f"(without systemd: --backend cron)") from None
        return read_job(self.unit_dir / f"{job.name}.timer", self.unit_dir / f"{job.name}.service")

    def list_jobs(self) -> list[ScheduledJob]:
        """Every gctune timer in the unit directory, with its service."""
        if not self.unit_dir.is_dir():
            return []
        jobs = []
        for timer in sorted(self.unit_dir.glob(f"{JOB_PREFIX}*.timer")):
            if f"{MARKER}" in timer.read_text(encoding="utf-8", errors="replace"):
                jobs.append(read_job(timer, timer.with_suffix(".service")))
        return jobs

    def remove(self, name: str) -> bool:
        """Stop and disable the timer, delete both units and reload; False when there is no such timer."""
        timer = self.unit_dir / f"{name}.timer"
        if not timer.exists() or MARKER not in timer.read_text(encoding="utf-8", errors="replace"):
            return False
        self._systemctl("disable", "--now", timer.name, check=False)  # it may be unloaded already
        timer.unlink()
        (self.unit_dir / f"{name}.service").unlink(missing_ok=True)
        self._systemctl("daemon-reload", check=False)  # the files are gone: reloading only tidies up
        return True

    def problems(self) -> list[str]:
        """User timers stop when their user logs out unless lingering is enabled."""
        if self.scope != "user":
            return []
        user = getpass.getuser()
        if Path("/var/lib/systemd/linger", user).exists():
            return []
        return [f"user timers run only while {user} is logged in; to run them at night anyway: "
                f"loginctl enable-linger {user}"]

    def _systemctl(self, *args: str, check: bool = True) -> None:
        if self.systemctl is None:
            return
        command = [*self.systemctl, *(["--user"] if self.scope == "user" else []), *args]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            if check:
                raise GctuneError(f"{shlex.join(command)} failed: {exc}") from None
            return
        if check and result.returncode != 0:
            raise GctuneError(f"{shlex.join(command)} failed (exit {result.returncode}): "
                              f"{' '.join((result.stderr or result.stdout).split()) or 'no message'}")


def render_units(job: ScheduledJob, scope: str = "user") -> dict[str, str]:
    """The ``NAME.timer`` and ``NAME.service`` files of ``job``, by file name."""
    for value in (job.workdir, job.log_path, *job.command):
        if "\n" in value or "\r" in value:
            raise UsageError(f"{value!r}: a systemd unit cannot hold a line break; rename it")
    calendar = job.calendar or parse_cron(job.cron).on_calendar()
    removal = f"gctune schedule remove {job.name}"
    after = "After=docker.service\n" if scope == "system" else ""  # a user manager has no docker.service
    timer = (f"# Written by gctune; remove with: {removal}\n"
             f"# {MARKER} {job.name}\n"
             f"# {CRON_COMMENT} {job.cron}\n"
             f"[Unit]\n"
             f"Description=gctune schedule {job.name} ({_escape(job.cron)})\n"
             f"\n"
             f"[Timer]\n"
             f"OnCalendar={calendar}\n"
             f"Persistent=true\n"
             f"Unit={job.name}.service\n"
             f"\n"
             f"[Install]\n"
             f"WantedBy=timers.target\n")
    service = (f"# Written by gctune; remove with: {removal}\n"
               f"# {MARKER} {job.name}\n"
               f"[Unit]\n"
               f"Description=gctune schedule {job.name}: the nightly run\n"
               f"{after}"
               f"\n"
               f"[Service]\n"
               f"Type=oneshot\n"
               f"WorkingDirectory={_escape(job.workdir)}\n"
               f"ExecStart={' '.join(_quote(word) for word in job.command)}\n"
               f"StandardOutput=append:{_escape(job.log_path)}\n"
               f"StandardError=inherit\n")
    return {f"{job.name}.timer": timer, f"{job.name}.service": service}


def read_job(timer: Path, service: Path) -> ScheduledJob:
    """A job back from its two unit files."""
    timer_keys = _keys(timer.read_text(encoding="utf-8", errors="replace"))
    service_keys = _keys(service.read_text(encoding="utf-8", errors="replace")) if service.exists() else {}
    name = timer_keys.get(f"#{MARKER}", timer.stem)
    cron = timer_keys.get(f"#{CRON_COMMENT}", "")
    try:
        next_runs = parse_cron(cron).next_runs()
    except UsageError:
        next_runs = ()
    try:
        command = tuple(shlex.split(_unescape(service_keys.get("ExecStart", ""))))
    except ValueError:
        command = (service_keys.get("ExecStart", ""),)
    log = service_keys.get("StandardOutput", "")
    return ScheduledJob(
        name=name, cron=cron, command=command, workdir=_unescape(service_keys.get("WorkingDirectory", "")),
        log_path=_unescape(log.split(":", 1)[1]) if log.startswith("append:") else "", backend="systemd",
        calendar=timer_keys.get("OnCalendar"), location=str(timer), next_runs=next_runs)


def _keys(text: str) -> dict[str, str]:
    """``Key=value`` lines, and gctune's ``# marker: value`` comments under the key ``#marker``."""
    keys: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            body = line[1:].strip()
            for marker in (MARKER, CRON_COMMENT):
                if body.startswith(marker):
                    keys.setdefault(f"#{marker}", body[len(marker):].strip())
        elif "=" in line and not line.startswith("["):
            key, value = line.split("=", 1)
            keys.setdefault(key.strip(), value.strip())
    return keys


def _escape(text: str) -> str:
    """A literal value for a unit file: ``%`` starts a specifier, ``$`` a variable in ExecStart."""
    return text.replace("%", "%%")


def _quote(word: str) -> str:
    """One ExecStart word, double-quoted (C-style escapes) unless plain; ``%`` and ``$`` doubled."""
    if not _SAFE_WORD.match(word):
        word = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word.replace("%", "%%").replace("$", "$$")


def _unescape(text: str) -> str:
    return text.replace("%%", "%").replace("$$", "$")
