"""``summary.json``'s ``decision``: what racing the leaders and Go's defaults decided, and on what evidence.

A race (search/_race.py) re-measures the leading configurations of the exploration, Go's defaults and,
where the CPU limit calls for it, the leader at other GOMAXPROCS values, in interleaved rounds. These
racing repeats are deliberate re-measurements, kept apart from the trials: only they enter the tests
(an exploration value picked the leaders, so it is biased towards luck).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from orchestrator.results._base import ResultModel
from orchestrator.stats import Spread

RACING_LABEL = "racing repeat (a deliberate re-measurement)"
FEASIBILITY_RULE = "every racing repeat meets every constraint"


class RaceContender(ResultModel):
    """One configuration in the race: its racing repeats and how it compared with the winner."""

    label: str  # "trial 5", "trial 5 at GOMAXPROCS=1", "baseline"
    trial: int | Literal["baseline"]  # the study trial (or the baseline) whose settings it runs
    role: Literal["leader", "baseline", "gomaxprocs"]
    params: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)  # medians over the racing repeats
    spread: dict[str, Spread] = Field(default_factory=dict)
    values: list[float] = Field(default_factory=list)  # the first objective in each racing repeat, in order
    repeat_metrics: list[dict[str, Any]] = Field(default_factory=list)  # every racing repeat's metrics
    outcomes: list[str] = Field(default_factory=list)
    feasible: bool = True  # FEASIBILITY_RULE
    violated: list[str] = Field(default_factory=list)  # constraints some racing repeat broke
    eliminated_round: int | None = None  # the round after which it was no longer measured
    p_vs_winner: float | None = None  # one-sided Mann-Whitney p of "the winner is better"
    within_noise: bool | None = None  # p_vs_winner above alpha: as good as the winner on this evidence

    @property
    def repeats(self) -> int:
        return len(self.values)


class Effect(ResultModel):
    """The winner minus Go's defaults in the first objective: Hodges-Lehmann estimate and interval."""

    metric: str
    estimate: float
    low: float
    high: float
    coverage: float  # the interval's real coverage
    relative: float | None  # estimate / the baseline's racing median
    p: float | None  # one-sided Mann-Whitney p of "the winner is better than Go's defaults"


class GomaxprocsValue(ResultModel):
    """The winner's settings at one GOMAXPROCS, as raced."""

    gomaxprocs: str  # "auto" or a number
    label: str
    median: float | None
    repeats: int
    feasible: bool
    p_vs_winner: float | None
    within_noise: bool | None


class GomaxprocsAdvice(ResultModel):
    """GOMAXPROCS by measurement: floor(limit), Go's default and ceil(limit) raced for the leader."""

    cpus: float | None
    default: int | None  # what Go chose (the baseline's /sched/gomaxprocs)
    values: list[GomaxprocsValue] = Field(default_factory=list)
    best: str | None = None  # the GOMAXPROCS of the best among them
    advice: str = ""


class Decision(ResultModel):
    """How the race ended and what it decided."""

    test: str = "one-sided Mann-Whitney U (exact up to 8+8 repeats), each contender against the best"
    metric: str = "gc_cpu_percent"
    direction: Literal["minimize", "maximize"] = "minimize"
    preset: str = "standard"
    alpha: float = 0.05  # over every look at one comparison
    level: float = 0.05  # what each test is held to: alpha / looks (Bonferroni over the rounds looked at)
    min_repeats: int = 0
    max_repeats: int = 0
    feasibility_rule: str = FEASIBILITY_RULE
    repeats_label: str = RACING_LABEL
    rounds: int = 0
    repeats_spent: int = 0
    seconds_spent: float = 0.0
    stopped: str = "running"  # running | separated | max_repeats | time_budget | nothing_to_race
    finished: bool = False
    winner: str | None = None  # a contender's label
    best_by_median: str | None = None  # before the tie-break
    within_noise: list[str] = Field(default_factory=list)  # leaders as good as the winner on this evidence
    tie_broken_by_headroom: bool = False
    winner_rule: str = ""
    effect: Effect | None = None
    separated_from_baseline: bool | None = None
    confidence: Literal["high", "medium", "low", "none"] = "low"
    reasons: list[str] = Field(default_factory=list)
    gomaxprocs: GomaxprocsAdvice | None = None
    contenders: list[RaceContender] = Field(default_factory=list)

    def contender(self, label: str | None) -> RaceContender | None:
        return next((c for c in self.contenders if c.label == label), None)

    @property
    def winning(self) -> RaceContender | None:
        return self.contender(self.winner)
