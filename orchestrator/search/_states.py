"""Which trials of a study count: finished ones, without those an interruption cut short.

Proposals of a configuration measured before are marked ``outcome = repeated``. A trial cut short is
marked in one of two ways, both through Optuna's public API: a trial this process
was running gets the user attribute ``outcome = interrupted``; a trial left RUNNING by a process that
died is listed in the study's ``interrupted_trials`` attribute when the run resumes.
"""

from __future__ import annotations

import optuna
from optuna.trial import FrozenTrial, TrialState

from orchestrator.search._claim import stale_numbers

COUNTED = (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED)
INTERRUPTED_ATTR = "interrupted_trials"
INTERRUPTED = "interrupted"  # cut short: its configuration is queued again
REPEATED = "repeated"  # proposed again after it was measured: told the earlier result, not run
DECLINED = "declined"  # asked when other processes had claimed the rest of the budget: not run
_NOT_MEASURED = (INTERRUPTED, REPEATED, DECLINED)
# Optuna 5 stores set_constraint(key, v) as the system attribute "constraints:<key>"; optuna-dashboard
# (0.21) reads only the older "constraints" list and shows every trial feasible without it.
_NAMED_PREFIX = "constraints:"
_LEGACY_KEY = "constraints"


BASELINE_MACHINE_ATTR = "baseline_machine"  # the machine_id that measured the baseline: trials are compared on it


def baseline_machine(study: optuna.Study) -> str | None:
    """The machine that measured the study's baseline (None: not measured yet, or a run from before
    fingerprints)."""
    return study.user_attrs.get(BASELINE_MACHINE_ATTR)


def interrupted_numbers(study: optuna.Study) -> set[int]:
    return set(study.user_attrs.get(INTERRUPTED_ATTR, []))


def mark_interrupted(study: optuna.Study, number: int) -> None:
    study.set_user_attr(INTERRUPTED_ATTR, sorted(interrupted_numbers(study) | {number}))


def finished_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Trials that measured a configuration to an outcome (complete or failed), in order: what the budget
    counts and the summary lists. Interrupted, repeated and declined proposals are left out, and so are
    trials failed for a stale heartbeat (their owner died; Optuna's retry lists them)."""
    trials = study.get_trials(deepcopy=False)
    cut = interrupted_numbers(study) | stale_numbers(trials)
    return [t for t in trials
            if t.state in COUNTED and t.number not in cut and t.user_attrs.get("outcome") not in _NOT_MEASURED]


def set_constraints(storage: optuna.storages.BaseStorage, study: optuna.Study, trial: optuna.Trial,
                    violations: dict[str, float]) -> None:
    """Constraint values in both forms: per key for Optuna 5, one list for optuna-dashboard.

    Optuna reads the list as keys "0", "1", ... and warns when such a key is also set by name; no
    gctune constraint is named by a bare number (they are texts such as "no OOM kill" or
    "peak_memory_bytes <= 200MiB"), so the two never collide, and :func:`named_constraints` reads
    only the named form back.
    """
    assert not any(key.isdigit() for key in violations), "a constraint named like a list index"
    for key, value in violations.items():
        trial.set_constraint(key, value)
    study_id = storage.get_study_id_from_name(study.study_name)
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    storage.set_trial_system_attr(trial_id, _LEGACY_KEY, [float(v) for v in violations.values()])


def named_constraints(trial: FrozenTrial) -> dict[str, float]:
    """The trial's constraint values by name (the legacy list left out)."""
    return {k.removeprefix(_NAMED_PREFIX): float(v) for k, v in trial.system_attrs.items()
            if k.startswith(_NAMED_PREFIX)}
