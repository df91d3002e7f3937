"""``gctune run``: set up (or reopen) a run directory and its study, search, analyse, report."""

from __future__ import annotations

import contextlib
import errno
import math
import os
import platform
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from orchestrator.app._analysis import run_analysis
from orchestrator.app._backend import Backend, docker_backend
from orchestrator.build import WorkloadImage
from orchestrator.errors import EngineError, StoreError, UsageError
from orchestrator.results import RunInfo, Summary
from orchestrator.search import (
    Plan, Progress, StudyRun, check_storage, open_artifact_store, publish, redact, resolve_storage, store_location)
from orchestrator.spec import Spec, baseline_settings, load_spec
from orchestrator.store import RunDir, new_run_id


@dataclass(frozen=True)
class RunOptions:
    results_dir: Path = Path("results")
    run_id: str | None = None
    resume: Path | None = None
    storage: str | None = None
    jobs: int = 1  # trials at once on this host, each pinned to its own cores
    artifacts: str | None = None  # where workers keep trial files (a folder or s3://BUCKET); default RUN_DIR/artifacts


def open_run_dir(spec_path: Path, options: RunOptions) -> tuple[RunDir, Spec]:
    """The run directory to use and the spec to run: a new one, or the one being resumed."""
    if options.resume is not None:
        run_dir = RunDir.open(options.resume)
        return run_dir, load_spec(run_dir.spec_path, base_dir=run_dir.spec_dir)
    spec = load_spec(spec_path)
    run_id = options.run_id or new_run_id()
    existing = options.results_dir / spec.name / run_id
    if RunDir(existing).spec_path.exists():  # a folder without its spec.yaml was cut short while created
        run_dir = RunDir.open(existing)
        return run_dir, load_spec(run_dir.spec_path, base_dir=run_dir.spec_dir)
    return RunDir.create(options.results_dir, spec.name, run_id, spec_path.read_text(), spec_path.parent), spec


def run_study(spec_path: Path, options: RunOptions,
              on_progress: Callable[[Progress], None] | None = None,
              on_start: Callable[[RunDir], None] | None = None,
              plan: Plan | None = None, write_report: bool = True,
              backend: Backend | None = None, on_step: Callable[[str], None] | None = None) -> tuple[RunDir, Summary]:
    """Run (or resume) the study of a spec; returns the run directory and the final summary.

    summary.json and, unless ``write_report`` is false, the reports are written also when the run
    is interrupted, so what finished can be read at once.
    """
    run_dir: RunDir | None = None
    try:
        run_dir, spec = open_run_dir(spec_path, options)
        with run_dir.lock():  # a second coordinator of this run exits here, naming the holder
            _study(run_dir, spec, options, on_progress, on_start, plan, write_report, backend, on_step or _quiet)
        return run_dir, run_dir.read_summary()
    except EngineError as exc:
        if run_dir is None or not run_dir.summary_path.exists():
            if run_dir is not None and options.resume is None and options.run_id is None:
                _discard(run_dir)
            raise  # nothing was measured: nothing to continue
        raise EngineError(f"{exc}\n{_resume_hint(run_dir)}") from exc
    except Exception as exc:
        problem = _unwritable(exc)
        if problem is None:
            raise
        where = run_dir.root if run_dir else options.results_dir
        hint = f"; once there is room (or it is writable again): {_resume_hint(run_dir)}" if run_dir else ""
        raise StoreError(f"{where}: cannot write the results: {problem}{hint}") from exc


def _discard(run_dir: RunDir) -> None:
    """Remove a run folder this call made and nothing was measured in (and its spec's folder, if that is
    left empty): a run that could not start leaves nothing to resume."""
    shutil.rmtree(run_dir.root, ignore_errors=True)
    with contextlib.suppress(OSError):
        run_dir.root.parent.rmdir()


def _resume_hint(run_dir: RunDir) -> str:
    return f"finished trials are kept; continue with: gctune run --resume {run_dir.root}"


# errno values that mean the results folder cannot take a write; and SQLite's words for the same
_UNWRITABLE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)
_SQLITE_UNWRITABLE = ("database or disk is full", "attempt to write a readonly database")


