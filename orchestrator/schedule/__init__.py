"""Scheduling nightly runs: ``gctune nightly SPEC`` from a systemd timer, or a crontab line under flock."""

from orchestrator.schedule._api import (
    BACKENDS, detect_backend, gctune_command, get_scheduler, install, list_jobs, problems, remove, resolve_schedule,
)
from orchestrator.schedule._base import JOB_PREFIX, MARKER, ScheduledJob, Scheduler, state_dir
from orchestrator.schedule._cron import CRONTAB_ENV, CronScheduler, parse_cron_line, render_cron_line
from orchestrator.schedule._cronexpr import CronExpr, at_to_cron, parse_cron
from orchestrator.schedule._systemd import UNIT_DIR_ENV, SystemdScheduler, render_units, systemd_running

__all__ = [
    "BACKENDS", "CRONTAB_ENV", "JOB_PREFIX", "MARKER", "UNIT_DIR_ENV",
    "CronExpr", "CronScheduler", "ScheduledJob", "Scheduler", "SystemdScheduler",
    "at_to_cron", "detect_backend", "gctune_command", "get_scheduler", "install", "list_jobs", "parse_cron",
    "parse_cron_line", "problems", "remove", "render_cron_line", "render_units", "resolve_schedule",
    "state_dir", "systemd_running",
]
