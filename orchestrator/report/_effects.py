"""Option effects: what switching one categorical setting did, measured on matched pairs of trials.

A categorical setting is one whose values are names (the settings registry's ``categorical``: the
built-in service's options, go_version, go_experiment), never a numeric one such as GOGC. A matched
pair for it is two measured trials (finished, outcome ok) whose recorded settings are equal in every
other dimension and differ only in this one. Over the pairs of a value A and a value B, the effect on a
metric is the median of the paired ratios b / a (each trial at its median over the repeats), with the
smallest and largest ratio (:func:`orchestrator.stats.paired_ratios`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from orchestrator.definitions import metric_definition
from orchestrator.report._analysis import trial_kind
from orchestrator.results import TrialRecord
from orchestrator.spec import CATEGORICAL_SETTINGS, parse_setting
from orchestrator.stats import PairedRatios, paired_ratios

EFFECT_METRICS = ("peak_heap_bytes", "peak_memory_bytes", "gc_cpu_percent")  # after the objectives
Others = tuple[tuple[str, str], ...]  # every other recorded setting of a trial, as (name, repr(value))


@dataclass(frozen=True)
class OptionEffect:
    """``setting=value`` against ``setting=reference`` over matched pairs, per metric."""

    setting: str
    reference: Any  # A: the value listed first in the space
    value: Any  # B
    pairs: tuple[tuple[int, int], ...]  # (trial at A, trial at B) per matched pair
    metrics: dict[str, PairedRatios] = field(default_factory=dict)  # only metrics with a ratio

    def to_dict(self) -> dict[str, Any]:
        return {"setting": self.setting, "reference": self.reference, "value": self.value,
                "pairs": [list(p) for p in self.pairs],
                "metrics": {name: ratios.to_dict() for name, ratios in self.metrics.items()}}


def effect_metrics(objectives: Sequence[str]) -> list[str]:
    """The metrics an effect is given in: the objectives, then EFFECT_METRICS; numeric ones only."""
    names = list(dict.fromkeys([*objectives, *EFFECT_METRICS]))
    return [n for n in names if (d := metric_definition(n)) is not None and d.kind == "number"]


def option_effects(trials: Sequence[TrialRecord], metrics: Sequence[str],
                   order: Mapping[str, Sequence[Any]] | None = None) -> list[OptionEffect]:
    """Every categorical setting's effects over its matched pairs, in registry order.

    ``order`` lists each setting's values as the space does; the earlier value of two is the reference
    A. A configuration measured by several trials counts once, by its first trial."""
    measured = sorted((t for t in trials if trial_kind(t) in ("feasible", "infeasible")), key=lambda t: t.trial)
    effects = []
    for name in CATEGORICAL_SETTINGS:
        groups = _matched_groups(measured, name)
        for a, b in combinations(_values(measured, name, (order or {}).get(name, ())), 2):
            effect = _effect(name, a, b, groups, metrics)
            if effect is not None:
                effects.append(effect)
    return effects


def _others(trial: TrialRecord, name: str) -> Others:
    return tuple(sorted((k, repr(v)) for k, v in trial.params.items() if k != name))


def _matched_groups(measured: Sequence[TrialRecord], name: str) -> list[dict[str, TrialRecord]]:
    """Trials equal in every setting but ``name``, one group each: repr(value of name) -> first trial."""
    groups: dict[Others, dict[str, TrialRecord]] = {}
    for trial in measured:
        if name in trial.params:
            groups.setdefault(_others(trial, name), {}).setdefault(repr(trial.params[name]), trial)
    return [g for g in groups.values() if len(g) > 1]


def _values(measured: Sequence[TrialRecord], name: str, listed: Sequence[Any]) -> list[Any]:
    """The values of ``name`` the trials hold: those the space lists in its order, then the rest."""
    held = {repr(t.params[name]): t.params[name] for t in measured if name in t.params}
    first = [repr(v) for v in listed if repr(v) in held]
    return [held[key] for key in first + sorted(set(held) - set(first))]


def _effect(name: str, a: Any, b: Any, groups: Sequence[dict[str, TrialRecord]],
            metrics: Sequence[str]) -> OptionEffect | None:
    """``name=b`` against ``name=a`` over the groups holding both; None without a pair or a ratio."""
    pairs = [(g[repr(a)], g[repr(b)]) for g in groups if repr(a) in g and repr(b) in g]
    ratios = {m: r for m in metrics if (r := _ratios(pairs, m)) is not None}
    if not ratios:
        return None
    return OptionEffect(name, a, b, tuple((x.trial, y.trial) for x, y in pairs), ratios)


def _ratios(pairs: Sequence[tuple[TrialRecord, TrialRecord]], metric: str) -> PairedRatios | None:
    values = [(x.number(metric), y.number(metric)) for x, y in pairs]
    return paired_ratios((va, vb) for va, vb in values if va is not None and vb is not None)


def listed_values(spec: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Each categorical setting's choices as the spec's space lists them, parsed as trials record them."""
    space = spec.get("space")
    listed: dict[str, list[Any]] = {}
    for name in CATEGORICAL_SETTINGS:
        choices = space.get(name) if isinstance(space, Mapping) else None
        if isinstance(choices, list):
            listed[name] = [_parsed(name, v) for v in choices]
    return listed


def _parsed(name: str, value: Any) -> Any:
    try:
        return parse_setting(name, value)
    except ValueError:
        return value