def _unwritable(exc: BaseException) -> str | None:
    """Why the results could not be written (a full or read-only file system), from anywhere in the chain of
    ``exc`` (a failed SQLite commit reaches here as Optuna's StorageInternalError, caused by it); else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _UNWRITABLE_ERRNOS:
            return f"{current.filename}: {current.strerror}" if current.filename else str(current.strerror)
        found = next((words for words in _SQLITE_UNWRITABLE if words in str(current)), None)
        if found:
            return f"the study database: {found}"
        current = current.__cause__ or current.__context__
    return None


def _study(run_dir: RunDir, spec: Spec, options: RunOptions, on_progress: Callable[[Progress], None] | None,
           on_start: Callable[[RunDir], None] | None, plan: Plan | None, write_report: bool,
           backend: Backend | None, on_step: Callable[[str], None]) -> None:
    storage = resolve_storage(run_dir, options.storage)
    check_storage(storage)
    on_step("connecting to the engine")
    backend = backend or docker_backend()
    cpusets = job_cpusets(spec, options.jobs, backend.host_cpus) if options.jobs > 1 else ()  # refuse at once
    if on_start:
        on_start(run_dir)  # before the build, so an interruption from here on is told how to resume
    images = backend.images(spec)
    on_step(f"preparing Go {spec.go.version or '(bundled)'} and building the workload image")
    first_image = images.for_settings(baseline_settings(spec))  # fail fast on a bad build
    on_step("measuring Go's defaults (the baseline)")
    _write_info(run_dir, spec, storage, first_image, backend)
    location = store_location(options.artifacts or str(run_dir.root / "artifacts"))
    store = open_artifact_store(location)
    study_run = StudyRun(spec, run_dir, storage, backend.runner, images, backend.host_cpus, on_progress, plan,
                         cpusets, artifacts=store)
    publish(study_run.study, run_dir.spec_path.read_text(), spec, store, location)  # what `gctune worker` reads
    try:
        study_run.run()
        summary = study_run.write_summary(finished=True)
        run_analysis(spec, run_dir, summary, backend.runner, images)
    finally:
        if study_run.baseline:
            study_run.write_summary(finished=len(study_run.measured_trials()) >= study_run.budget)
            if write_report:
                from orchestrator.app._reports import write_run_reports  # matplotlib: only when a report is due

                write_run_reports(run_dir.root)


def job_cpusets(spec: Spec, jobs: int, host_cpus: int | None) -> list[str]:
    """Disjoint core sets, ceil(cpus) cores each, for ``jobs`` parallel trials; never oversubscribed."""
    cpus = max_cpus(spec)
    if cpus is None:
        raise UsageError("--jobs: each parallel trial is pinned to ceil(cpus) cores, so the spec needs a CPU limit "
                         "(container.cpus, or cpus in space)")
    per_job, host = math.ceil(cpus), host_cpus or os.cpu_count() or 1
    if jobs * per_job > host:
        raise UsageError(f"--jobs {jobs}: {jobs} trials of {per_job} core(s) each need {jobs * per_job} cores; this "
                         f"host has {host}, so at most {max(1, host // per_job)} job(s) fit. Add hosts with "
                         "`gctune worker` rather than sharing cores: parallel trials on shared cores measure each other")
    return [f"{i * per_job}-{(i + 1) * per_job - 1}" if per_job > 1 else str(i) for i in range(jobs)]


def max_cpus(spec: Spec) -> float | None:
    """The largest CPU limit any trial of the spec can have."""
    dim = spec.space.cpus
    if dim is None:
        return spec.container.cpus
    values = getattr(dim, "values", None)
    return float(max(values)) if values else float(dim.high)


def _quiet(step: str) -> None:
    """No progress wanted (not a terminal, or --json)."""


def _write_info(run_dir: RunDir, spec: Spec, storage: str, image: WorkloadImage, backend: Backend) -> None:
    info = run_dir.read_info() if run_dir.info_path.exists() else RunInfo()
    info = info.model_copy(update={
        "started": info.started or time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "run_id": run_dir.run_id, "storage": redact(storage), "image": image.tag, "go_toolchain": image.go_version,
        "gctune_version": metadata.version("gctune"), "python": platform.python_version(), "engine": backend.engine,
        "fingerprint": backend.runner.fingerprint().model_copy(
            update={"go_version": image.go_version, "go_experiment": spec.go.experiment}),
    })
    run_dir.write_info(info)
