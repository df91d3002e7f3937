"""The experiment spec: valid specs load, every kind of mistake gets a file:line: path: message error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from orchestrator.errors import SpecError
from orchestrator.spec import (
    Choices, Constraint, GogcRange, MemoryLimitRange, Percent, ServiceWorkload, Spec, TrialSettings,
    load_spec, load_spec_text, parse_constraint, resolve_trial_settings,
)

ROOT = Path(__file__).resolve().parent.parent
MiB = 2**20

HELD_OUT = """\
name: held-out
workload:
  builtin: service
container:
  cpus: 1
  memory: 256MiB
space:
  GOGC: {low: 25, high: 400, log: true}
  GOMEMLIMIT: {low: 50%, high: 95%}
objective:
  minimize: gc_cpu_percent
constraints:
  - peak_memory_bytes <= 200MiB
search:
  sampler: tpe
  trials: 4
"""

MINIMAL = "name: x\nworkload:\n  builtin: service\n"
JARGON = ("Traceback", "pydantic", "Extra inputs", "input_type", "input_value", "Field required",
          "Value error", "type=", "errors.pydantic.dev", "validation error")


def spec_error(tmp_path: Path, text: str, name: str = "x.yaml") -> str:
    """Load ``text`` from a file and return the SpecError message (failing if it loads)."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    message = str(info.value)
    for word in JARGON:
        assert word not in message, message
    return message.replace(str(tmp_path) + "/", "")


def load(text: str) -> Spec:
    return load_spec_text(textwrap.dedent(text), "test.yaml")


# --- valid specs -----------------------------------------------------------------------------------

def test_held_out_spec_validates(tmp_path: Path) -> None:
    path = tmp_path / "held-out.yaml"
    path.write_text(HELD_OUT)
    spec = load_spec(path)
    assert spec.name == "held-out"
    assert spec.workload.builtin == "service"
    assert spec.container.cpus == 1.0 and spec.container.memory == 256 * MiB
    assert spec.space.GOGC == GogcRange(low=25, high=400, log=True)
    assert spec.space.GOMEMLIMIT == MemoryLimitRange(low=Percent(50), high=Percent(95))
    assert spec.objectives == [("gc_cpu_percent", "minimize")]
    assert spec.constraints[0].metric == "peak_memory_bytes"
    assert spec.constraints[0].value == 200 * MiB
    assert spec.search.sampler == "tpe" and spec.search.trials == 4 and spec.search.repeats == 1
    assert set(spec.searched_settings()) == {"GOGC", "GOMEMLIMIT"}
    assert spec.fixed_settings() == {}


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_experiments_validate(path: Path) -> None:
    assert load_spec(path).name


def test_experiments_folder_has_quickstart() -> None:
    spec = load_spec(ROOT / "experiments" / "quickstart.yaml")
    assert spec.workload.live_heap == 48 * MiB and spec.workload.pointers == "dense"
    assert (spec.workload.loop, spec.workload.rate) == ("open", 10000.0)
    assert spec.container.cpus == 1.0 and spec.container.memory == 256 * MiB
    assert [c.text for c in spec.constraints] == ["peak_memory_bytes <= 200MiB", "oom_killed == false"]
    assert (spec.search.sampler, spec.search.trials, spec.search.seed, spec.search.repeats) == ("tpe", 8, 1, 1)


def test_defaults_of_a_minimal_spec() -> None:
    spec = load(MINIMAL)
    assert spec.objectives == [("gc_cpu_percent", "minimize")]
    assert spec.constraints == ()
    assert (spec.search.sampler, spec.search.trials, spec.search.seed) == ("tpe", 20, None)
    assert spec.container.pids_limit == 256 and spec.container.env == {}
    assert spec.container.trial_timeout_s(spec.workload) == 2 + 8 + 60


