"""``gctune worker``: join a study a coordinator (``gctune run --storage URL``) started, and run its trials.

The spec and the workload's source come from the study (see ``search._shared``); the worker builds its
images on its own engine (``--engine``, else DOCKER_HOST or the local socket), runs trials there through
the same trial loop as the coordinator, and keeps each trial's files in the artifact store. Its own
folder (RESULTS/<name>/<run id>/worker-<host>-<pid>) holds the files it measured.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import optuna

from orchestrator.app._backend import Backend, docker_backend
from orchestrator.errors import UsageError
from orchestrator.search import (
    ARTIFACTS_ATTR, Progress, WorkerRun, check_storage, joined_spec, open_artifact_store, open_storage, owner, redact,
    resolve_storage)
from orchestrator.spec import baseline_settings, read_spec_data
from orchestrator.store import RunDir


@dataclass(frozen=True)
class WorkerOptions:
    run_dir: Path | None = None  # a coordinator's run folder: its storage and study
    storage: str | None = None
    study: str | None = None  # "<spec name>/<run id>", as `gctune run` names it
    engine: str | None = None  # a Docker engine URL (unix://, tcp://, ssh://)
    artifacts: str | None = None  # a folder or s3://BUCKET; default: the one the coordinator recorded
    results_dir: Path = Path("results")


@dataclass(frozen=True)
class WorkerResult:
    folder: Path
    study_name: str
    measured_here: int  # trials this worker measured
    measured: int  # trials the study has measured, every process's
    budget: int


def run_worker(options: WorkerOptions, on_progress: Callable[[Progress], None] | None = None,
               on_step: Callable[[str], None] | None = None, backend: Backend | None = None) -> WorkerResult:
    """Run trials of the study until its budget is measured (by every process together)."""
    step = on_step or (lambda _: None)
    storage, study_name = _study_of(options)
    check_storage(storage)
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(storage))
    except KeyError:
        names = ", ".join(sorted(optuna.get_all_study_names(storage))[:10]) or "none"
        raise UsageError(f"--study {study_name}: no such study in {redact(storage)} (studies there: {names}); "
                         "start it with `gctune run SPEC --storage URL`") from None
    location = options.artifacts or study.user_attrs.get(ARTIFACTS_ATTR)
    store = open_artifact_store(location) if location else None
    name, _, run_id = study_name.partition("/")
    run_dir = RunDir(options.results_dir / name / run_id / f"worker-{socket.gethostname()}-{os.getpid()}")
    spec_text, spec = joined_spec(study.user_attrs, store, run_dir.root / "inputs")
    run_dir.write_text(run_dir.spec_path, spec_text)
    step(f"connecting to the engine {options.engine or os.environ.get('DOCKER_HOST') or '(local)'}")
    backend = backend or docker_backend(options.engine)
    images = backend.images(spec)
    step(f"preparing Go {spec.go.version or '(bundled)'} and building the workload image")
    images.for_settings(baseline_settings(spec))  # fail fast on a bad build
    step("waiting for the coordinator's baseline")
    worker = WorkerRun(spec, run_dir, storage, backend.runner, images, backend.host_cpus, on_progress,
                       study_name=study_name, artifacts=store)
    worker.run()
    here = sum(1 for t in worker.measured_trials() if t.user_attrs.get("measured_by") == owner())
    return WorkerResult(run_dir.root, study_name, here, len(worker.measured_trials()), worker.budget)


def _study_of(options: WorkerOptions) -> tuple[str, str]:
    """The storage URL and study name: given, or those of a coordinator's run folder."""
    if options.run_dir is None:
        if not options.storage or not options.study:
            raise UsageError("give the coordinator's run folder (gctune worker RUN_DIR), or both --storage URL "
                             "and --study NAME (`<spec name>/<run id>`, printed by `gctune run`)")
        return options.storage, options.study
    run_dir = RunDir.open(options.run_dir)
    if not run_dir.info_path.exists():
        raise UsageError(f"{run_dir.root}: the run has not started its study yet (no run.json); wait for "
                         "`gctune run` to measure its baseline")
    storage = resolve_storage(run_dir, options.storage)
    name = read_spec_data(run_dir.spec_path).get("name")
    return storage, options.study or f"{name}/{run_dir.run_id}"
