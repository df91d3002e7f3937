"""``summary.json``: what one study found, as the search writes it after every trial.

Shapes, in the order the file lists them: the baseline (Go's defaults), the recommendation (a trial or
the baseline), the saving against the baseline, the runner-up with its noise verdict, the Pareto front,
the best trial per Go version, the memory headroom, counts, the nearest miss, and every trial.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from orchestrator.results._base import SCHEMA_VERSION, ResultModel
from orchestrator.results._decision import Decision
from orchestrator.stats import Spread

Direction = Literal["minimize", "maximize"]
LOW_MARGIN_PERCENT = 10.0  # a peak closer than this share to the container limit warns


def is_number(value: Any) -> bool:
    """A finite int or float that is not a bool: a value statistics can use."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class Measured(ResultModel):
    """One configuration as measured: its settings, median metrics and the spread of its repeats."""

    params: dict[str, Any] = Field(default_factory=dict)  # settings as a person reads them (bytes, "auto")
    metrics: dict[str, Any] = Field(default_factory=dict)  # medians over the repeats (definitions: METRICS)
    spread: dict[str, Spread] = Field(default_factory=dict)
    outcome: str | None = None  # ok | oom | thrashing | skipped | crash | timeout | engine
    reason: str | None = None

    def number(self, metric: str) -> float | None:
        """The median of a numeric metric, or None when the run did not produce it."""
        value = self.metrics.get(metric)
        return float(value) if is_number(value) else None

    def repeat_values(self, metric: str) -> list[float]:
        """Every repeat's value of a metric (one value when only the median is known)."""
        spread = self.spread.get(metric)
        if spread is not None and spread.values:
            return [float(v) for v in spread.values]
        value = self.number(metric)
        return [] if value is None else [value]

    @property
    def repeats(self) -> int | None:
        """How many runs the medians come from."""
        value = self.metrics.get("repeats")
        if is_number(value):
            return int(value)
        return next((s.n for s in self.spread.values()), None)


class Baseline(Measured):
    """Go's defaults in the spec's container, measured before any trial."""

    violations: dict[str, float] = Field(default_factory=dict)
    feasible: bool = False


class Predicted(ResultModel):
    """The GC model's prediction of one metric for a trial, made before it was measured."""

    value: float
    low: float
    high: float


class TrialRecord(Measured):
    """One Optuna trial: its configuration, outcome, objective values and constraint values."""

    trial: int
    state: str  # Optuna's TrialState name: COMPLETE or FAIL
    feasible: bool = False
    optuna_params: dict[str, Any] = Field(default_factory=dict)  # as Optuna suggested them, to re-run
    values: dict[str, float] | None = None  # objective metric -> the trial's value
    violations: dict[str, float] | None = None  # constraint -> violation (<= 0 is met)
    go_version_built: str | None = None  # only in by_go_version: the version the binary reported
    machine: str | None = None  # the fingerprint's machine_id of where it was measured (workers: theirs)
    # "model" (the GC model's guide), "plan" (a planned configuration) or "sampler"; None: not recorded
    proposed_by: str | None = None
    prediction: dict[str, Predicted] | None = None  # metric -> the model's prediction, when it had a good fit


class Recommendation(Measured):
    """The configuration to deploy: a trial, or ``"baseline"`` when nothing beat Go's defaults."""

    trial: int | Literal["baseline"]
    rule: str  # why it was chosen
    state: str | None = None
    feasible: bool = True
    optuna_params: dict[str, Any] = Field(default_factory=dict)
    values: dict[str, float] | None = None
    violations: dict[str, float] | None = None

    @property
    def is_baseline(self) -> bool:
        return self.trial == "baseline"


class ObjectiveSpec(ResultModel):
    metric: str
    direction: Direction


class Saving(ResultModel):
    """The first objective at the recommendation against the baseline; positive is better."""

    metric: str
    baseline: float
    recommended: float | None
    absolute: float | None
    relative: float | None


class RunnerUp(ResultModel):
    """The next-best feasible trial; within_noise when the two medians' intervals overlap (None: 1 run)."""

    trial: int
    params: dict[str, Any]
    value: float
    within_noise: bool | None


class Headroom(ResultModel):
    """Room between the recommendation's GOMEMLIMIT (and its peak) and the container memory limit."""

    memory_limit_bytes: int
    gomemlimit_bytes: int | None
    gomemlimit_headroom_bytes: int | None
    gomemlimit_headroom_percent: float | None
    peak_headroom_bytes: float | None  # the margin: the container limit minus the recommendation's peak
    peak_go_memory_bytes: float | None = None  # what the Go runtime held at its peak (definitions.py)
    memory_outside_go_bytes: float | None = None  # the container's peak minus that: memory Go does not manage
    margin_percent: float | None = None  # peak_headroom_bytes as a share of the container limit

    @property
    def low_margin(self) -> bool:
        """Whether the peak leaves less than LOW_MARGIN_PERCENT of the container limit."""
        return self.margin_percent is not None and self.margin_percent < LOW_MARGIN_PERCENT


class NearestMiss(ResultModel):
    trial: int
    params: dict[str, Any] | None
    violated: dict[str, float]


class NoFeasible(ResultModel):
    message: str
    nearest_miss: NearestMiss | None


class Summary(ResultModel):
    """Everything a study found; rewritten after every trial, final when ``finished``."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    experiment: str
    storage: str | None = None
    study_name: str | None = None
    finished: bool = False
    objectives: list[ObjectiveSpec]
    constraints: list[str] = Field(default_factory=list)
    baseline: Baseline
    recommended: Recommendation | None = None
    saving: Saving | None = None
    runner_up: RunnerUp | None = None
    pareto_front: list[TrialRecord] | None = None
    by_go_version: dict[str, TrialRecord] | None = None
    headroom: Headroom | None = None
    trial_counts: dict[str, int] = Field(default_factory=dict)
    no_feasible: NoFeasible | None = None
    decision: Decision | None = None  # the race of the leaders and Go's defaults, when search.confidence is set
    trials: list[TrialRecord] = Field(default_factory=list)

    @property
    def objective_pairs(self) -> list[tuple[str, Direction]]:
        """``(metric, direction)``, the first objective first."""
        return [(o.metric, o.direction) for o in self.objectives]

    @property
    def first_objective(self) -> tuple[str, Direction]:
        return self.objective_pairs[0]

    def trial(self, number: int) -> TrialRecord | None:
        return next((t for t in self.trials if t.trial == number), None)

    def feasible_trials(self) -> list[TrialRecord]:
        return [t for t in self.trials if t.feasible and t.state == "COMPLETE"]

    def ranked_feasible(self, exclude: int | str | None = None) -> list[TrialRecord]:
        """Feasible trials, best first by the first objective."""
        metric, direction = self.first_objective
        trials = [t for t in self.feasible_trials() if t.trial != exclude and t.values and metric in t.values]
        return sorted(trials, key=lambda t: t.values[metric], reverse=direction == "maximize")  # type: ignore[index]


def load_summary(path: Path) -> Summary:
    """Read summary.json; UsageError (exit 2) when it is missing, unreadable or from a newer gctune."""
    return Summary.read(path)