def test_service_args_default() -> None:
    assert load(MINIMAL).workload.args() == [
        "-live-heap", "67108864", "-pointers", "dense", "-churn", "0.1", "-workers", "2",
        "-alloc-sizes", "64:60,512:30,4096:9,32768:1", "-allocs-per-op", "16", "-map-keys", "string",
        "-pool=false", "-strings", "builder", "-rate", "0", "-warmup", "2000ms", "-duration", "8000ms",
        "-sample-interval", "250ms", "-seed", "1",
    ]


def test_service_args_options() -> None:
    spec = load("""\
        name: x
        workload:
          builtin: service
          live_heap: 1.5GiB
          pointers: free
          alloc_sizes: {16B: 1, 1KiB: 2.5}
          pool: true
          loop: open
          rate: 2000
          warmup: 500ms
          duration: 1m
          sample_interval: 100ms
          seed: 7
        container:
          timeout: 90s
        """)
    args = spec.workload.args()
    assert args[args.index("-live-heap") + 1] == str(int(1.5 * 2**30))
    assert args[args.index("-alloc-sizes") + 1] == "16:1,1024:2.5"
    assert "-pool=true" in args
    assert args[args.index("-rate") + 1] == "2000"
    assert args[args.index("-warmup") + 1] == "500ms"
    assert args[args.index("-duration") + 1] == "60000ms"
    assert args[args.index("-seed") + 1] == "7"
    assert spec.container.trial_timeout_s(spec.workload) == 90.0


def test_gogc_off_is_a_word_not_a_boolean() -> None:
    spec = load(MINIMAL + "space:\n  GOGC: [off, 50]\n  GOMAXPROCS: auto\n")
    assert spec.space.GOGC == Choices(("off", 50))
    assert load(MINIMAL + "space:\n  GOGC: {low: 10, high: 100, off: true}\n").space.GOGC.off is True
    assert resolve_trial_settings(load(MINIMAL + "space:\n  GOGC: off\n")).gogc == "off"


def test_objectives_put_minimized_first() -> None:
    spec = load(MINIMAL + "objective:\n  maximize: throughput_ops_per_s\n  minimize: [gc_cpu_percent, pause_ms_max]\n")
    assert spec.objectives == [("gc_cpu_percent", "minimize"), ("pause_ms_max", "minimize"),
                               ("throughput_ops_per_s", "maximize")]


def test_empty_optional_sections_take_defaults() -> None:
    spec = load(MINIMAL + "container:\nspace:\nconstraints:\n")
    assert spec.container.cpus is None and spec.space.dimensions() == {}


def test_spec_can_be_built_in_python() -> None:
    spec = Spec(name="py", workload=ServiceWorkload(builtin="service"), space={"GOGC": [50, 100]})
    assert spec.space.GOGC == Choices((50, 100))


# --- file-level problems ---------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"nope\.yaml: file not found"):
        load_spec(tmp_path / "nope.yaml")


def test_empty_file(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "# only a comment\n")
    assert message.startswith("x.yaml: file is empty; expected a mapping with keys name, workload, go, container")


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "- name: x\n")
    assert message.startswith("x.yaml:1: the top level must be a mapping with keys name, workload")
    assert message.endswith("got a list")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "name: x\nworkload:\n  builtin: service\n live_heap: 1MiB\n")
    assert message.startswith("x.yaml:4: invalid YAML:")


def test_duplicate_key(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "name: y\n")
    assert message == "x.yaml:4: name: duplicate key; it is already set on line 1"


# --- keys and types --------------------------------------------------------------------------------

def test_unknown_top_level_key(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "serch:\n  trials: 3\n")
    assert message.startswith("x.yaml:4: serch: unknown key; valid keys: name, workload, go, container, space, "
                              "objective, constraints, search, nightly, analysis")
    assert "did you mean search?" in message


def test_unknown_range_key(tmp_path: Path) -> None:
    message = spec_error(tmp_path, HELD_OUT.replace("high: 400", "hi: 400"))
    assert "x.yaml:8: space.GOGC.hi: unknown key; valid keys: low, high, log, step, off" in message
    assert "x.yaml:8: space.GOGC.high: required key is missing; expected an integer >= 1" in message


