"""The report's check of the run's GC cost model: every measured configuration against the model's
prediction for it when fitted on all the others (leave-one-out), and the error of the forecasts the
search recorded before measuring (TrialRecord.prediction)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from orchestrator.model import MIN_OBSERVATIONS, Quality, fit_model, leave_one_out, measured, percentage_errors
from orchestrator.report._data import ReportData
from orchestrator.results import Predicted


@dataclass(frozen=True)
class ModelPoint:
    """One configuration: what was measured, what the model fitted without it predicted, who proposed it."""

    label: str
    proposed_by: str | None
    measured: dict[str, float | None]
    predicted: dict[str, float]
    forecast: dict[str, Predicted] | None  # the prediction recorded before it was measured


@dataclass(frozen=True)
class ModelCheck:
    quality: Quality
    points: tuple[ModelPoint, ...]
    forecast_error: float | None  # median absolute percentage error of the recorded gc_cpu_percent forecasts
    forecasts: int

    def summary_text(self) -> str:
        """The model's error and verdict in one sentence."""
        q = self.quality
        error = "-" if q.error is None else f"{q.error:.0%}"
        text = (f"GC model: {q.verdict} fit over {q.observations} configurations; median absolute percentage "
                f"error of gc_cpu_percent, leave-one-out, {error} ({q.reason}).")
        if self.forecast_error is not None:
            text += (f" The {self.forecasts} predictions the search recorded before measuring erred by "
                     f"{self.forecast_error:.0%} (median).")
        return text

    def to_dict(self) -> dict[str, Any]:
        q = self.quality
        return {"verdict": q.verdict, "error": q.error, "errors": q.errors, "observations": q.observations,
                "reason": q.reason, "forecast_error": self.forecast_error, "forecasts": self.forecasts,
                "points": [{"label": p.label, "proposed_by": p.proposed_by, "measured": p.measured,
                            "predicted": p.predicted} for p in self.points]}


def model_check(data: ReportData) -> ModelCheck | None:
    """The check, or None when the run has fewer measured configurations than the fit needs."""
    observations = data.observations
    if len(observations) < MIN_OBSERVATIONS:
        return None
    fit = fit_model(observations)
    trials = {f"trial {t.trial}": t for t in data.trials}
    points = tuple(ModelPoint(o.label, getattr(trials.get(o.label), "proposed_by", None), measured(o), predicted,
                              getattr(trials.get(o.label), "prediction", None))
                   for o, predicted in zip(observations, leave_one_out(observations)))
    pairs = [(p.forecast["gc_cpu_percent"].value, p.measured["gc_cpu_percent"]) for p in points
             if p.forecast and "gc_cpu_percent" in p.forecast and p.measured["gc_cpu_percent"] is not None]
    errors = percentage_errors(pairs)
    return ModelCheck(fit.quality, points, statistics.median(errors) if errors else None, len(errors))
