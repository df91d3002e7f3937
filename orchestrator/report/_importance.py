"""Which settings mattered most: Optuna's parameter importances, or why they cannot be computed."""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from orchestrator.report._data import ReportData

MIN_TRIALS = 4  # fewer completed trials than this tell nothing about importance
PARAM_LABELS = {"GOMEMLIMIT_percent": "GOMEMLIMIT (% of memory)", "GOGC_off": "GOGC=off"}


@dataclass(frozen=True)
class Importance:
    """Importance per searched setting (they add up to 1), for one objective; or a note why there is none."""

    objective: str | None
    method: str | None
    values: dict[str, float] = field(default_factory=dict)
    trials: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def param_label(name: str) -> str:
    return PARAM_LABELS.get(name, name)


def compute_importance(data: ReportData) -> Importance:
    """fANOVA when scikit-learn is installed, else PED-ANOVA (no extra dependency), for the first objective."""
    objective = data.objectives[0][0] if data.objectives else None
    if data.study is None:
        return Importance(objective, None, note=f"Not computed: {data.study_problem or 'no study'}.")
    from optuna.trial import TrialState

    trials = data.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    names = sorted({name for t in trials for name in t.params})
    if len(names) < 2:
        return Importance(objective, None, trials=len(trials),
                          note=f"Not computed: the search varied {len(names)} setting"
                               f"{'' if len(names) == 1 else 's'}; importance compares two or more.")
    if len(trials) < MIN_TRIALS:
        return Importance(objective, None, trials=len(trials),
                          note=f"Not computed: {len(trials)} completed trials; at least {MIN_TRIALS} are needed.")
    evaluator, method = _evaluator()
    try:
        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            values = optuna.importance.get_param_importances(
                data.study, evaluator=evaluator, target=lambda t: t.values[0], normalize=True)
    except Exception as exc:  # noqa: BLE001 - an evaluator that cannot cope costs only this plot
        return Importance(objective, method, trials=len(trials),
                          note=f"Not computed: {method} failed ({type(exc).__name__}: {exc}).")
    values = {param_label(k): float(v) for k, v in values.items()}
    if not values or not any(v > 0 for v in values.values()):
        return Importance(objective, method, trials=len(trials),
                          note="Not computed: the objective did not vary with any setting.")
    note = f"{method} over {len(trials)} completed trials, for {objective}."
    if len(trials) < 20:
        note += " With so few trials, treat the ranking as rough."
    return Importance(objective, method, values, len(trials), note)


def _evaluator() -> tuple[Any, str]:
    import optuna

    try:
        import sklearn  # noqa: F401

        return optuna.importance.FanovaImportanceEvaluator(seed=0), "fANOVA"
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return optuna.importance.PedAnovaImportanceEvaluator(), "PED-ANOVA"