def test_unknown_workload_option(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "  live_hep: 1MiB\n")
    assert message.startswith("x.yaml:4: workload.live_hep: unknown key; valid keys: builtin, live_heap,")


def test_unknown_space_setting(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "space:\n  gogc: 50\n")
    assert message == ("x.yaml:5: space.gogc: unknown setting; valid settings: GOGC, GOMEMLIMIT, GOMAXPROCS, "
                       "cpus, memory, go_version, go_experiment, pointers, map_keys, pool, strings "
                       "(did you mean GOGC?)")


def test_missing_required_keys(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "container:\n  cpus: 1\n")
    assert message.splitlines() == [
        "x.yaml:1: name: required key is missing; expected a name of letters, digits, '.', '_' and '-' "
        "(it names the results folder)",
        "x.yaml:1: workload: required key is missing; expected a mapping with one of builtin, go_package, "
        "go_bench, image, e.g. builtin: service",
    ]


def test_bad_name(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL.replace("name: x", "name: my/exp"))
    assert message.startswith("x.yaml:1: name: must be letters, digits, '.', '_' and '-' only")


def test_wrong_type(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "  workers: many\n  pool: yes\n")
    assert message.splitlines() == ["x.yaml:4: workload.workers: must be an integer from 1 to 4096, got 'many'",
                                    "x.yaml:5: workload.pool: must be true or false, got 'yes'"]


def test_section_of_wrong_type(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "container: [1]\n")
    assert message == ("x.yaml:4: container: must be a mapping with keys cpus, memory, pids_limit, timeout, env, "
                       "got a list")


def test_negative_cpus(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "container:\n  cpus: -1\n")
    assert message == "x.yaml:5: container.cpus: must be a number > 0, got -1"


@pytest.mark.parametrize("value", ["0", "-1", "1MiB"])
def test_zero_or_tiny_memory(tmp_path: Path, value: str) -> None:
    message = spec_error(tmp_path, MINIMAL + f"container:\n  memory: {value}\n")
    assert message.startswith(f"x.yaml:5: container.memory: must be a size >= 6MiB (Docker's minimum), got ")


def test_negative_size(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "  live_heap: -1\n")
    assert message == "x.yaml:4: workload.live_heap: must be a size from 0 to 1TiB, got -1"


def test_bad_size_text(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "  live_heap: lots\n")
    assert message == ("x.yaml:4: workload.live_heap: must be a size such as 256MiB, 1.5GiB, 512MB or a number "
                       "of bytes, got 'lots'")


def test_bad_duration_and_sample_interval(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "  warmup: soon\n  duration: 1s\n  sample_interval: 2s\n")
    assert "x.yaml:4: workload.warmup: must be a duration such as 500ms, 10s or 2m, got 'soon'" in message
    message = spec_error(tmp_path, MINIMAL + "  duration: 1s\n  sample_interval: 2s\n")
    assert message == "x.yaml:5: workload.sample_interval: must be shorter than duration (1000ms), got 2000ms"
    message = spec_error(tmp_path, MINIMAL + "  sample_interval: 500us\n")
    assert message.startswith("x.yaml:4: workload.sample_interval: must be a duration such as 500ms")
    message = spec_error(tmp_path, MINIMAL + "  sample_interval: 0.5ms\n")
    assert message == "x.yaml:4: workload.sample_interval: must be a duration >= 1ms, got '0.5ms'"


def test_rate_goes_with_open_loop(tmp_path: Path) -> None:
    assert spec_error(tmp_path, MINIMAL + "  loop: open\n").startswith(
        "x.yaml:2: workload.rate: required when loop is open")
    assert spec_error(tmp_path, MINIMAL + "  rate: 100\n").startswith(
        "x.yaml:4: workload.rate: only valid with loop: open")


def test_reserved_env(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "container:\n  env:\n    GODEBUG: madvdontneed=1\n    GOGC: '50'\n")
    assert message == "x.yaml:7: container.env.GOGC: set it in space (space.GOGC), not in container.env"


