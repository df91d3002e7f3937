"""``gctune run``: set up (or reopen) a run directory and its study, then search."""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from orchestrator.analysis import run_analysis
from orchestrator.report import write_reports
from orchestrator.build import WorkloadImage
from orchestrator.runners import DockerRunner
from orchestrator.search._storage import check_storage, redact, resolve_storage
from orchestrator.search._study import Plan, Progress, StudyRun
from orchestrator.spec import Spec, baseline_settings, load_spec
from orchestrator.store import RunDir
from orchestrator.trial import new_run_id
from orchestrator.workloads import WorkloadImages


@dataclass(frozen=True)
class RunOptions:
    results_dir: Path = Path("results")
    run_id: str | None = None
    resume: Path | None = None
    storage: str | None = None


def open_run_dir(spec_path: Path, options: RunOptions) -> tuple[RunDir, Spec]:
    """The run directory to use and the spec to run: a new one, or the one being resumed."""
    if options.resume is not None:
        run_dir = RunDir.open(options.resume)
        return run_dir, load_spec(run_dir.spec_path, base_dir=run_dir.spec_dir)
    spec = load_spec(spec_path)
    run_id = options.run_id or new_run_id()
    existing = options.results_dir / spec.name / run_id
    if existing.exists():
        run_dir = RunDir.open(existing)
        return run_dir, load_spec(run_dir.spec_path, base_dir=run_dir.spec_dir)
    return RunDir.create(options.results_dir, spec.name, run_id, spec_path.read_text(), spec_path.parent), spec


def run_study(spec_path: Path, options: RunOptions,
              on_progress: Callable[[Progress], None] | None = None,
              on_start: Callable[[RunDir], None] | None = None,
              plan: Plan | None = None, write_report: bool = True) -> tuple[RunDir, dict[str, Any]]:
    """Run (or resume) the study of a spec; returns the run directory and the final summary.

    summary.json and, unless ``write_report`` is false, the reports are written also when the run
    is interrupted, so what finished can be read at once.
    """
    run_dir, spec = open_run_dir(spec_path, options)
    storage = resolve_storage(run_dir, options.storage)
    check_storage(storage)
    runner = DockerRunner()
    images = WorkloadImages(spec, runner.client)
    first_image = images.for_settings(baseline_settings(spec))  # fail fast on a bad build
    _write_info(run_dir, storage, first_image, runner)
    if on_start:
        on_start(run_dir)
    study_run = StudyRun(spec, run_dir, storage, runner, images, runner.host_cpus, on_progress, plan)
    try:
        study_run.run()
        summary = study_run.write_summary(finished=True)
        run_analysis(spec, run_dir, summary, runner, images)
    finally:
        if study_run.baseline:
            study_run.write_summary(finished=len(study_run.finished_trials()) >= study_run.budget)
            if write_report:
                write_reports(run_dir.root)
    return run_dir, run_dir.read_json(run_dir.summary_path)


def _write_info(run_dir: RunDir, storage: str, image: WorkloadImage, runner: DockerRunner) -> None:
    info = run_dir.read_json(run_dir.info_path) if run_dir.info_path.exists() else {}
    engine = runner.engine
    info.setdefault("started", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    info.update({
        "run_id": run_dir.run_id, "storage": redact(storage), "image": image.tag, "go_toolchain": image.go_version,
        "gctune_version": metadata.version("gctune"), "python": platform.python_version(),
        "engine": {"docker": engine.server_version, "cgroup": engine.cgroup_version,
                   "host_cpus": engine.host_cpus, "host_memory_bytes": engine.host_memory_bytes},
    })
    run_dir.write_json(run_dir.info_path, info)
