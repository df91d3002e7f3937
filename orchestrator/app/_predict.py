"""``gctune predict``: the GC cost model of a run folder, asked about one GOGC and GOMEMLIMIT."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import UsageError
from orchestrator.model import MIN_OBSERVATIONS, Fit, Point, Prediction, fit_model, observe_run, predict
from orchestrator.spec import load_spec, resolve_trial_settings
from orchestrator.store import RunDir

PREDICTABLE = ("GOGC", "GOMEMLIMIT")  # the settings the model's equations take


@dataclass(frozen=True)
class PredictResult:
    run_dir: Path
    fit: Fit
    prediction: Prediction

    def to_dict(self) -> dict[str, Any]:
        quality = self.fit.quality
        return {"run_dir": str(self.run_dir), **self.prediction.to_dict(),
                "quality": {"verdict": quality.verdict, "error": quality.error, "errors": quality.errors,
                            "observations": quality.observations, "reason": quality.reason},
                "fitted_on": [o.label for o in self.fit.observations]}


def predict_run(run_dir: Path, overrides: Mapping[str, str]) -> PredictResult:
    """Fit the model on the run's measured configurations and predict the point ``--set`` gives.

    UsageError (exit 2): not a run folder, a setting the model does not take, a bad value, or fewer
    measured configurations than the fit needs."""
    store = RunDir.open(Path(run_dir))
    others = [name for name in overrides if name not in PREDICTABLE]
    spec = load_spec(store.spec_path, store.spec_dir)
    settings = resolve_trial_settings(spec, overrides)  # unknown names and bad values: the registry's message
    if others:
        raise UsageError(f"--set {others[0]}: the model predicts only {' and '.join(PREDICTABLE)}; the run's "
                         f"other settings stay as it measured them")
    observations = observe_run(store.root)
    if len(observations) < MIN_OBSERVATIONS:
        raise UsageError(f"{store.root}: {len(observations)} measured configuration(s) with a complete window and a "
                         f"GC cycle; the model needs at least {MIN_OBSERVATIONS} (baseline included): run more trials")
    fit = fit_model(observations)
    point = Point(None if settings.gogc == "off" else int(settings.gogc), settings.gomemlimit_bytes)
    return PredictResult(store.root, fit, predict(fit, point))