def test_several_errors_one_per_line(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "container:\n  cpus: 0\n  pids_limit: 4\nsearch:\n  trials: 0\n")
    assert message.splitlines() == [
        "x.yaml:5: container.cpus: must be a number > 0, got 0",
        "x.yaml:6: container.pids_limit: must be an integer >= 16, got 4",
        "x.yaml:8: search.trials: must be an integer >= 1, got 0",
    ]


# --- workload kinds --------------------------------------------------------------------------------

def test_no_workload_kind(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "name: x\nworkload:\n  live_heap: 1MiB\n")
    assert message == ("x.yaml:2: workload: must name exactly one workload kind among builtin, go_package, "
                       "go_bench, image, got none")


def test_several_workload_kinds(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "  image: nginx\n")
    assert message == ("x.yaml:2: workload: must name exactly one workload kind among builtin, go_package, "
                       "go_bench, image, got builtin, image")


def test_user_workload_paths_are_checked_relative_to_the_spec(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "name: x\nworkload:\n  go_package: ./cmd/server\n")
    assert message.startswith("x.yaml:3: workload.go_package: ./cmd/server: no such folder")
    (tmp_path / "cmd" / "server").mkdir(parents=True)
    (tmp_path / "cmd" / "server" / "main.go").write_text("package main\nfunc main() {}\n")
    message = spec_error(tmp_path, "name: x\nworkload:\n  go_package: ./cmd/server\n")
    assert "not inside a Go module (no go.mod" in message
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.21\n")
    spec = load_spec_text("name: x\nworkload:\n  go_package: ./cmd/server\n  args: [-n, 5]\n", base_dir=tmp_path)
    assert spec.workload.go_package == (tmp_path / "cmd" / "server").resolve()
    assert spec.workload.argv() == ["-n", "5"] and spec.workload.kind == "go_package"


