"""Turn the spec's ``space`` into Optuna suggestions, and back into trial settings.

Optuna's categorical values must be plain JSON scalars, so percentages travel as strings ("80%")
and are parsed back with the spec's own value parser.
"""

from __future__ import annotations

import math
from typing import Any

import optuna

from orchestrator.spec import SETTINGS, Choices, GogcRange, Percent, Range, parse_setting
from orchestrator.spec._space import Dimension

GOGC_OFF_PARAM = "GOGC_off"


def suggest(trial: optuna.Trial, searched: dict[str, Dimension], grid: bool = False) -> dict[str, Any]:
    """Ask the trial for a value of every searched setting; returns --set style overrides."""
    if grid:
        return {name: parse_setting(name, trial.suggest_categorical(name, values))
                for name, values in grid_space(searched).items()}
    return {name: _suggest_one(trial, name, dim) for name, dim in searched.items()}


def grid_space(searched: dict[str, Dimension]) -> dict[str, list[Any]]:
    """Every point of a stepped space, per setting, for Optuna's GridSampler."""
    return {name: _grid_values(dim) for name, dim in searched.items()}


def space_size(searched: dict[str, Dimension]) -> int | None:
    """How many distinct configurations the space holds, or None when a dimension is continuous: a study
    that has measured them all has nothing new to propose."""
    sizes = [_dimension_size(dim) for dim in searched.values()]
    return None if None in sizes else math.prod(sizes)


def _dimension_size(dim: Dimension) -> int | None:
    if isinstance(dim, Choices):
        return len(dim.values)
    if dim.step is None and not (dim.integral or dim.in_bytes) or isinstance(dim.low, Percent) and dim.step is None:
        return None
    return len(_grid_values(dim))


def _suggest_one(trial: optuna.Trial, name: str, dim: Dimension) -> Any:
    if isinstance(dim, Choices):
        return parse_setting(name, trial.suggest_categorical(name, [_plain(v) for v in dim.values]))
    if isinstance(dim, GogcRange) and dim.off and trial.suggest_categorical(GOGC_OFF_PARAM, [False, True]):
        return "off"
    if isinstance(dim.low, Percent):
        step = dim.step.value if isinstance(dim.step, Percent) else None
        return Percent(trial.suggest_float(SETTINGS[name].optuna_param(percent=True), dim.low.value, dim.high.value,
                                           log=dim.log, step=step))
    if dim.integral or dim.in_bytes:
        return trial.suggest_int(name, int(dim.low), int(dim.high), log=dim.log, step=int(dim.step or 1))
    return trial.suggest_float(name, float(dim.low), float(dim.high), log=dim.log, step=dim.step)


def _grid_values(dim: Dimension) -> list[Any]:
    if isinstance(dim, Choices):
        return [_plain(v) for v in dim.values]
    values = _stepped(dim)
    return values + ["off"] if isinstance(dim, GogcRange) and dim.off else values


def _stepped(dim: Range) -> list[Any]:
    percent = isinstance(dim.low, Percent)
    low, high = (dim.low.value, dim.high.value) if percent else (dim.low, dim.high)
    step = dim.step.value if isinstance(dim.step, Percent) else (dim.step or 1)
    count = int(round((high - low) / step + 1e-9)) + 1
    points = [low + i * step for i in range(count)]
    if percent:
        return [f"{round(p, 6):g}%" for p in points]
    return [int(p) for p in points] if dim.integral or dim.in_bytes else [round(p, 9) for p in points]


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Percent) else value
