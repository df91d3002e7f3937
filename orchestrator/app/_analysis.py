"""Go's own memory-analysis tools, on request: pprof heap and CPU profiles of the baseline and the
recommendation, and an escape-analysis summary of the user's package (``go build -gcflags=-m``)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from orchestrator.parsers.escape import parse_escape
from orchestrator.results import Summary
from orchestrator.runners import OUTPUT_MOUNT, Runner
from orchestrator.spec import SETTING_NAMES, Spec, TrialSettings, baseline_settings, resolve_trial_settings
from orchestrator.store import RunDir
from orchestrator.trial import trial_request
from orchestrator.workloads import ImageSource, kind_for, recipe_for, toolchain_for

PROFILE_FILES = ("cpu.pprof", "heap.pprof")


def run_analysis(spec: Spec, run_dir: RunDir, summary: Summary, runner: Runner, images: ImageSource) -> dict[str, Any]:
    """Whatever ``analysis`` asks for; the result (paths relative to the run dir) goes in analysis.json."""
    result: dict[str, Any] = {}
    if spec.analysis.profiles:
        result["profiles"] = _profiles(spec, run_dir, summary, runner, images)
    if spec.analysis.escape:
        result["escape"] = escape_summary(spec, run_dir)
    if result:
        run_dir.write_json(run_dir.root / "analysis.json", result)
    return result


def _profiles(spec: Spec, run_dir: RunDir, summary: Summary, runner: Runner, images: ImageSource) -> dict[str, Any]:
    kind = kind_for(spec)
    if not kind.can_profile:
        return {"note": kind.profiling_note}
    configurations = {"baseline": baseline_settings(spec)}
    if summary.recommended is not None and not summary.recommended.is_baseline:
        configurations["recommended"] = settings_of(spec, summary.recommended.params)
    return {name: _profile_once(spec, settings, run_dir.root / "profiles" / name, runner, images, run_dir.run_id)
            for name, settings in configurations.items()}


def _profile_once(spec: Spec, settings: TrialSettings, folder: Path, runner: Runner, images: ImageSource,
                  run_id: str) -> dict[str, Any]:
    """One extra run with profiling on: test flags for benchmarks, the reporter's hook for programs."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o777)  # the container runs as nobody
    kind = kind_for(spec)
    request = kind.profiling_request(trial_request(spec, settings, images.for_settings(settings), run_id), OUTPUT_MOUNT)
    run = runner.run(dataclasses.replace(request, output_dir=str(folder)))
    files = [f"profiles/{folder.name}/{name}" for name in PROFILE_FILES if (folder / name).exists()]
    return {"files": files, "exit_code": run.exit_code, "settings": settings.params(),
            "note": "" if files else kind.profiling_note}


def settings_of(spec: Spec, params: dict[str, Any]) -> TrialSettings:
    """The trial settings of a recorded configuration (its params as summary.json holds them)."""
    overrides = {k: ("none" if k == "GOMEMLIMIT" and v is None else v) for k, v in params.items()
                 if k in SETTING_NAMES and v is not None}
    return resolve_trial_settings(spec, overrides)


def escape_summary(spec: Spec, run_dir: RunDir) -> dict[str, Any]:
    """``go build -gcflags=-m`` of the user's package: what escapes to the heap, by kind and by file."""
    recipe = recipe_for(spec, spec.go.experiment)
    if recipe is None or not kind_for(spec).has_source:
        return {"note": "escape analysis needs the source: a go_package or go_bench workload"}
    toolchain = toolchain_for(spec.go.version)
    result = toolchain.run(recipe.go_args(os.devnull, "-gcflags=-m"), cwd=recipe.module_dir, **recipe.go_env())
    raw = run_dir.root / "escape-analysis.txt"
    raw.write_text(result.stderr)
    report = parse_escape(result.stderr)
    return {"file": raw.name, "sites": len(report.sites), "by_kind": dict(report.counts_by_kind),
            "top_files": [list(item) for item in report.top_files(10)], "go": toolchain.version}