def test_go_bench_and_image_workloads(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/x\n\ngo 1.21\n")
    (tmp_path / "b_test.go").write_text("package x\n")
    spec = load_spec_text("name: x\nworkload:\n  go_bench: {package: ., bench: Get, benchtime: 100x}\n",
                          base_dir=tmp_path)
    assert spec.workload.argv() == ["-test.run=^$", "-test.bench=Get", "-test.benchmem", "-test.benchtime=100x",
                                    "-test.count=1"]
    message = spec_error(tmp_path, "name: x\nworkload:\n  go_bench: {package: ., benchtime: soon}\n")
    assert "workload.go_bench.benchtime: must be a duration such as 2s or an iteration count" in message
    spec = load_spec_text("name: x\nworkload: {image: 'svc:1', command: [/svc, -q], duration: 5s}\n")
    assert spec.workload.argv() == ["/svc", "-q"] and spec.container.trial_timeout_s(spec.workload) == 65


def test_unknown_builtin(tmp_path: Path) -> None:
    message = spec_error(tmp_path, "name: x\nworkload:\n  builtin: web\n")
    assert message == "x.yaml:3: workload.builtin: must be one of service, got 'web'"


# --- space -----------------------------------------------------------------------------------------

def test_inverted_range(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "space:\n  GOGC: {low: 400, high: 25}\n")
    assert message == "x.yaml:5: space.GOGC.high: must be greater than low (400), got 25"
    message = spec_error(tmp_path, MINIMAL + "space:\n  memory:\n    low: 1GiB\n    high: 512MiB\n")
    assert message == "x.yaml:7: space.memory.high: must be greater than low (1GiB), got 512MiB"


def test_bad_gogc_values(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "space:\n  GOGC: [0, 50, never]\n")
    assert message.splitlines() == ["x.yaml:5: space.GOGC[0]: must be an integer >= 1 or off, got 0",
                                    "x.yaml:5: space.GOGC[2]: must be an integer >= 1 or off, got 'never'"]
    message = spec_error(tmp_path, MINIMAL + "space:\n  GOGC: {low: off, high: 100}\n")
    assert message == "x.yaml:5: space.GOGC.low: cannot be off in a range; add off: true to also try GOGC=off"


def test_percent_above_100(tmp_path: Path) -> None:
    message = spec_error(tmp_path, HELD_OUT.replace("high: 95%", "high: 120%"))
    assert message.startswith("x.yaml:9: space.GOMEMLIMIT.high: must be a percentage in (0%, 100%] of the "
                              "container memory, got '120%'")


def test_percent_needs_memory(tmp_path: Path) -> None:
    message = spec_error(tmp_path, HELD_OUT.replace("  memory: 256MiB\n", ""))
    assert message.startswith("x.yaml:8: space.GOMEMLIMIT: a percentage needs a container memory limit; "
                              "set container.memory or space.memory")


def test_mixed_range_kinds(tmp_path: Path) -> None:
    message = spec_error(tmp_path, HELD_OUT.replace("high: 95%", "high: 1GiB"))
    assert message == ("x.yaml:9: space.GOMEMLIMIT.high: must be written like low (50%): "
                       "both sizes or both percentages")


def test_log_and_step_together(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "space:\n  GOGC: {low: 10, high: 100, log: true, step: 10}\n")
    assert message == "x.yaml:5: space.GOGC.step: cannot be combined with log: true; use one or the other"


def test_empty_choices(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "space:\n  cpus: []\n")
    assert message == "x.yaml:5: space.cpus: must list at least one choice, got an empty list"


def test_grid_needs_finite_ranges(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "space:\n  cpus: {low: 0.5, high: 2}\nsearch:\n  sampler: grid\n")
    assert message == "x.yaml:5: space.cpus: the grid sampler needs a list of choices or a range with a step here"
    assert load(MINIMAL + "space:\n  cpus: {low: 0.5, high: 2, step: 0.5}\nsearch:\n  sampler: grid\n")


# --- objective, constraints, search ----------------------------------------------------------------

def test_unknown_objective_metric(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "objective:\n  minimize: [gc_cpu_percent, gc_cpu]\n")
    assert message.startswith("x.yaml:5: objective.minimize[1]: unknown metric 'gc_cpu'; valid metrics: "
                              "gc_cpu_percent, gc_cpu_seconds,")
    assert "oom_killed" not in message


def test_bool_metric_cannot_be_objective(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "objective:\n  minimize: oom_killed\n")
    assert message.startswith("x.yaml:5: objective.minimize: oom_killed is true or false and cannot be optimised")


def test_empty_objective(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "objective: {}\n")
    assert message == "x.yaml:4: objective: must have minimize or maximize, e.g. minimize: gc_cpu_percent"


def test_unknown_sampler(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "search:\n  sampler: cmaes\n")
    assert message == "x.yaml:5: search.sampler: must be one of tpe, gp, random, grid, nsga2, got 'cmaes'"


def test_malformed_constraint(tmp_path: Path) -> None:
    message = spec_error(tmp_path, HELD_OUT.replace("  - peak_memory_bytes <= 200MiB\n",
                                                    "  - peak_memory_bytes <= 200MiB\n  - peak memory small\n"))
    assert message.startswith("x.yaml:14: constraints[1]: malformed constraint 'peak memory small'; "
                              "expected 'METRIC OP VALUE' with OP one of <=, <, >=, >, ==, !=")


def test_constraint_with_unknown_metric_or_wrong_value(tmp_path: Path) -> None:
    message = spec_error(tmp_path, MINIMAL + "constraints:\n  - peak_mem <= 1GiB\n  - gc_cpu_percent <= 1GiB\n"
                                             "  - oom_killed < 1\n")
    lines = message.splitlines()
    assert lines[0].startswith("x.yaml:5: constraints[0]: unknown metric 'peak_mem' in 'peak_mem <= 1GiB'; "
                               "valid metrics: gc_cpu_percent,")
    assert lines[1].startswith("x.yaml:6: constraints[1]: cannot compare gc_cpu_percent with '1GiB'")
    assert lines[2].startswith("x.yaml:7: constraints[2]: oom_killed is true or false: compare it with == or !=")


# --- Constraint.violation --------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "actual", "expected"), [
    ("peak_memory_bytes <= 200MiB", 100 * MiB, -100 * MiB),
    ("peak_memory_bytes <= 200MiB", 250 * MiB, 50 * MiB),
    ("gc_cpu_percent < 5", 5.0, 1e-9),
    ("gc_cpu_percent < 5", 4.0, -1.0),
    ("throughput_ops_per_s >= 1000", 900.0, 100.0),
    ("throughput_ops_per_s > 1000", 1000.0, 1e-9),
    ("throughput_ops_per_s > 1000", 1500.0, -500.0),
    ("exit_code == 0", 0, 0.0),
    ("exit_code == 0", 137, 137.0),
    ("exit_code != 0", 0, 1e-9),
    ("exit_code != 0", 2, -2.0),
    ("gc_cpu_percent <= 5%", 6.0, 1.0),
    ("latency_p99_ms <= 2s", 2500.0, 500.0),
])
def test_numeric_violation(text: str, actual: float, expected: float) -> None:
    constraint = parse_constraint(text)
    assert constraint.violation({constraint.metric: actual}) == pytest.approx(expected)
    assert constraint.is_satisfied({constraint.metric: actual}) == (expected <= 0)


