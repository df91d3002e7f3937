"""The experiment's history: one row per night, in SQLite by default or any SQLAlchemy URL."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from orchestrator.errors import UsageError
from orchestrator.results import Night

_METADATA = sa.MetaData()
NIGHTS = sa.Table(
    "nights", _METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("experiment", sa.String(200), nullable=False, index=True),
    sa.Column("run_id", sa.String(200), nullable=False),
    sa.Column("date", sa.String(40), nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # the Night as JSON
)


def history_url(configured: str | None, experiment_dir: Path) -> str:
    """The history's URL: ``nightly.history`` when the spec names one, else ``<experiment>/history.db``."""
    if configured:
        return configured
    return f"sqlite:///{(experiment_dir / 'history.db').resolve()}"


class HistoryStore:
    """Append and read nights; the table is created by the first append, never by a read."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url)

    def append(self, night: Night) -> None:
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        _METADATA.create_all(self.engine)
        with self.engine.begin() as connection:
            connection.execute(NIGHTS.insert().values(
                experiment=night.experiment, run_id=night.run_id, date=night.date,
                record=json.dumps(night.to_dict(), default=str)))

    def nights(self, experiment: str | None = None) -> list[Night]:
        """Every night (of ``experiment``), oldest first; none when nothing was appended yet.

        UsageError (exit 2) when the database is not a gctune history or a record is from a newer gctune.
        """
        if self.url.startswith("sqlite:///") and not Path(self.url.removeprefix("sqlite:///")).exists():
            return []  # no night was appended yet (and reading must not create the file)
        query = sa.select(NIGHTS.c.record).order_by(NIGHTS.c.id)
        if experiment:
            query = query.where(NIGHTS.c.experiment == experiment)
        try:
            with self.engine.connect() as connection:
                if not sa.inspect(connection).has_table(NIGHTS.name):
                    return []
                rows = [row.record for row in connection.execute(query)]
        except sa.exc.SQLAlchemyError as exc:
            raise UsageError(f"{self.url}: not a gctune history database "
                             f"({str(exc.orig or exc).splitlines()[0][:200]})") from None
        return [self._night(record) for record in rows]

    def _night(self, record: str) -> Night:
        try:
            data = json.loads(record)
        except ValueError:
            raise UsageError(f"{self.url}: a night's record is not JSON: not a gctune history") from None
        return Night.from_dict(data, f"{self.url}: night {data.get('run_id', '?') if isinstance(data, dict) else '?'}")

    def last_comparable(self, experiment: str, comparable_key: str, machine_id: str | None = None) -> Night | None:
        """The latest night of ``experiment`` that optimised the same thing under the same limits, and,
        given ``machine_id``, on the same machine (a night of gctune 0.1 has no fingerprint: it counts)."""
        earlier = [n for n in self.nights(experiment) if n.comparable_key == comparable_key
                   and (machine_id is None or n.fingerprint is None or n.fingerprint.machine_id == machine_id)]
        return earlier[-1] if earlier else None
