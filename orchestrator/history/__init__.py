"""History stage: the record of nights, and judging a night against the last comparable one."""

from orchestrator.history._nightly import comparable_key, judge, night_from_summary
from orchestrator.history._regression import Comparison, compare
from orchestrator.history._store import HistoryStore, history_url
from orchestrator.results import Night
from orchestrator.stats import mann_whitney_greater

__all__ = ["Comparison", "HistoryStore", "Night", "compare", "comparable_key", "history_url", "judge",
           "mann_whitney_greater", "night_from_summary"]
