"""Constraint expressions such as ``peak_memory_bytes <= 200MiB``, parsed once and evaluated per trial.

:meth:`Constraint.violation` follows Optuna's convention: a value <= 0 means satisfied, a positive
value says by how much the constraint is violated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from orchestrator.definitions import METRICS, metric_definition
from orchestrator.spec._values import show, size, to_number
from orchestrator.units import parse_duration

Op = Literal["<=", "<", ">=", ">", "==", "!="]
OPS: tuple[str, ...] = ("<=", "<", ">=", ">", "==", "!=")
EPSILON = 1e-9  # how much a strict comparison is violated at equality

EXPECTED_FORM = ("expected 'METRIC OP VALUE' with OP one of <=, <, >=, >, ==, != and VALUE a number, a size "
                 "(for metrics in bytes), true/false (for true/false metrics) or [N *] baseline, "
                 "e.g. 'peak_memory_bytes <= 200MiB' or 'latency_p99_ms <= 1.2 * baseline'")
_FORM_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*(\S(?:.*\S)?)\s*$")
_BASELINE_RE = re.compile(r"^(?:(\S+?)\s*\*\s*)?baseline$")
_PERCENT_RE = re.compile(r"^([+-]?[0-9.]+)\s*%$")


@dataclass(frozen=True)
class Constraint:
    """One parsed constraint: ``metric op value``, or ``metric op baseline_factor * baseline``."""

    metric: str
    op: Op
    value: float | bool | None
    baseline_factor: float | None
    text: str

    def __str__(self) -> str:
        return self.text

    def to_plain(self) -> str:
        """As written in a spec."""
        return self.text

    @property
    def uses_baseline(self) -> bool:
        """Whether the right-hand side is relative to a baseline run."""
        return self.baseline_factor is not None

    def threshold(self, baseline: Mapping[str, Any] | None = None) -> float | bool:
        """The right-hand side's value; ValueError if it needs a baseline that is missing."""
        if self.baseline_factor is None:
            assert self.value is not None
            return self.value
        base = None if baseline is None else baseline.get(self.metric)
        if base is None:
            raise ValueError(f"constraint '{self.text}' needs the baseline's {self.metric}, which is missing")
        return self.baseline_factor * float(base)

    def violation(self, metrics: Mapping[str, Any], baseline: Mapping[str, Any] | None = None) -> float:
        """<= 0 when satisfied, else by how much it is violated (0 or 1 for true/false metrics)."""
        actual = metrics.get(self.metric)
        if actual is None:
            raise ValueError(f"constraint '{self.text}': the trial has no value for {self.metric}")
        rhs = self.threshold(baseline)
        if isinstance(rhs, bool):
            equal = bool(actual) == rhs
            return 0.0 if equal == (self.op == "==") else 1.0
        return _numeric_violation(self.op, float(actual) - rhs)

    def is_satisfied(self, metrics: Mapping[str, Any], baseline: Mapping[str, Any] | None = None) -> bool:
        """Whether the trial's metrics meet this constraint."""
        return self.violation(metrics, baseline) <= 0


def _numeric_violation(op: str, diff: float) -> float:
    """Violation of ``actual op rhs`` given ``diff = actual - rhs``."""
    if op == "<=":
        return diff
    if op == ">=":
        return -diff
    if op == "<":
        return diff if diff < 0 else diff + EPSILON
    if op == ">":
        return -diff if diff > 0 else EPSILON - diff
    if op == "==":
        return abs(diff)
    return -abs(diff) if diff != 0 else EPSILON


def parse_constraint(text: Any) -> Constraint:
    """Parse ``METRIC OP VALUE``; ValueError says what is wrong and what the form is."""
    match = _FORM_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"malformed constraint {show(text)}; {EXPECTED_FORM}")
    metric, op, rhs = match.groups()
    if metric_definition(metric) is None:
        raise ValueError(f"unknown metric {show(metric)} in {show(text)}; valid metrics: {', '.join(METRICS)}")
    if metric_definition(metric).kind == "bool":
        return Constraint(metric, op, _bool_rhs(metric, op, rhs), None, text.strip())  # type: ignore[arg-type]
    factor = _baseline_factor(rhs, text)
    value = None if factor is not None else _number_rhs(metric, rhs, text)
    return Constraint(metric, op, value, factor, text.strip())  # type: ignore[arg-type]


def _bool_rhs(metric: str, op: str, rhs: str) -> bool:
    if op not in ("==", "!=") or rhs not in ("true", "false"):
        raise ValueError(f"{metric} is true or false: compare it with == or != to true or false, "
                         f"e.g. '{metric} == false', got {show(f'{metric} {op} {rhs}')}")
    return rhs == "true"


def _baseline_factor(rhs: str, text: str) -> float | None:
    match = _BASELINE_RE.match(rhs)
    if not match:
        return None
    factor = 1.0 if match.group(1) is None else to_number(match.group(1))
    if factor is None:
        raise ValueError(f"malformed baseline factor in {show(text)}; expected 'N * baseline' with N a number, "
                         "e.g. 'latency_p99_ms <= 1.2 * baseline'")
    return factor


def _number_rhs(metric: str, rhs: str, text: str) -> float:
    """A number, or a value in the metric's own unit: a size, a percentage or a duration."""
    unit = metric_definition(metric).unit
    value = to_number(rhs)
    if value is None:
        value = _unit_value(unit, rhs)
    if value is None:
        raise ValueError(f"cannot compare {metric} with {show(rhs)} in {show(text)}; expected a number"
                         f"{_unit_hint(unit)} or [N *] baseline")
    return value


def _unit_value(unit: str, rhs: str) -> float | None:
    try:
        if unit == "bytes":
            return float(size()(rhs))
        if unit == "%" and (match := _PERCENT_RE.match(rhs)):
            return float(match.group(1))
        if unit in ("ms", "s") and not rhs[-1:].isdigit():
            return parse_duration(rhs) * (1000.0 if unit == "ms" else 1.0)
    except (ValueError, OverflowError):
        return None
    return None


def _unit_hint(unit: str) -> str:
    return {"bytes": ", a size such as 200MiB", "%": ", a percentage such as 5%",
            "ms": ", a duration such as 5ms", "s": ", a duration such as 2s"}.get(unit, "")
