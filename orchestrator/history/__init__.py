"""History stage: nightly runs, their record, and regression detection between nights."""

from orchestrator.history._nightly import REGRESSION_EXIT, NightlyResult, comparable_key, judge, run_nightly
from orchestrator.history._regression import Comparison, compare, mann_whitney_greater
from orchestrator.history._store import HistoryStore, Night

__all__ = ["REGRESSION_EXIT", "Comparison", "HistoryStore", "Night", "NightlyResult", "compare",
           "comparable_key", "judge", "mann_whitney_greater", "run_nightly"]
