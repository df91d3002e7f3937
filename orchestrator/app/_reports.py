"""Reports of a run folder, given everything they show: a nightly run's report gets its history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from orchestrator.history import HistoryStore, history_url
from orchestrator.report import FORMATS, write_reports
from orchestrator.results import Night
from orchestrator.spec import read_spec_data
from orchestrator.store import RunDir


def write_run_reports(run_dir: Path, formats: Sequence[str] = FORMATS, production_go: str | None = None) -> list[Path]:
    """report.html / .md / .json of ``run_dir``; for a nightly run with its nights up to this one."""
    return write_reports(run_dir, formats, production_go, nights=nights_up_to(Path(run_dir)))


def nights_up_to(run_dir: Path) -> list[Night]:
    """The experiment's nights up to this run's night, oldest first (none for a plain run)."""
    store = RunDir(run_dir)
    night = store.read_night() if store.spec_path.exists() else None
    if night is None:
        return []
    nightly = read_spec_data(store.spec_path).get("nightly")
    url = history_url(nightly.get("history") if isinstance(nightly, dict) else None, store.root.parent)
    nights = HistoryStore(url).nights(night.experiment)
    ids = [n.run_id for n in nights]
    return nights[: ids.index(night.run_id) + 1] if night.run_id in ids else nights
