"""The run directory: everything one ``gctune run`` produced, written so an interruption loses nothing.

    results/<spec name>/<run id>/
        spec.yaml        the spec as run
        run.json         run id, storage URL, study name, host and toolchain facts
        study.db         the Optuna study (SQLite), unless --storage names another storage
        baseline/        repeat-N/{gctrace.txt, workload.jsonl, metrics.json} and trial.json
        trials/NNNN/     the same for trial number NNNN
        summary.json     rewritten after every trial; final when the run ends
        night.json       for a nightly run: what the night found
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
import secrets
import time
from pathlib import Path
from typing import Any

from orchestrator.errors import UsageError
from orchestrator.results import Night, RunInfo, Summary


def new_run_id() -> str:
    """A fresh run id: the start time, then 4 random hex digits so two runs in one second differ."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


class RunLock:
    """One run, one coordinator: an exclusive lock on ``RUN_DIR/.lock`` naming its holder.

    It is an flock, so it dies with its holder: a crashed or killed coordinator never blocks the
    resume. (flock is per host; a run folder shared over NFS needs the storage to coordinate.)
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: Any = None

    def __enter__(self) -> RunLock:
        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise UsageError(f"{self.path.parent}: this run is in use by {holder}; wait for it to end, or add "
                             "hands with `gctune worker`") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on host {socket.gethostname()}\n")
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class RunDir:
    """Paths inside one run directory, and atomic JSON writes."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def create(cls, results_dir: Path, spec_name: str, run_id: str, spec_text: str, spec_dir: Path) -> RunDir:
        """A new run directory holding the spec as run, and the folder its relative paths start from."""
        run_dir = cls(results_dir / spec_name / run_id)
        run_dir.root.mkdir(parents=True, exist_ok=True)
        if not run_dir.spec_path.exists():
            # spec.yaml last and whole: its presence says the folder is complete, even after a kill here.
            run_dir.write_json(run_dir.root / "spec-source.json", {"spec_dir": str(spec_dir.resolve())})
            run_dir.write_text(run_dir.spec_path, spec_text)
        return run_dir

    @property
    def spec_dir(self) -> Path:
        """Where the spec's relative workload paths point (the original spec file's folder)."""
        source = self.root / "spec-source.json"
        return Path(self.read_json(source)["spec_dir"]) if source.exists() else self.root

    @classmethod
    def open(cls, root: Path) -> RunDir:
        run_dir = cls(root)
        if not run_dir.spec_path.exists():
            raise UsageError(f"{root}: not a gctune run directory (no spec.yaml); "
                             "give the folder that `gctune run` printed, e.g. results/<name>/<run id>")
        return run_dir

    @property
    def run_id(self) -> str:
        return self.root.name

    @property
    def spec_path(self) -> Path:
        return self.root / "spec.yaml"

    @property
    def db_path(self) -> Path:
        return self.root / "study.db"

    @property
    def default_storage(self) -> str:
        return f"sqlite:///{self.db_path.resolve()}"

    @property
    def summary_path(self) -> Path:
        return self.root / "summary.json"

    @property
    def info_path(self) -> Path:
        return self.root / "run.json"

    @property
    def baseline_dir(self) -> Path:
        return self.root / "baseline"

    def trial_dir(self, number: int) -> Path:
        return self.root / "trials" / f"{number:04d}"

    @property
    def night_path(self) -> Path:
        return self.root / "night.json"

    def read_summary(self) -> Summary:
        """summary.json; UsageError when it is missing, unreadable or from a newer gctune."""
        if not self.summary_path.exists():
            raise UsageError(f"{self.root}: no summary.json yet - the run has not measured its baseline; "
                             "run or resume it (`gctune run --resume DIR`) first")
        return Summary.read(self.summary_path)

    def write_summary(self, summary: Summary) -> None:
        self.write_json(self.summary_path, summary.to_dict())

    def read_info(self) -> RunInfo:
        """run.json (empty facts when the run has not written it yet)."""
        return RunInfo.read(self.info_path) if self.info_path.exists() else RunInfo()

    def write_info(self, info: RunInfo) -> None:
        self.write_json(self.info_path, info.to_dict())

    def read_night(self) -> Night | None:
        """night.json of a nightly run, None for a plain run."""
        return Night.read(self.night_path) if self.night_path.exists() else None

    def write_night(self, night: Night) -> None:
        self.write_json(self.night_path, night.to_dict())

    def lock(self) -> RunLock:
        """The coordinator's lock of this run (use as a context manager)."""
        return RunLock(self.root / ".lock")

    def read_json(self, path: Path) -> Any:
        return json.loads(path.read_text())

    def write_json(self, path: Path, data: Any) -> None:
        """Write via a temporary file and rename, so a kill never leaves half a JSON file."""
        self.write_text(path, json.dumps(data, indent=2, default=str) + "\n")

    def write_text(self, path: Path, text: str) -> None:
        """Write via a temporary file and rename: the old file or the whole new one, also on a full disk."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f"{path.suffix}.{os.getpid()}-{threading.get_ident()}.tmp")  # writers never share one
        try:
            tmp.write_text(text)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()  # a full disk must not also keep half a file
            raise
