"""Which trials of a study count: finished ones, without those an interruption cut short.

A trial cut short is marked in one of two ways, both through Optuna's public API: a trial this process
was running gets the user attribute ``outcome = interrupted``; a trial left RUNNING by a process that
died is listed in the study's ``interrupted_trials`` attribute when the run resumes.
"""

from __future__ import annotations

import optuna
from optuna.trial import FrozenTrial, TrialState

COUNTED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
INTERRUPTED_ATTR = "interrupted_trials"


def interrupted_numbers(study: optuna.Study) -> set[int]:
    return set(study.user_attrs.get(INTERRUPTED_ATTR, []))


def mark_interrupted(study: optuna.Study, number: int) -> None:
    study.set_user_attr(INTERRUPTED_ATTR, sorted(interrupted_numbers(study) | {number}))


def finished_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Trials that ran to an outcome (complete or failed), in order; interrupted ones left out."""
    cut = interrupted_numbers(study)
    return [t for t in study.get_trials(deepcopy=False)
            if t.state in COUNTED and t.number not in cut and t.user_attrs.get("outcome") != "interrupted"]
