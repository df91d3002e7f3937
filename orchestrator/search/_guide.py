"""Model-guided proposals: the run's GC cost model suggests where to measure next, while it predicts well.

StudyRun asks the guide before the sampler. Once the baseline and the first trials give the model the
configurations it needs (``MIN_OBSERVATIONS``, baseline included) and its leave-one-out verdict is good,
the guide proposes the model's best predicted feasible point that no trial measured yet; it is queued
and measured next. It keeps proposing while its predictions hold. It stops for good when:
- a trial it proposed is measured outside its predicted interval of the objective, or is infeasible
  (an OOM kill, thrashing, a violated constraint) where it predicted feasible;
- the fit's verdict turns poor;
- it predicts nothing better than the best measured value (by more than ``MIN_GAIN``);
- it has proposed half of the trial budget (the sampler keeps room to explore).
Then the sampler carries on alone. The guide only works where the model applies: one objective the
model predicts, a space of GOGC and GOMEMLIMIT alone, a sampler other than grid, no fixed plan.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.model import (
    MIN_OBSERVATIONS, PREDICTED_METRICS, Fit, Observation, Point, Prediction, fit_model, observe_folder, predict)
from orchestrator.results import Measured, TrialRecord
from orchestrator.spec import SETTINGS, Choices, GogcRange, Percent, Spec, TrialSettings, resolve_trial_settings
from orchestrator.spec._space import Dimension

MODEL, SAMPLER, PLAN = "model", "sampler", "plan"  # who proposed a trial (TrialRecord.proposed_by)
MODEL_SETTINGS = ("GOGC", "GOMEMLIMIT")  # the settings the model's equations take
MIN_GAIN = 0.01  # a proposal must be predicted better than the best measured value by this share
POINTS_PER_RANGE = 48  # candidate values on a range (log-spaced on a log range)


@dataclass(frozen=True)
class Candidate:
    """One point the guide may propose: the Optuna params to queue and the trial's settings."""

    params: dict[str, Any]
    settings: TrialSettings


@dataclass(frozen=True)
class Proposal:
    params: dict[str, Any]
    prediction: Prediction

    def user_attrs(self) -> dict[str, Any]:
        """What the queued trial carries: who proposed it and what was predicted for it."""
        return {"proposed_by": MODEL, "prediction": prediction_attrs(self.prediction)}


