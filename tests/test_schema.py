"""The spec's JSON Schema: generated from the models that validate, current in the repository, accepting
what the loader accepts at every bound, and refusing the structural mistakes the loader refuses."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from orchestrator.app import schema_text
from orchestrator.app._schema import MODELINE, SCHEMA_FILE
from orchestrator.cli import cli
from orchestrator.definitions import METRICS, metric_definition
from orchestrator.errors import SpecError
from orchestrator.spec import (
    SERVICE_OPTIONS, ServiceWorkload, load_spec, load_spec_text, parse_constraint, read_spec_data)
from orchestrator.spec import _schema
from orchestrator.spec._space import go_experiment_value, go_version_value
from orchestrator.spec._values import duration, percent
from orchestrator.spec._workload import _benchtime
from orchestrator.units import _SIZE_UNITS, parse_size
from test_spec import HELD_OUT, MINIMAL

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))
SCHEMA = _schema.spec_json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def schema_errors(data: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(data)]


def read(text: str, tmp_path: Path) -> Any:
    """YAML read exactly as gctune reads it (``off`` stays a word), without validating."""
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return read_spec_data(path)


def loads(text: str) -> bool:
    try:
        load_spec_text(textwrap.dedent(text), "t.yaml")
    except SpecError:
        return False
    return True


# --- the schema itself -----------------------------------------------------------------------------

def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["required"] == ["name", "workload"] and SCHEMA["additionalProperties"] is False


def test_every_mapping_rejects_unknown_keys() -> None:
    objects = [SCHEMA, *SCHEMA["$defs"].values()]
    assert all(o.get("additionalProperties") is False for o in objects), [o.get("title") for o in objects]


def test_the_committed_schema_file_is_current() -> None:
    committed = (ROOT / SCHEMA_FILE).read_text(encoding="utf-8")
    assert committed == schema_text(), f"regenerate it: gctune schema --out {SCHEMA_FILE}"


def test_gctune_schema_prints_it() -> None:
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 0 and json.loads(result.output) == json.loads(schema_text())


def test_a_field_without_a_schema_fails_generation(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = {**_schema.FIELD_SCHEMAS, ServiceWorkload: dict(_schema.FIELD_SCHEMAS[ServiceWorkload])}
    del fields[ServiceWorkload]["live_heap"]
    monkeypatch.setattr(_schema, "FIELD_SCHEMAS", fields)
    with pytest.raises(LookupError, match="ServiceWorkload.live_heap"):
        _schema.spec_json_schema()


def test_service_options_in_space_take_their_workload_fields_values() -> None:
    space = SCHEMA["$defs"]["Space"]["properties"]
    workload = SCHEMA["$defs"]["ServiceWorkload"]["properties"]
    for name in SERVICE_OPTIONS:
        value = space[name]["anyOf"][0]
        assert value == {k: v for k, v in workload[name].items() if k not in ("title", "default", "description")}
        assert len(space[name]["anyOf"]) == 2  # a value or a list: no range
    assert space["map_keys"]["anyOf"][0] == {"enum": ["string", "int"]}


# --- the gallery validates both ways ---------------------------------------------------------------

@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.name)
def test_every_experiment_names_the_schema_and_validates_against_it_and_the_loader(path: Path) -> None:
    assert path.read_text().splitlines()[0] == MODELINE
    assert (path.parent / MODELINE.split("=", 1)[1]).resolve() == ROOT / SCHEMA_FILE
    assert schema_errors(read_spec_data(path)) == []
    assert load_spec(path).name == path.stem


# --- structural mistakes fail the schema as they fail the loader -------------------------------------

STRUCTURAL = {
    "unknown top-level key": MINIMAL + "serch:\n  trials: 3\n",
    "unknown range key": HELD_OUT.replace("high: 400", "hi: 400"),
    "unknown workload option": MINIMAL + "  live_hep: 1MiB\n",
    "unknown space setting": MINIMAL + "space:\n  gogc: 50\n",
    "missing name and workload": "container:\n  cpus: 1\n",
    "missing name": "workload:\n  builtin: service\n",
    "missing workload": "name: x\n",
    "a word for an integer": MINIMAL + "  workers: many\n",
    "yes for a boolean": MINIMAL + "  pool: yes\n",
    "a list for a section": MINIMAL + "container: [1]\n",
    "no workload kind": "name: x\nworkload:\n  live_heap: 1MiB\n",
    "two workload kinds": MINIMAL + "  image: nginx\n",
    "an unknown built-in": "name: x\nworkload:\n  builtin: web\n",
    "a negative CPU limit": MINIMAL + "container:\n  cpus: -1\n",
    "a size that is no size": MINIMAL + "  live_heap: lots\n",
    "a name with a slash": MINIMAL.replace("name: x", "name: my/exp"),
    "an unknown sampler": MINIMAL + "search:\n  sampler: bayes\n",
    "an unknown objective metric": MINIMAL + "objective:\n  minimize: gc_cpu\n",
    "a boolean metric as objective": MINIMAL + "objective:\n  minimize: oom_killed\n",
    "a malformed constraint": MINIMAL + "constraints:\n  - peak memory below 200MiB\n",
    "constraints not a list": MINIMAL + "constraints: peak_memory_bytes <= 1GiB\n",
    "an empty choice list": MINIMAL + "space:\n  GOGC: []\n",
    "a GOGC of zero": MINIMAL + "space:\n  GOGC: 0\n",
    "a range of Go versions": MINIMAL + "space:\n  go_version: {low: '1.24.11', high: '1.27.3'}\n",
    "GOGC in container.env": MINIMAL + "container:\n  env:\n    GOGC: '50'\n",
    "an open loop without a rate": MINIMAL + "  loop: open\n",
    "an unknown service option value": MINIMAL + "space:\n  map_keys: [string, str]\n",
    "a range of service options": MINIMAL + "space:\n  pool: {low: 0, high: 1}\n",
}


@pytest.mark.parametrize("text", STRUCTURAL.values(), ids=STRUCTURAL.keys())
def test_structural_mistakes_fail_the_schema_and_the_loader(text: str, tmp_path: Path) -> None:
    assert not loads(text)
    assert schema_errors(read(text, tmp_path)), "the schema accepted it"


def test_empty_sections_and_nulls_the_loader_accepts_pass_the_schema(tmp_path: Path) -> None:
    text = MINIMAL + "container:\nspace:\nsearch:\n  seed:\nconstraints:\n"
    assert loads(text) and schema_errors(read(text, tmp_path)) == []


# --- at every numeric bound, the schema and the loader agree -----------------------------------------

# Where each model sits in a spec, and what it needs beside the probed field.
PLACES = {
    "Container": ("container", {}),
    "Search": ("search", {}),
    "Nightly": ("nightly", {}),
    "ServiceWorkload": ("workload", {"builtin": "service"}),
}
EXTRA = {"rate": {"loop": "open"}}  # a rate goes with an open loop
# Bounds set by another field, not by a number: sample_interval < duration.
SKIPPED = {("ServiceWorkload", "sample_interval"), ("ServiceWorkload", "duration")}


def _numeric(schema: dict[str, Any]) -> dict[str, Any] | None:
    if schema.get("type") in ("integer", "number"):
        return schema
    return next((s for s in map(_numeric, schema.get("anyOf", ())) if s), None)


def _probes(schema: dict[str, Any]) -> list[float]:
    step = 1 if schema["type"] == "integer" else 0.001
    probes = []
    for key, inside, outside in (("minimum", 0, -step), ("maximum", 0, step), ("exclusiveMinimum", step, 0),
                                 ("exclusiveMaximum", -step, 0)):
        if key in schema:
            probes += [schema[key] + inside, schema[key] + outside]
    return probes


def _bound_cases() -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for model, (section, base) in PLACES.items():
        for field, prop in SCHEMA["$defs"][model]["properties"].items():
            numeric = _numeric(prop)
            if numeric is None or (model, field) in SKIPPED:
                continue
            for value in _probes(numeric):
                data = {"name": "x", "workload": {"builtin": "service"}}
                data[section] = {**data.get(section, {}), **base, **EXTRA.get(field, {}), field: value}
                cases.append((f"{section}.{field}={value}", data))
    for setting, prop in SCHEMA["$defs"]["Space"]["properties"].items():
        numeric = _numeric(prop["anyOf"][0])
        for value in _probes(numeric) if numeric else ():
            cases.append((f"space.{setting}={value}", {"name": "x", "workload": {"builtin": "service"},
                                                        "container": {"memory": "1GiB"}, "space": {setting: value}}))
    return cases


BOUND_CASES = _bound_cases()


def test_the_bound_probes_cover_every_section() -> None:
    probed = {name.split("=")[0].split(".")[0] for name, _ in BOUND_CASES}
    assert probed == {"container", "search", "nightly", "workload", "space"}
    assert len(BOUND_CASES) > 60


@pytest.mark.parametrize(("case", "data"), BOUND_CASES, ids=[c for c, _ in BOUND_CASES])
def test_the_schema_and_the_loader_agree_at_each_bound(case: str, data: dict[str, Any]) -> None:
    try:
        load_spec_text(json.dumps(data), "t.yaml")
        loader_ok = True
    except SpecError:
        loader_ok = False
    assert (not schema_errors(data)) == loader_ok, case


# --- the text patterns accept what the parsers accept ------------------------------------------------

def _accepts(parse: Any, value: Any) -> bool:
    try:
        parse(value)
    except (ValueError, OverflowError):
        return False
    return True


def _matches(pattern: str, text: str) -> bool:
    return not list(jsonschema.Draft202012Validator({"type": "string", "pattern": pattern}).iter_errors(text))


SIZES = [f"{n}{u}" for u in _SIZE_UNITS for n in ("1", "1.5", "256 ")] + \
        [f"2{u.upper()}" for u in _SIZE_UNITS] + [f"3{u.title()}" for u in _SIZE_UNITS] + \
        ["-1MiB", "lots", "1e3", "MiB", "1.MiB", "1 M i B", "1Mb", "1mib", "12PiB", "0.5 GiB "]
DURATIONS = ["500ms", "2s", "1m", "1min", "1h", "1.5s", "10", " 3s ", "2d", "1us", "-1s", "s", "1 ms", "1.s"]
PERCENTS = ["80%", "80 %", "0.5%", "100%", "+5%", "-5%", "80", "%", "8o%", "1e2%"]
GO_VERSIONS = ["1.24.11", "go1.27.3", "1.27", "GO1.22.1", "2.0.0", "1.24.x", "go 1.24", "1", "1.24.11.4", " 1.25.5 "]
EXPERIMENTS_ = ["greenteagc", "nogreenteagc", "a,b", "Green", "a,,b", "", "x y"]
BENCHTIMES = ["2s", "100x", "1.5s", "500ms", "10us", "x", "2", "1.5x", "1m"]


@pytest.mark.parametrize(("pattern", "parse", "values"), [
    (_schema.SIZE_PATTERN, parse_size, SIZES),
    (_schema.DURATION_PATTERN, duration(gt=-1), DURATIONS),
    (_schema.GO_VERSION_PATTERN, go_version_value, GO_VERSIONS),
    (_schema.GO_EXPERIMENT_PATTERN, go_experiment_value, EXPERIMENTS_),
    (_schema.BENCHTIME_PATTERN, _benchtime, BENCHTIMES),
], ids=["size", "duration", "go_version", "go_experiment", "benchtime"])
def test_each_pattern_matches_exactly_the_text_its_parser_reads(pattern: str, parse: Any, values: list[str]) -> None:
    assert {v: _matches(pattern, v) for v in values} == {v: _accepts(parse, v) for v in values}


def test_the_percent_pattern_matches_every_percentage_the_parser_reads() -> None:
    for value in PERCENTS:
        assert _matches(_schema.PERCENT_PATTERN, value) or not _accepts(percent, value), value
    assert not _matches(_schema.PERCENT_PATTERN, "80")


def test_metric_and_constraint_patterns_match_the_parsers() -> None:
    names = [*METRICS, "hits_per_op", "items_per_s", "Hits_per_op", "per_op", "gc_cpu"]
    custom = f"^{_schema.CUSTOM_METRIC}$"
    for name in names:
        known = name in METRICS or _matches(custom, name)
        assert known == (metric_definition(name) is not None), name
    for text in ["peak_memory_bytes <= 200MiB", "oom_killed == false", "ns_per_op <= 1.05 * baseline",
                 " hits_per_op>=2 ", "latency_p99_ms < 1.2*baseline", "gc_cpu <= 5", "peak <", "x"]:
        assert _matches(_schema.CONSTRAINT_PATTERN, text) or not _accepts(parse_constraint, text), text