def test_bool_violation() -> None:
    constraint = parse_constraint("oom_killed == false")
    assert constraint == Constraint("oom_killed", "==", False, None, "oom_killed == false")
    assert constraint.violation({"oom_killed": False}) == 0.0
    assert constraint.violation({"oom_killed": True}) == 1.0
    assert parse_constraint("timed_out != true").violation({"timed_out": True}) == 1.0


def test_baseline_violation() -> None:
    constraint = parse_constraint("latency_p99_ms <= 1.5 * baseline")
    assert (constraint.value, constraint.baseline_factor) == (None, 1.5)
    assert constraint.violation({"latency_p99_ms": 12.0}, {"latency_p99_ms": 10.0}) == pytest.approx(-3.0)
    assert constraint.violation({"latency_p99_ms": 16.0}, {"latency_p99_ms": 10.0}) == pytest.approx(1.0)
    assert parse_constraint("peak_memory_bytes <= baseline").baseline_factor == 1.0
    with pytest.raises(ValueError, match="baseline"):
        constraint.violation({"latency_p99_ms": 12.0}, None)
    with pytest.raises(ValueError, match="baseline"):
        constraint.violation({"latency_p99_ms": 12.0}, {"gc_cpu_percent": 1.0})
    assert load(MINIMAL + "constraints:\n  - latency_p99_ms <= 1.5 * baseline\n").needs_baseline


def test_violation_of_missing_metric() -> None:
    with pytest.raises(ValueError, match="no value for gc_cpu_percent"):
        parse_constraint("gc_cpu_percent <= 5").violation({})


# --- resolve_trial_settings ------------------------------------------------------------------------

def test_searched_settings_take_defaults() -> None:
    settings = resolve_trial_settings(load(HELD_OUT))
    assert settings == TrialSettings(gogc=100, gomemlimit_bytes=None, gomaxprocs=None, cpus=1.0,
                                     memory_bytes=256 * MiB)
    assert settings.env() == {"GOGC": "100"}
    assert settings.params() == {"GOGC": 100, "GOMEMLIMIT": None, "GOMAXPROCS": "auto", "cpus": 1.0,
                                 "memory": 256 * MiB}


def test_fixed_settings_are_used() -> None:
    spec = load(MINIMAL + "space:\n  GOGC: [50]\n  GOMEMLIMIT: 80%\n  GOMAXPROCS: 2\n  cpus: 1.5\n"
                          "  memory: 512MiB\n")
    assert spec.fixed_settings() == {"GOGC": 50, "GOMEMLIMIT": Percent(80), "GOMAXPROCS": 2, "cpus": 1.5,
                                     "memory": 512 * MiB}
    settings = resolve_trial_settings(spec)
    assert settings == TrialSettings(50, int(512 * MiB * 0.8), 2, 1.5, 512 * MiB)
    assert settings.env() == {"GOGC": "50", "GOMEMLIMIT": str(int(512 * MiB * 0.8)), "GOMAXPROCS": "2"}


