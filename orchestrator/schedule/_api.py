"""``gctune schedule``: install, list and remove nightly runs of a spec, in systemd or cron."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestrator.errors import GctuneError, UsageError
from orchestrator.schedule._base import JOB_PREFIX, ScheduledJob, Scheduler, state_dir
from orchestrator.schedule._cron import CRONTAB_ENV, CronScheduler
from orchestrator.schedule._cronexpr import CronExpr, at_to_cron, parse_cron
from orchestrator.schedule._systemd import SystemdScheduler, systemd_running

BACKENDS = ("cron", "systemd")


def detect_backend() -> str:
    """``systemd`` where systemd runs and ``systemctl`` answers, otherwise ``cron``."""
    return "systemd" if systemd_running() else "cron"


def get_scheduler(backend: str | None = None) -> Scheduler:
    """The scheduler of ``backend`` (``cron`` or ``systemd``); ``None`` picks the one this machine runs."""
    chosen = backend or detect_backend()
    if chosen == "cron":
        return CronScheduler()
    if chosen == "systemd":
        return SystemdScheduler()
    raise UsageError(f"--backend {backend!r}: expected one of {', '.join(BACKENDS)}")


def resolve_schedule(cron: str | None, at: str | None) -> CronExpr:
    """Exactly one of ``--cron EXPR`` and ``--at HH:MM``, as a validated cron expression."""
    if cron is not None and at is not None:
        raise UsageError("give either --cron EXPR or --at HH:MM, not both")
    if cron is None and at is None:
        raise UsageError("say when to run: --at HH:MM (daily, e.g. --at 02:00) "
                         "or --cron EXPR (e.g. --cron '0 2 * * *')")
    return parse_cron(cron if cron is not None else at_to_cron(at or ""))


def gctune_command() -> list[str]:
    """The absolute command of the running gctune, for a job to call back later."""
    argv0 = sys.argv[0] if sys.argv else ""
    if Path(argv0).name == "gctune":
        found = argv0 if os.sep in argv0 else shutil.which(argv0)
        if found and os.access(found, os.X_OK):
            return [os.path.abspath(found)]
    sibling = Path(sys.executable).parent / "gctune"  # the entry point of this interpreter's environment
    if sibling.is_file() and os.access(sibling, os.X_OK):
        return [os.path.abspath(sibling)]
    found = shutil.which("gctune")
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "orchestrator"]


def install(spec_path: str | os.PathLike[str], cron: str | None = None, at: str | None = None,
            extra_args: Sequence[str] = (), backend: str | None = None) -> ScheduledJob:
    """Schedule ``gctune nightly SPEC EXTRA_ARGS`` for the spec; replace a job of the same spec name.

    The spec is validated now (a bad one raises its SpecError). The job runs in the spec's directory
    and appends its output to ``~/.local/state/gctune/gctune-<spec name>.log``.
    """
    from orchestrator.spec import load_spec

    expr = resolve_schedule(cron, at)
    spec = load_spec(spec_path)
    scheduler = get_scheduler(backend)
    spec_abs = Path(os.path.abspath(spec_path))
    name = f"{JOB_PREFIX}{spec.name}"
    logs = state_dir()
    logs.mkdir(parents=True, exist_ok=True)
    job = ScheduledJob(
        name=name, cron=expr.text, command=(*gctune_command(), "nightly", str(spec_abs), *map(str, extra_args)),
        workdir=str(spec_abs.parent), log_path=str(logs / f"{name}.log"), backend=scheduler.name,
        calendar=expr.on_calendar() if scheduler.name == "systemd" else None)
    stored = scheduler.install(job)
    for other in _other_schedulers(scheduler):  # a spec moved from one backend to the other: one job
        with contextlib.suppress(GctuneError):
            other.remove(name)
    return stored


def list_jobs(backend: str | None = None) -> list[ScheduledJob]:
    """gctune's scheduled jobs, with their next run times; ``None`` looks in every usable backend."""
    jobs: list[ScheduledJob] = []
    for scheduler in _schedulers(backend):
        jobs.extend(scheduler.list_jobs())
    return jobs


def remove(name: str, backend: str | None = None) -> bool:
    """Remove the job ``name`` (``gctune-<spec name>``, or just the spec name); UsageError if none."""
    wanted = name if name.startswith(JOB_PREFIX) else f"{JOB_PREFIX}{name}"
    schedulers = _schedulers(backend)
    removed = False
    for scheduler in schedulers:
        removed = scheduler.remove(wanted) or removed
    if removed:
        return True
    existing = [job for scheduler in schedulers for job in scheduler.list_jobs()]
    listing = ("scheduled jobs: " + ", ".join(f"{job.name} ({job.backend}, {job.cron})" for job in existing)
               if existing else "no gctune job is scheduled")
    raise UsageError(f"no scheduled gctune job {wanted!r}; {listing}")


def problems(backend: str | None = None) -> list[str]:
    """Reasons scheduled jobs of ``backend`` may not run on time (no cron daemon, no lingering)."""
    return get_scheduler(backend).problems()


def _schedulers(backend: str | None) -> list[Scheduler]:
    if backend is not None:
        return [get_scheduler(backend)]
    usable: list[Scheduler] = []
    cron = CronScheduler()
    if os.environ.get(CRONTAB_ENV) or shutil.which(cron.crontab[0]):  # a GCTUNE_CRONTAB must work
        usable.append(cron)
    systemd = SystemdScheduler()
    if systemd.unit_dir.is_dir() or detect_backend() == "systemd":
        usable.append(systemd)
    if not usable:  # neither: the cron scheduler explains what is missing
        usable.append(cron)
    return usable


def _other_schedulers(chosen: Scheduler) -> list[Scheduler]:
    return [scheduler for scheduler in _schedulers(None) if scheduler.name != chosen.name]
