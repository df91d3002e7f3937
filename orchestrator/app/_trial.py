"""``gctune trial``: one configuration of a spec, run once, with its metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from orchestrator.app._backend import Backend, docker_backend
from orchestrator.spec import load_spec, resolve_trial_settings
from orchestrator.store import new_run_id
from orchestrator.trial import TrialOutcome, run_trial, save_trial


def run_single_trial(spec_path: Path, overrides: Mapping[str, str], out: Path | None = None,
                     on_step: Callable[[str], None] | None = None, backend: Backend | None = None) -> TrialOutcome:
    """Run the spec's fixed settings (with ``--set`` overrides) once; keep the raw files in ``out``."""
    spec = load_spec(spec_path)
    settings = resolve_trial_settings(spec, overrides)
    backend = backend or docker_backend()
    step = on_step or (lambda _: None)
    step("building the workload image")
    image = backend.images(spec).for_settings(settings)
    step(f"running one trial of {spec.name} ({spec.container.trial_timeout_s(spec.workload):.0f}s max)")
    outcome = run_trial(spec, settings, backend.runner, image, new_run_id())
    if out is not None:
        save_trial(outcome, out)
    return outcome
