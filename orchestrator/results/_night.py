"""A night of ``gctune nightly``: what it found, with the repeats a later night is tested against.

Stored as one JSON record per row of the history database and as ``night.json`` in the run folder.
"""

from __future__ import annotations

import statistics
from typing import Any

from pydantic import Field

from orchestrator.results._base import SCHEMA_VERSION, ResultModel
from orchestrator.results._fingerprint import Fingerprint


class Finding(ResultModel):
    """One judgement of a night against the previous comparable one.

    A test finding (``metric`` set) compares repeats with a one-sided Mann-Whitney U test; a change
    finding (``from``/``to`` set) reports something that moved but is not a regression.
    """

    kind: str
    regression: bool = False
    metric: str | None = None
    previous_median: float | None = None
    current_median: float | None = None
    change_percent: float | None = None  # positive = worse, in the metric's bad direction
    p_value: float | None = None
    note: str = ""
    from_: Any = Field(default=None, alias="from")
    to: Any = None

    @property
    def is_test(self) -> bool:
        return self.metric is not None

    def to_dict(self) -> dict[str, Any]:
        """Only the keys this kind of finding has, as gctune 0.1 wrote them."""
        data = super().to_dict()
        keys = (("kind", "metric", "previous_median", "current_median", "change_percent", "p_value",
                 "regression", "note") if self.is_test else ("kind", "from", "to", "regression")
                + (("note",) if self.note else ()))
        return {k: data[k] for k in keys}


class Night(ResultModel):
    """What one nightly run found."""

    schema_version: int = SCHEMA_VERSION
    experiment: str
    run_id: str
    date: str
    mode: str  # study | recheck
    comparable_key: str  # nights compare only with the same objective, constraints and container
    go_version: str | None = None
    workload_hash: str | None = None
    objective: str
    direction: str
    recommended: dict[str, Any] | None = None  # params as a person reads them
    recommended_trial_params: dict[str, Any] | None = None  # Optuna's params, to measure it again
    objective_values: list[float] = Field(default_factory=list)  # repeats at the recommendation
    baseline_values: list[float] = Field(default_factory=list)  # repeats at Go's defaults
    peak_memory_values: list[float] = Field(default_factory=list)  # repeats at the recommendation
    top_trial_params: list[dict[str, Any]] = Field(default_factory=list)
    feasible_trials: int = 0
    total_trials: int = 0
    verdict: str = "first night"
    findings: list[Finding] = Field(default_factory=list)
    report: str | None = None
    fingerprint: Fingerprint | None = None  # the machine measured (None: a night of gctune 0.1)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["findings"] = [f.to_dict() for f in self.findings]
        return data

    @property
    def regression(self) -> bool:
        return self.verdict == "regression"

    @property
    def feasible_share(self) -> float:
        return self.feasible_trials / self.total_trials if self.total_trials else 0.0

    @property
    def peak_memory_median(self) -> float | None:
        return statistics.median(self.peak_memory_values) if self.peak_memory_values else None
