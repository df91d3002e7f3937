"""The JSON Schema of the spec (draft 2020-12), for editors: completion and checking as the spec is typed.

It is generated from the pydantic models that validate. Most fields are parsed by plain functions
(``256MiB``, ``off``, ``80%``), of which pydantic knows nothing; :data:`FIELD_SCHEMAS` says, beside
each such field, what its parser accepts, with the parser's own bounds. A Literal or bool field needs
no entry: its annotation says it. Generation fails on any field left without a schema, so a new field
cannot slip in unchecked. The schema is the editor's view: it checks shapes and types, and the loader
still checks what a schema cannot say (a size below 6MiB written as text, low < high, a folder).
"""

from __future__ import annotations

import copy
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from orchestrator.definitions import METRICS
from orchestrator.spec._confidence import CONFIDENCE_PRESETS
from orchestrator.spec._model import (
    MAX_ENV_NAME_CHARS, MAX_ENV_VALUE_CHARS, MAX_NAME_CHARS, MAX_PIDS, MAX_REPEATS, MAX_SEED, MAX_TRIALS,
    NUMERIC_METRICS, RESERVED_ENV, Analysis, Container, GoToolchainSettings, Nightly, Objective, Search, Spec)
from orchestrator.spec._space import (
    MAX_CPUS, MAX_GOGC, MIN_MEMORY, SETTING_NAMES, SETTINGS, CpusRange, GogcRange, GomaxprocsRange, ListOnlyRange,
    MemoryLimitRange, MemoryRange, Range, Space)
from orchestrator.spec._values import MAX_BYTES, MAX_DURATION_S, MAX_TEXT_CHARS
from orchestrator.spec._workload import (
    MAX_ALLOC_SIZES, GoBench, GoBenchWorkload, GoPackageWorkload, ImageWorkload, ServiceWorkload)

DIALECT = "https://json-schema.org/draft/2020-12/schema"
Schema = dict[str, Any]

# Patterns of the text forms the parsers read (orchestrator.units, goversions, _constraints); the
# tests check them against those parsers.
SIZE_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*([bB]|[kKmMgGtT][iI]?[bB]|[kKmMgG])?\s*$"
DURATION_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*(ms|s|m|min|h)?\s*$"
PERCENT_PATTERN = r"^\s*[+-]?[0-9]+(\.[0-9]+)?\s*%\s*$"
GO_VERSION_PATTERN = r"^\s*([gG][oO])?1\.[0-9]+(\.[0-9]+)?\s*$"
GO_EXPERIMENT_PATTERN = r"^\s*[a-z0-9]+(,[a-z0-9]+)*\s*$"
BENCHTIME_PATTERN = r"^\s*([0-9]+x|[0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))\s*$"
NAME_PATTERN = r"^[A-Za-z0-9._-]+$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
NONEMPTY_PATTERN = r"\S"
CUSTOM_METRIC = r"[a-z][a-z0-9_]*_per_(op|s)"  # a benchmark's own b.ReportMetric unit
CONSTRAINT_PATTERN = (r"^\s*(" + "|".join([*METRICS, CUSTOM_METRIC]) + r")\s*(<=|>=|==|!=|<|>)\s*\S(.*\S)?\s*$")


def integer(minimum: int | None = None, maximum: int | None = None) -> Schema:
    """An integer within bounds (YAML ``2.0`` counts, as for the parser)."""
    return _bounded({"type": "integer"}, minimum, maximum)


def number(*, above: float | None = None, minimum: float | None = None, maximum: float | None = None) -> Schema:
    """A number within bounds; ``above`` is an exclusive lower bound."""
    schema = _bounded({"type": "number"}, minimum, maximum)
    return schema if above is None else {**schema, "exclusiveMinimum": above}


def _bounded(schema: Schema, minimum: float | None, maximum: float | None) -> Schema:
    bounds = {"minimum": minimum, "maximum": maximum}
    return {**schema, **{key: value for key, value in bounds.items() if value is not None}}


