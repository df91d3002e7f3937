"""Where the study lives: any Optuna storage URL, recorded without its password for resuming."""

from __future__ import annotations

import os
import warnings

import optuna
from sqlalchemy.engine import make_url

from orchestrator.errors import UsageError
from orchestrator.search._claim import retry_callback
from orchestrator.store import RunDir


def resolve_storage(run_dir: RunDir, requested: str | None) -> str:
    """The storage URL: as given, as recorded by an earlier session of this run, or the run's SQLite file."""
    recorded = run_dir.read_info().storage
    if recorded is None:
        return requested or run_dir.default_storage
    if requested and redact(requested) != recorded:
        raise UsageError(f"--storage {redact(requested)}: this run's study is in {recorded}; resume it there")
    if requested:
        return requested
    if "***" in recorded:  # the password was redacted: it must be given again
        raise UsageError(f"this run's study is in {recorded}; pass --storage with its password to resume it")
    return recorded


def redact(url: str) -> str:
    """The URL without its password, as written to run.json and summary.json."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not an SQLAlchemy URL (e.g. a journal file path): nothing to hide
        return url


# Heartbeats of running trials on a database server, so a worker that dies (SIGKILL, a lost host) has its
# trial failed and retried by another after the grace period. GCTUNE_HEARTBEAT_S shortens it (tests).
HEARTBEAT_ENV = "GCTUNE_HEARTBEAT_S"
DEFAULT_HEARTBEAT_S = 10


def heartbeat_interval() -> int:
    value = os.environ.get(HEARTBEAT_ENV, "")
    if not value:
        return DEFAULT_HEARTBEAT_S
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"{HEARTBEAT_ENV}={value!r}: must be a whole number of seconds, at least 1")
    return int(value)


def open_storage(url: str) -> optuna.storages.BaseStorage:
    """The Optuna storage of a URL. SQLite waits for its lock (parallel jobs write from several threads)
    instead of failing with "database is locked". A database server (PostgreSQL, MySQL: the storage of
    several hosts) records heartbeats; a trial silent for three intervals is failed and run again."""
    if url.startswith("sqlite:"):
        return optuna.storages.RDBStorage(url, engine_kwargs={"connect_args": {"timeout": 60}})
    if "://" in url:
        interval = heartbeat_interval()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.get_storage(optuna.storages.RDBStorage(
                url, heartbeat_interval=interval, grace_period=3 * interval,
                heartbeat_stale_trial_callback=retry_callback()))
    return optuna.storages.get_storage(url)


def check_storage(url: str) -> None:
    """Open the storage before any container runs, so a bad URL fails fast with a clear message."""
    try:
        optuna.storages.get_storage(url)
    except Exception as exc:  # driver missing, server down, bad URL: all are the user's to fix
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"--storage {redact(url)}: cannot open this Optuna storage: {first[:300]}") from exc
