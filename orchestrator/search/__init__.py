"""Search stage: an Optuna study over the spec's space whose trials are real container runs."""

from orchestrator.search._run import RunOptions, run_study
from orchestrator.search._stats import Spread, aggregate, median_ci
from orchestrator.search._study import Measurement, Plan, Progress, StudyRun, classify, skip_reason
from orchestrator.search._summary import build_summary, pareto_front

__all__ = ["Measurement", "Plan", "Progress", "RunOptions", "Spread", "StudyRun", "aggregate", "build_summary",
           "classify", "median_ci", "pareto_front", "run_study", "skip_reason"]