def text(pattern: str, example: str) -> Schema:
    """A string of the given form (``example`` is shown by editors)."""
    return {"type": "string", "pattern": pattern, "examples": [example]}


def size(minimum: int = 0, maximum: int = MAX_BYTES, above: int | None = None) -> Schema:
    """A size: text such as ``256MiB`` (its magnitude is the loader's to check), or a whole number of bytes."""
    whole = integer(minimum, maximum)
    return {"anyOf": [text(SIZE_PATTERN, "256MiB"), whole if above is None else {**whole, "exclusiveMinimum": above}]}


def duration(minimum: float | None = None, above: float | None = 0.0) -> Schema:
    """A duration: ``500ms``, ``2s``, ``1m``, or a number of seconds."""
    return {"anyOf": [text(DURATION_PATTERN, "2s"), number(above=above, minimum=minimum, maximum=MAX_DURATION_S)]}


def words(*values: str) -> Schema:
    return {"enum": list(values)}


def either(*schemas: Schema) -> Schema:
    return {"anyOf": list(schemas)}


def nullable(schema: Schema) -> Schema:
    """``schema`` or nothing (YAML ``key:`` with no value, which takes the default)."""
    return {"anyOf": [schema, {"type": "null"}]}


def nonempty_text(max_chars: int = MAX_TEXT_CHARS) -> Schema:
    return {"type": "string", "pattern": NONEMPTY_PATTERN, "maxLength": max_chars}


def one_or_list(item: Schema) -> Schema:
    """One value, or a list of distinct values."""
    return either(item, {"type": "array", "items": item, "minItems": 1, "uniqueItems": True})


PERCENT = text(PERCENT_PATTERN, "80%")
# Quoted: YAML reads an unquoted 1.20 as the number 1.2, which the loader would take for Go 1.2.
GO_VERSION = text(GO_VERSION_PATTERN, "1.24.11")
GO_EXPERIMENT = text(GO_EXPERIMENT_PATTERN, "greenteagc")
ARGS = {"type": "array", "items": {"type": ["string", "number"]}}
_METRIC = either({"enum": list(NUMERIC_METRICS)}, {"type": "string", "pattern": f"^{CUSTOM_METRIC}$"})

# The value each setting of ``space`` takes (a fixed value, or one choice of a list).
SETTING_VALUES: dict[str, Schema] = {
    "GOGC": either(integer(1, MAX_GOGC), words("off")),
    "GOMEMLIMIT": either(size(above=0), PERCENT, words("none")),
    "GOMAXPROCS": either(integer(1, MAX_CPUS), words("auto")),
    "cpus": number(above=0, maximum=MAX_CPUS),
    "memory": size(minimum=MIN_MEMORY),
    "go_version": GO_VERSION,
    "go_experiment": GO_EXPERIMENT,
}
SETTING_HELP = {
    "GOGC": "heap growth (%) allowed before the next GC: an integer >= 1 or off; a value, a list or a range "
            "{low, high, log, step, off}",
    "GOMEMLIMIT": "Go's soft memory limit: a size, a share of the container memory such as 80%, or none; "
                  "a value, a list or a range",
    "GOMAXPROCS": "threads running Go code at once: an integer or auto; a value, a list or a range",
    "cpus": "the container's CPU limit (fractions allowed); a value, a list or a range",
    "memory": "the container's memory limit, at least 6MiB; a value, a list or a range",
    "go_version": "the Go release that builds the workload, e.g. \"1.24.11\"; a value or a list",
    "go_experiment": "the GOEXPERIMENT it is built with, e.g. greenteagc or nogreenteagc, or none; a value or a list",
}
_OPTION_HELP = "an option of the built-in service (workload.builtin: service only); a value or a list"
# The bounds (and step) of each range kind.
RANGE_BOUNDS: dict[type[Range], Schema] = {
    GogcRange: integer(1, MAX_GOGC),
    MemoryLimitRange: either(size(above=0), PERCENT),
    GomaxprocsRange: integer(1, MAX_CPUS),
    CpusRange: number(above=0, maximum=MAX_CPUS),
    MemoryRange: size(minimum=MIN_MEMORY),
}

