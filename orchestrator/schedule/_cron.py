"""The cron backend: one line per job in the user's crontab, edited through the real ``crontab`` command.

A job's line ends with the marker comment ``# gctune-job: NAME``, which is how gctune finds its own
lines (a marker comment alone on the line above a job line is recognised too). Every other line of
the crontab, comments and environment settings included, is written back exactly as it was read.

The line runs the command under ``flock -n`` so that a run still going when the next one is due
makes the next one skip instead of overlapping::

    0 2 * * * { cd /exp && /usr/bin/flock -n -o /home/me/.local/state/gctune/gctune-x.lock \\
        /venv/bin/gctune nightly /exp/x.yaml ; } >> /home/me/.local/state/gctune/gctune-x.log 2>&1 \\
        # gctune-job: gctune-x

(all on one line; ``%`` is written ``\\%`` because cron reads a bare one as a line break).
``GCTUNE_CRONTAB`` names the crontab command, split like a shell would (default ``crontab``; e.g.
``crontab -u alice``, or the path of a wrapper script).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from orchestrator.errors import GctuneError, UsageError
from orchestrator.schedule._base import MARKER, ScheduledJob, Scheduler, state_dir
from orchestrator.schedule._cronexpr import parse_cron

CRONTAB_ENV = "GCTUNE_CRONTAB"
CRON_HINT = ("install a cron daemon with its crontab command (Debian: scripts/ensure-cron, or apt-get install cron "
             f"as root), or set {CRONTAB_ENV} to a crontab-compatible command")
_MARKER_AT_END = re.compile(r"\s#\s*" + re.escape(MARKER) + r"\s*(?P<name>\S+)\s*$")
_MARKER_LINE = re.compile(r"^\s*#\s*" + re.escape(MARKER) + r"\s*(?P<name>\S+)\s*$")
_JOB_LINE = re.compile(r"^\s*(?P<when>@[A-Za-z]+|(?:\S+\s+){4}\S+)\s+(?P<command>\S.*)$")
_TIMEOUT_S = 30


class CronScheduler(Scheduler):
    """gctune's jobs as lines of one user's crontab."""

    name = "cron"

    def __init__(self, crontab: str | Sequence[str] | None = None) -> None:
        command = crontab if crontab is not None else (os.environ.get(CRONTAB_ENV) or "crontab")
        self.crontab = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.crontab:
            raise UsageError(f"{CRONTAB_ENV} is empty; expected a crontab-compatible command, e.g. crontab")
        custom = self.crontab != ["crontab"]
        self.location = f"crontab ({shlex.join(self.crontab)})" if custom else f"crontab of {getpass.getuser()}"

    # --- the Scheduler interface ------------------------------------------------------------------
    def install(self, job: ScheduledJob) -> ScheduledJob:
        """Put the job's line where a job of that name was, else at the end; keep every other line."""
        line = render_cron_line(job)
        with self._locked():
            lines = self._read().splitlines()
            kept: list[str] = []
            placed = False
            for own, text in _classify(lines):
                if own != job.name:
                    kept.append(text)
                elif not placed and not _MARKER_LINE.match(text):
                    kept.append(line)
                    placed = True
            if not placed:
                kept.append(line)
            self._write(kept)
        stored = [found for found in self.list_jobs() if found.name == job.name]
        if len(stored) != 1:
            raise GctuneError(f"{self.location}: the job {job.name} was written but reads back {len(stored)} times")
        return stored[0]

    def list_jobs(self) -> list[ScheduledJob]:
        """Every line marked as gctune's, parsed back into a job."""
        jobs = []
        for own, text in _classify(self._read().splitlines()):
            if own and not _MARKER_LINE.match(text):
                jobs.append(parse_cron_line(text, own).with_(location=self.location))
        return jobs

    def remove(self, name: str) -> bool:
        """Drop the job's line (and a marker line above it); False when the crontab has none."""
        with self._locked():
            lines = self._read().splitlines()
            kept = [text for own, text in _classify(lines) if own != name]
            if len(kept) == len(lines):
                return False
            self._write(kept)
        return True

    def problems(self) -> list[str]:
        """No cron daemon running means the crontab is never read."""
        if cron_daemon_running():
            return []
        return ["no cron daemon is running on this machine, so the job will not run until one does "
                "(as root: scripts/ensure-cron --start, or start the 'cron' service)"]

    # --- the crontab command ------------------------------------------------------------------------
    def _run(self, args: list[str], text: str | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run([*self.crontab, *args], input=text, capture_output=True, text=True,
                                  timeout=_TIMEOUT_S, check=False)
        except FileNotFoundError:
            raise GctuneError(f"the crontab command {self.crontab[0]!r} was not found; {CRON_HINT}") from None
        except PermissionError:
            raise GctuneError(f"the crontab command {self.crontab[0]!r} cannot be run (permission denied); "
                              f"{CRON_HINT}") from None
        except subprocess.TimeoutExpired:
            raise GctuneError(f"{shlex.join([*self.crontab, *args])} did not finish in {_TIMEOUT_S}s") from None

    def _read(self) -> str:
        result = self._run(["-l"])
        if result.returncode == 0:
            return result.stdout
        if "no crontab for" in result.stderr.lower():
            return ""
        raise GctuneError(f"{shlex.join([*self.crontab, '-l'])} failed (exit {result.returncode}): "
                          f"{_one_line(result.stderr or result.stdout)}")

    def _write(self, lines: list[str]) -> None:
        text = "".join(f"{line}\n" for line in lines)
        result = self._run(["-"], text)
        if result.returncode != 0:
            raise GctuneError(f"{shlex.join([*self.crontab, '-'])} refused the new crontab (exit "
                              f"{result.returncode}): {_one_line(result.stderr or result.stdout)}; "
                              f"the crontab is unchanged")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise read-modify-write cycles of gctune processes (crontab itself has no locking)."""
        directory = state_dir()
        directory.mkdir(parents=True, exist_ok=True)
        with open(directory / "crontab.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def render_cron_line(job: ScheduledJob) -> str:
    """The crontab line of ``job``: its schedule, the command under ``flock -n``, the marker."""
    for value in (job.workdir, job.log_path, *job.command):
        if "\n" in value or "\r" in value:
            raise UsageError(f"{value!r}: a crontab line cannot hold a line break; rename it")
    flock = shutil.which("flock")
    if not flock:
        raise GctuneError("the flock command (util-linux) is missing; install it (Debian: apt-get install util-linux)")
    shell = (f"{{ cd {shlex.quote(job.workdir)} && {flock} -n -o {shlex.quote(lock_path(job))} "
             f"{shlex.join(job.command)} ; }} >> {shlex.quote(job.log_path)} 2>&1")
    # cron turns an unescaped % into a line break (and the rest into stdin); a backslash keeps it.
    return f"{job.cron} {shell.replace('%', chr(92) + '%')} # {MARKER} {job.name}"


def parse_cron_line(line: str, name: str) -> ScheduledJob:
    """A job back from its crontab line; a line edited by hand keeps its command as one string."""
    match = _JOB_LINE.match(_MARKER_AT_END.sub("", line))
    when, command = (match["when"], match["command"]) if match else ("", line)
    try:
        expr = parse_cron(when)
        next_runs, when = expr.next_runs(), expr.text
    except UsageError:
        next_runs = ()
    workdir = log = ""
    argv: tuple[str, ...] = (command,)
    try:
        words = shlex.split(command.replace("\\%", "%"))
    except ValueError:
        words = []
    # { cd DIR && FLOCK -n -o LOCK ARGV... ; } >> LOG 2>&1
    if (len(words) >= 13 and words[:2] == ["{", "cd"] and words[3] == "&&" and words[5:7] == ["-n", "-o"]
            and words[-5:-3] == [";", "}"] and words[-3] == ">>" and words[-1] == "2>&1"):
        workdir, log, argv = words[2], words[-2], tuple(words[8:-5])
    return ScheduledJob(name=name, cron=when, command=argv, workdir=workdir, log_path=log, backend="cron",
                        next_runs=next_runs)


def lock_path(job: ScheduledJob) -> str:
    """The flock file of a job: beside its log, ``NAME.lock``."""
    return str(Path(job.log_path).with_name(f"{job.name}.lock"))


def cron_daemon_running() -> bool:
    """True when a live process (not a zombie) called cron or crond runs on this machine."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name, _, rest = text.partition("(")[2].rpartition(")")
        if name in ("cron", "crond") and rest.split()[:1] != ["Z"]:
            return True
    return False


def _classify(lines: list[str]) -> list[tuple[str, str]]:
    """Each line with the name of the gctune job it belongs to, or '' for lines that are not gctune's."""
    owners = []
    for index, text in enumerate(lines):
        owner = ""
        if not text.lstrip().startswith("#"):
            end = _MARKER_AT_END.search(text)
            above = _MARKER_LINE.match(lines[index - 1]) if index else None
            if end:
                owner = end["name"]
            elif above and _JOB_LINE.match(text) and "=" not in text.split()[0]:
                owner = above["name"]
        else:
            marker = _MARKER_LINE.match(text)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if marker and following.strip() and not following.lstrip().startswith("#") \
                    and _JOB_LINE.match(following) and "=" not in following.split()[0]:
                owner = marker["name"]
        owners.append((owner, text))
    return owners


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "no message"
