"""The experiment's history: one row per night, in SQLite by default or any SQLAlchemy URL."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

_METADATA = sa.MetaData()
NIGHTS = sa.Table(
    "nights", _METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("experiment", sa.String(200), nullable=False, index=True),
    sa.Column("run_id", sa.String(200), nullable=False),
    sa.Column("date", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # the Night as JSON
)


@dataclass
class Night:
    """What one nightly run found, with the repeats a later night is tested against."""

    experiment: str
    run_id: str
    date: str
    mode: str
    comparable_key: str                 # nights compare only with the same objective, constraints, container
    go_version: str | None
    workload_hash: str | None
    objective: str
    direction: str
    recommended: dict[str, Any] | None  # params as a person reads them
    recommended_trial_params: dict[str, Any] | None  # Optuna's params, to measure it again
    objective_values: list[float] = field(default_factory=list)       # repeats at the recommendation
    baseline_values: list[float] = field(default_factory=list)        # repeats at Go's defaults
    peak_memory_values: list[float] = field(default_factory=list)     # repeats at the recommendation
    top_trial_params: list[dict[str, Any]] = field(default_factory=list)
    feasible_trials: int = 0
    total_trials: int = 0
    verdict: str = "first night"
    findings: list[dict[str, Any]] = field(default_factory=list)
    report: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class HistoryStore:
    """Append and read nights; the table is created on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url)
        _METADATA.create_all(self.engine)

    @staticmethod
    def default_url(experiment_dir: Path) -> str:
        experiment_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(experiment_dir / 'history.db').resolve()}"

    def append(self, night: Night) -> None:
        with self.engine.begin() as connection:
            connection.execute(NIGHTS.insert().values(
                experiment=night.experiment, run_id=night.run_id, date=night.date,
                record=json.dumps(night.to_dict(), default=str)))

    def nights(self, experiment: str | None = None) -> list[Night]:
        query = sa.select(NIGHTS.c.record).order_by(NIGHTS.c.id)
        if experiment:
            query = query.where(NIGHTS.c.experiment == experiment)
        with self.engine.connect() as connection:
            return [Night(**json.loads(row.record)) for row in connection.execute(query)]

    def last_comparable(self, experiment: str, comparable_key: str) -> Night | None:
        """The latest night of ``experiment`` that optimised the same thing under the same limits."""
        earlier = [n for n in self.nights(experiment) if n.comparable_key == comparable_key]
        return earlier[-1] if earlier else None