def test_overrides_win_and_percentages_follow_memory() -> None:
    spec = load(HELD_OUT)
    settings = resolve_trial_settings(spec, {"GOGC": "off", "GOMEMLIMIT": "50%", "memory": "1GiB",
                                             "GOMAXPROCS": "auto", "cpus": "0.5"})
    assert settings == TrialSettings("off", 512 * MiB, None, 0.5, 2**30)
    assert settings.env() == {"GOGC": "off", "GOMEMLIMIT": str(512 * MiB)}
    assert resolve_trial_settings(spec, {"GOMEMLIMIT": "none"}).gomemlimit_bytes is None
    assert resolve_trial_settings(spec, {"GOMEMLIMIT": "100MiB"}).gomemlimit_bytes == 100 * MiB


@pytest.mark.parametrize(("name", "value", "message"), [
    ("GOGC", "-5", "--set GOGC: must be an integer >= 1 or off, got '-5'"),
    ("GOMEMLIMIT", "150%", "--set GOMEMLIMIT: must be a percentage in (0%, 100%]"),
    ("GOMEMLIMIT", "lots", "--set GOMEMLIMIT: must be a size such as 1GiB, a percentage of the container "
                           "memory such as 80%, or none, got 'lots'"),
    ("GOMAXPROCS", "0", "--set GOMAXPROCS: must be an integer >= 1 or auto, got '0'"),
    ("cpus", "-1", "--set cpus: must be a number > 0, got '-1'"),
    ("memory", "0", "--set memory: must be a size >= 6MiB (Docker's minimum), got '0'"),
    ("GOGCC", "50", "--set GOGCC: unknown setting; valid settings: GOGC, GOMEMLIMIT, GOMAXPROCS, cpus, memory"),
])
def test_bad_overrides(name: str, value: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        resolve_trial_settings(load(HELD_OUT), {name: value})
    assert str(info.value).startswith(message)


def test_percent_override_without_memory() -> None:
    with pytest.raises(SpecError, match=r"^--set GOMEMLIMIT: 80% is a share of the container memory"):
        resolve_trial_settings(load(MINIMAL), {"GOMEMLIMIT": "80%"})
    spec = load(MINIMAL + "space:\n  memory: [256MiB, 512MiB]\n  GOMEMLIMIT: 50%\n")
    with pytest.raises(SpecError, match=r"^space.GOMEMLIMIT: 50% is a share of the container memory"):
        resolve_trial_settings(spec)
    assert resolve_trial_settings(spec, {"memory": "256MiB"}).gomemlimit_bytes == 128 * MiB


def test_dump_round_trips() -> None:
    spec = load(MINIMAL + "space:\n  GOGC: [off, 50]\n  GOMEMLIMIT: {low: 50%, high: 90%}\n  memory: 512MiB\n"
                          "constraints:\n  - latency_p99_ms <= 1.2 * baseline\n")
    dumped = spec.model_dump()
    assert dumped["space"]["GOMEMLIMIT"] == {"low": "50%", "high": "90%", "log": False}
    assert dumped["constraints"] == ["latency_p99_ms <= 1.2 * baseline"]
    assert Spec.model_validate(dumped) == spec


def test_a_race_needs_one_objective(tmp_path: Path) -> None:
    two = "objective:\n  minimize: [gc_cpu_percent, peak_memory_bytes]\n"
    message = spec_error(tmp_path, MINIMAL + two + "search:\n  confidence: fast\n")
    assert message.startswith("x.yaml:") and "search.confidence: a race decides on one objective" in message
    assert load(MINIMAL + two) and load(MINIMAL + "search:\n  confidence: fast\n")
