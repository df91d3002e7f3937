"""The results contract: what a search produces and what report, history and console read.

Every file gctune writes for later reading (summary.json, run.json, night.json, a history row) is one
of these typed models with a ``schema_version``. Readers never index raw dicts: they load a model, so
there is one idea of what a summary holds. Files written before ``schema_version`` existed are version 1;
a newer version than this gctune knows is refused with a clear message (exit 2).
"""

from orchestrator.results._base import SCHEMA_VERSION, ResultModel, check_schema_version
from orchestrator.results._decision import (
    FEASIBILITY_RULE, RACING_LABEL, Decision, Effect, GomaxprocsAdvice, GomaxprocsValue, RaceContender)
from orchestrator.results._fingerprint import BUILD, GC_CPU_FLAGS, MACHINE, Fingerprint
from orchestrator.results._night import Finding, Night
from orchestrator.results._run import EngineFacts, RunInfo
from orchestrator.results._summary import (
    LOW_MARGIN_PERCENT, Baseline, Headroom, Measured, NearestMiss, NoFeasible, ObjectiveSpec, Predicted, Recommendation,
    RunnerUp, Saving,
    Summary, TrialRecord, is_number, load_summary)
from orchestrator.stats import Spread

__all__ = [
    "LOW_MARGIN_PERCENT",
    "FEASIBILITY_RULE", "RACING_LABEL", "Decision", "Effect", "GomaxprocsAdvice", "GomaxprocsValue", "RaceContender",
    "BUILD", "GC_CPU_FLAGS", "MACHINE", "SCHEMA_VERSION", "Baseline", "EngineFacts", "Finding", "Fingerprint", "Headroom", "Measured", "NearestMiss", "Night",
    "NoFeasible", "ObjectiveSpec", "Predicted", "Recommendation", "ResultModel", "RunInfo", "RunnerUp", "Saving", "Spread",
    "Summary", "TrialRecord", "check_schema_version", "is_number", "load_summary",
]