# What each parser-validated field accepts, model by model, with the parser's own bounds.
FIELD_SCHEMAS: dict[type[BaseModel], dict[str, Schema]] = {
    Spec: {
        "name": either({"type": "string", "pattern": NAME_PATTERN, "maxLength": MAX_NAME_CHARS,
                        "not": words(".", "..")}, integer(0)),
        "workload": {"oneOf": [{"$ref": f"#/$defs/{m.__name__}"} for m in
                               (ServiceWorkload, GoPackageWorkload, GoBenchWorkload, ImageWorkload)]},
        "constraints": nullable({"type": "array", "items": text(CONSTRAINT_PATTERN, "peak_memory_bytes <= 200MiB")}),
    },
    GoToolchainSettings: {"version": nullable(GO_VERSION), "experiment": nullable(GO_EXPERIMENT)},
    Container: {
        "cpus": nullable(SETTING_VALUES["cpus"]),
        "memory": nullable(SETTING_VALUES["memory"]),
        "pids_limit": integer(16, MAX_PIDS),
        "timeout": nullable(duration()),
        "env": nullable({"type": "object",
                         "propertyNames": {"pattern": ENV_NAME_PATTERN, "maxLength": MAX_ENV_NAME_CHARS,
                                           "not": words(*RESERVED_ENV)},
                         "additionalProperties": either({"type": "string", "maxLength": MAX_ENV_VALUE_CHARS},
                                                        {"type": "number"})}),
    },
    Objective: {"minimize": one_or_list(_METRIC), "maximize": one_or_list(_METRIC)},
    Search: {
        "trials": integer(1, MAX_TRIALS),
        "seed": nullable(integer(0, MAX_SEED)),
        "repeats": integer(1, MAX_REPEATS),
        "thrash_gc_cpu_percent": number(above=0, maximum=100),
        "thrash_for": duration(),
        "max_engine_failures": integer(1, MAX_TRIALS),
        "confidence": nullable(words(*CONFIDENCE_PRESETS)),
        "time_budget": nullable(duration()),
    },
    Nightly: {
        "top": integer(0, MAX_TRIALS),
        "repeats": integer(1, MAX_REPEATS),
        "threshold_percent": number(above=0),
        "alpha": number(above=0, maximum=0.5),
        "on_regression": nullable(nonempty_text()),
        "history": nullable(nonempty_text()),
    },
    ServiceWorkload: {
        "live_heap": size(0, 2**40),
        "churn": number(minimum=0, maximum=1),
        "workers": integer(1, 4096),
        "alloc_sizes": {"type": "object", "minProperties": 1, "maxProperties": MAX_ALLOC_SIZES,
                        "propertyNames": {"pattern": SIZE_PATTERN},
                        "additionalProperties": number(above=0)},
        "allocs_per_op": integer(1, 2**20),
        "rate": nullable(number(above=0)),
        "warmup": duration(),
        "duration": duration(),
        "sample_interval": duration(minimum=0.001, above=None),
        "seed": integer(-(2**63), 2**63 - 1),
    },
    GoPackageWorkload: {"go_package": nonempty_text(), "args": ARGS,
                        "warmup": duration(minimum=0, above=None), "duration": nullable(duration())},
    ImageWorkload: {"image": nonempty_text(), "command": nullable(ARGS),
                    "warmup": duration(minimum=0, above=None), "duration": nullable(duration())},
    GoBench: {"package": nonempty_text(), "bench": nonempty_text(), "benchtime": text(BENCHTIME_PATTERN, "2s"),
              "count": integer(1, 100)},
}

MODELS: tuple[type[BaseModel], ...] = (
    Spec, GoToolchainSettings, Container, Space, Objective, Search, Nightly, Analysis,
    ServiceWorkload, GoPackageWorkload, GoBenchWorkload, GoBench, ImageWorkload, *RANGE_BOUNDS)
_SECTIONS = ("go", "container", "space", "objective", "search", "nightly", "analysis")  # may be left empty


