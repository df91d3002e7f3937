"""``gctune history``: the nights of an experiment folder (or of a history storage URL)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.errors import UsageError
from orchestrator.history import HistoryStore, history_url
from orchestrator.results import Night


def read_history(experiment_dir: Path, storage: str | None = None) -> list[Night]:
    """Every night of ``RESULTS/NAME``; UsageError when there is no history or it is not one."""
    if storage is None and not (experiment_dir / "history.db").is_file():
        raise UsageError(f"{experiment_dir}: no history.db; give the experiment folder, e.g. results/<name>, "
                         "that `gctune nightly` writes to (or --storage URL)")
    return HistoryStore(history_url(storage, experiment_dir)).nights(None if storage is None else experiment_dir.name)