@dataclass
class ModelGuide:
    """Proposes the model's predicted best point before the sampler is asked; see the module docstring."""

    spec: Spec
    skip: Callable[[TrialSettings], str]  # why a configuration is not run (StudyRun's skip_reason)
    budget: int
    disabled: str | None = None  # why the guide does not apply to this spec
    stopped: str | None = None  # why it stopped proposing
    fit: Fit | None = None  # the last fit
    candidates: list[Candidate] = field(default_factory=list)
    _seen: dict[Path, Observation | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.disabled = self.disabled or why_not(self.spec)
        if self.disabled is None:
            self.candidates = candidates(self.spec)

    @property
    def active(self) -> bool:
        return self.disabled is None and self.stopped is None

    def refit(self, folders: Iterable[Path]) -> Fit | None:
        """Fit the model on the measured configurations in these folders (each read once)."""
        observations = []
        for folder in folders:
            if folder not in self._seen:
                self._seen[folder] = observe_folder(folder, folder.name)
            if self._seen[folder] is not None:
                observations.append(self._seen[folder])
        self.fit = fit_model(observations) if len(observations) >= MIN_OBSERVATIONS else None
        return self.fit

    def predict(self, settings: TrialSettings) -> Prediction | None:
        """The last fit's prediction for a configuration, when the fit is good."""
        if self.fit is None or not self.fit.quality.usable:
            return None
        return predict(self.fit, point_of(settings))

    def propose(self, trials: Sequence[TrialRecord], baseline: Measured | None) -> Proposal | None:
        """The next point to measure, or None (not yet, or stopped: ``stopped`` says why)."""
        if not self.active or self.fit is None or self.fit.quality.verdict == "insufficient":
            return None  # not yet: too few configurations to check the fit on
        ours = [t for t in trials if t.proposed_by == MODEL]
        self.stopped = (broken_prediction(ours, self.spec) or self._poor_fit()
                        or (f"proposed {len(ours)} trials, half the budget" if len(ours) >= max(1, self.budget // 2)
                            else None))
        if self.stopped:
            return None
        best = self._best_candidate(trials, baseline)
        if best is None:
            self.stopped = "the model predicts nothing better than the best measured value"
        return best

    def _poor_fit(self) -> str | None:
        quality = self.fit.quality if self.fit else None
        return f"the fit is {quality.verdict}: {quality.reason}" if quality and quality.verdict == "poor" else None

    def _best_candidate(self, trials: Sequence[TrialRecord], baseline: Measured | None) -> Proposal | None:
        metric, direction = self.spec.objectives[0]
        sign = 1.0 if direction == "minimize" else -1.0
        measured = [t.params for t in trials] + ([baseline.params] if baseline else [])
        scored = []
        for candidate in self.candidates:
            if self.skip(candidate.settings) or any(near(candidate.settings, p) for p in measured):
                continue
            prediction = predict(self.fit, point_of(candidate.settings))  # type: ignore[arg-type]
            if feasible(prediction, self.spec, baseline):
                scored.append((sign * prediction.metrics[metric].value, candidate, prediction))
        if not scored:
            return None
        value, candidate, prediction = min(scored, key=lambda s: s[0])
        best_measured = best_feasible(trials, baseline, metric, direction)
        if best_measured is not None and value >= sign * best_measured - MIN_GAIN * abs(best_measured):
            return None
        return Proposal(candidate.params, prediction)


def why_not(spec: Spec) -> str | None:
    """Why the model cannot guide this spec's search, or None when it can."""
    if spec.search.guide != MODEL:
        return "search.guide is none"
    if len(spec.objectives) != 1 or spec.objectives[0][0] not in PREDICTED_METRICS:
        return f"the objective is not one metric the model predicts ({', '.join(PREDICTED_METRICS)})"
    searched = set(spec.space.searched())
    if not searched or not searched <= set(MODEL_SETTINGS):
        return "the space searches settings other than GOGC and GOMEMLIMIT"
    if spec.search.sampler == "grid":
        return "the grid sampler measures every point anyway"
    return None


def candidates(spec: Spec) -> list[Candidate]:
    """Every combination of the candidate values of the searched GOGC and GOMEMLIMIT."""
    searched = spec.space.searched()
    options = [_values(name, dim) for name, dim in searched.items()]
    combos: list[tuple[dict[str, Any], dict[str, Any]]] = [({}, {})]
    for values in options:
        combos = [({**p, **vp}, {**o, **vo}) for p, o in combos for vp, vo in values]
    return [Candidate(params, resolve_trial_settings(spec, overrides)) for params, overrides in combos]


def _values(name: str, dim: Dimension) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(Optuna params, settings override) for each candidate value of one dimension, as suggest() names them."""
    if isinstance(dim, Choices):
        return [({name: str(v) if isinstance(v, Percent) else v}, {name: v}) for v in dim.values]
    percent = isinstance(dim.low, Percent)
    low, high = (dim.low.value, dim.high.value) if percent else (float(dim.low), float(dim.high))
    points = _spaced(low, high, dim.log)
    if percent:
        step = dim.step.value if isinstance(dim.step, Percent) else None
        param = SETTINGS[name].optuna_param(percent=True)
        return [({param: v}, {name: Percent(v)}) for v in sorted({_snap(p, low, step) for p in points})]
    integral = dim.integral or dim.in_bytes
    values = sorted({int(_snap(p, low, dim.step or 1)) if integral else _snap(p, low, dim.step) for p in points})
    off = isinstance(dim, GogcRange) and dim.off
    found = [({name: v, **({"GOGC_off": False} if off else {})}, {name: v}) for v in values if low <= v <= high]
    return found + ([({"GOGC_off": True}, {name: "off"})] if off else [])


def _spaced(low: float, high: float, log: bool) -> list[float]:
    n = POINTS_PER_RANGE
    if log and low > 0:
        return [low * (high / low) ** (i / (n - 1)) for i in range(n)]
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def _snap(value: float, low: float, step: float | None) -> float:
    return value if not step else low + round((value - low) / step) * step


def point_of(settings: TrialSettings) -> Point:
    return Point(None if settings.gogc == "off" else int(settings.gogc), settings.gomemlimit_bytes)


def near(settings: TrialSettings, params: dict[str, Any]) -> bool:
    """A candidate this close to a measured configuration (GOGC within 3%, GOMEMLIMIT within 1%) adds nothing."""
    gogc, other = settings.gogc, params.get("GOGC")
    if (gogc == "off") != (other == "off"):
        return False
    if gogc != "off" and (not isinstance(other, (int, float)) or abs(math.log(gogc / other)) > 0.03):
        return False
    limit, theirs = settings.gomemlimit_bytes, params.get("GOMEMLIMIT")
    if (limit is None) != (theirs is None):
        return False
    return limit is None or abs(limit - theirs) <= 0.01 * max(limit, theirs)


def feasible(prediction: Prediction, spec: Spec, baseline: Measured | None) -> bool:
    """Predicted feasible: no OOM, no thrashing, and every constraint on a predicted metric met at the
    high end of its interval (the metrics the model predicts are all better lower)."""
    metrics = {name: estimate.high for name, estimate in prediction.metrics.items()}
    if prediction.oom_expected or prediction.metrics["gc_cpu_percent"].value >= spec.search.thrash_gc_cpu_percent:
        return False
    base = baseline.metrics if baseline else None
    try:
        return all(c.violation(metrics, base) <= 0 for c in spec.constraints if c.metric in metrics)
    except ValueError:  # a constraint relative to a baseline metric that is missing
        return False


def best_feasible(trials: Sequence[TrialRecord], baseline: Measured | None, metric: str,
                  direction: str = "minimize") -> float | None:
    """The best feasible measured value of ``metric`` (the lowest, or the highest when maximized)."""
    values = [t.number(metric) for t in trials if t.feasible and t.state == "COMPLETE"]
    if baseline is not None and getattr(baseline, "feasible", False):
        values.append(baseline.number(metric))
    known = [v for v in values if v is not None]
    if not known:
        return None
    return max(known) if direction == "maximize" else min(known)


def broken_prediction(ours: Sequence[TrialRecord], spec: Spec) -> str | None:
    """Why one of the guide's own trials shows the model wrong, or None when every prediction held."""
    metric, _ = spec.objectives[0]
    for trial in ours:
        if trial.state not in ("COMPLETE", "FAIL") or trial.outcome in (None, "repeated", "interrupted", "engine"):
            continue
        if trial.outcome != "ok" or not trial.feasible:
            return f"trial {trial.trial} was predicted feasible but measured {trial.outcome}, infeasible"
        predicted, value = (trial.prediction or {}).get(metric), trial.number(metric)
        if predicted is None or value is None:
            continue
        if not predicted.low <= value <= predicted.high:
            return (f"trial {trial.trial} measured {metric} {value:.3g}, outside the predicted "
                    f"{predicted.low:.3g}..{predicted.high:.3g}")
    return None


def prediction_attrs(prediction: Prediction) -> dict[str, dict[str, float]]:
    """A prediction as a trial's user attribute and TrialRecord.prediction hold it."""
    return {name: {"value": e.value, "low": e.low, "high": e.high} for name, e in prediction.metrics.items()}