def spec_json_schema() -> Schema:
    """The spec's JSON Schema: the models' structure (unknown keys rejected everywhere, exactly one
    workload kind) with each field's accepted values."""
    _, generated = models_json_schema([(model, "validation") for model in MODELS])
    defs = generated["$defs"]
    for model in MODELS:
        _fill(model, defs[model.__name__])
    for name in _SECTIONS:
        section = defs["Spec"]["properties"][name]
        kept = {k: section.pop(k) for k in ("title", "description", "default") if k in section}
        defs["Spec"]["properties"][name] = {**kept, **nullable(section)}
    defs["ServiceWorkload"] |= {"if": {"properties": {"loop": {"const": "open"}}, "required": ["loop"]},
                                "then": {"required": ["rate"]}}
    top = defs.pop("Spec")
    return {"$schema": DIALECT, **top, "title": "gctune experiment spec", "$defs": _referenced(top, defs)}


def _fill(model: type[BaseModel], schema: Schema) -> None:
    """Give every property of ``model`` its accepted values; fail on one that has none."""
    given = _space_fields() if model is Space else _range_fields(model) if issubclass(model, Range) else {}
    given = {**given, **FIELD_SCHEMAS.get(model, {})}
    for name, field in model.model_fields.items():
        prop = schema["properties"][name]
        accepted = given.get(name) or _from_annotation(field.annotation)
        if accepted is not None:
            kept = {k: v for k, v in prop.items() if k in ("title", "description", "default")}
            prop.clear()
            prop.update({**kept, **copy.deepcopy(accepted)})
        if prop.get("default", 0) is None and not _accepts_null(prop):
            del prop["default"]  # "unset" is not a value to write
        if not _is_typed(prop):
            raise LookupError(f"no JSON schema for {model.__name__}.{name}: add it to FIELD_SCHEMAS")


def _space_fields() -> dict[str, Schema]:
    """Each setting: a fixed value, a list of choices, or (for numbers) a range ``{low, high, ...}``."""
    fields = {}
    for name in SETTING_NAMES:
        setting = SETTINGS[name]
        value = SETTING_VALUES.get(name) or _option_value(name)
        forms = [value, {"type": "array", "items": value, "minItems": 1, "uniqueItems": True}]
        if not issubclass(setting.range, ListOnlyRange):
            forms.append({"$ref": f"#/$defs/{setting.range.__name__}"})
        fields[name] = {"anyOf": forms, "description": SETTING_HELP.get(name, _OPTION_HELP)}
    return fields


def _option_value(name: str) -> Schema:
    """A service option takes what its workload field takes: one definition."""
    field = ServiceWorkload.model_fields[name]
    return FIELD_SCHEMAS[ServiceWorkload].get(name) or _from_annotation(field.annotation) or {}


def _range_fields(model: type[BaseModel]) -> dict[str, Schema]:
    bound = RANGE_BOUNDS[model]  # type: ignore[index]
    return {"low": bound, "high": bound, "step": nullable(bound)}


def _from_annotation(annotation: Any) -> Schema | None:
    """What a Literal or bool field takes (its parser is ``one_of`` of those words, or ``boolean``)."""
    if typing.get_origin(annotation) is typing.Literal:
        return words(*typing.get_args(annotation))
    if annotation is bool:
        return {"type": "boolean"}
    return None


def _is_typed(schema: Schema) -> bool:
    return any(key in schema for key in ("type", "anyOf", "oneOf", "enum", "const", "$ref"))


def _accepts_null(schema: Schema) -> bool:
    return schema.get("type") == "null" or any(_accepts_null(s) for s in schema.get("anyOf", ()))


def _referenced(top: Schema, defs: dict[str, Schema]) -> dict[str, Schema]:
    """The definitions reachable from ``top`` (pydantic also lists the helper types it saw)."""
    names: set[str] = set()
    pending = [top]
    while pending:
        for ref in _refs(pending.pop()):
            if ref not in names:
                names.add(ref)
                pending.append(defs[ref])
    return {name: defs[name] for name in sorted(names)}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[1]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []
