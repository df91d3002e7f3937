"""The gallery of ready experiments, and the built-in service's options as search dimensions.

Fast tier: every experiment validates, its header says what it answers and gives commands that the
CLI really parses, its workload is stdlib Go under examples/, it answers the question it claims, and
the README's table lists it. A service option in ``space`` reaches the service as its flag. One small
example runs end to end against a real engine in the full tier.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import click
import optuna
import pytest

from conftest import ROOT, gctune
from orchestrator.build import WorkloadImage
from orchestrator.cli import cli
from orchestrator.errors import SpecError
from orchestrator.schedule import resolve_schedule
from orchestrator.search._space import grid_space, suggest
from orchestrator.spec import (
    SERVICE_OPTIONS, Choices, GoBenchWorkload, GoPackageWorkload, ServiceWorkload, baseline_settings,
    format_settings, load_spec, load_spec_text, resolve_trial_settings)
from orchestrator.trial import trial_request

EXPERIMENTS = {path.stem: path for path in sorted((ROOT / "experiments").glob("*.yaml"))}
GALLERY = ("quickstart", "fractional-cpu", "own-program", "bench-guard", "batch-wall-time",
           "kubernetes-memory-limit", "go-versions-greentea", "nightly-recheck", "allocation-patterns")
IMAGE = WorkloadImage("gctune/service:test", "go1.27.3", "0" * 16, cached=True)
PATTERNS = """
name: patterns
workload: {builtin: service, live_heap: 32MiB}
container: {cpus: 1, memory: 256MiB}
space:
  map_keys: [string, int]
  pool: [false, true]
  strings: [builder, concat]
  pointers: [dense, free]
  GOGC: [100, 200]
"""


def header(path: Path) -> list[str]:
    """The comment lines at the top of a spec, after the schema line, without their '#'."""
    lines = []
    for line in path.read_text().splitlines()[1:]:
        if not line.startswith("#"):
            break
        lines.append(line[1:].strip())
    return lines


def commands(path: Path) -> list[list[str]]:
    """The gctune command lines a header shows (a trailing comment dropped)."""
    return [shlex.split(line.split("#")[0])[1:] for line in header(path) if line.startswith("gctune ")]


def parse_command(args: list[str]) -> click.Context:
    """Parse ``gctune ARGS`` as the CLI would, without running it."""
    command: click.Command = cli
    context = cli.make_context("gctune", list(args))
    while isinstance(command, click.Group):
        # click keeps the subcommand apart from its arguments until the group runs
        name, found, rest = command.resolve_command(context, [*context._protected_args, *context.args])
        assert name is not None and found is not None, args
        command, context = found, found.make_context(name, rest, parent=context)
    return context


def flags(request_command: list[str]) -> dict[str, str]:
    """The service's ``-name value`` and ``-name=value`` flags as a mapping."""
    parsed, items = {}, iter(request_command)
    for item in items:
        name, sep, value = item.partition("=")
        parsed[name] = value if sep else next(items)
    return parsed


# --- the gallery -----------------------------------------------------------------------------------

def test_the_gallery_holds_every_experiment_the_readme_promises() -> None:
    assert set(GALLERY) <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", GALLERY)
def test_each_header_says_what_it_answers_and_how_to_run_it(name: str) -> None:
    path = EXPERIMENTS[name]
    lines = header(path)
    assert len([line for line in lines if line and not line.startswith("gctune ")]) >= 3, "say what it answers"
    shown = commands(path)
    assert ["validate", f"experiments/{name}.yaml"] in shown
    for args in shown:
        context = parse_command(args)  # raises on an option or argument the CLI does not take
        spec_args = [v for v in context.params.values() if isinstance(v, str) and v.endswith(".yaml")]
        assert all((ROOT / v).is_file() for v in spec_args), args


@pytest.mark.parametrize("name", GALLERY)
def test_the_readme_table_lists_each_experiment_with_a_command(name: str) -> None:
    rows = [line for line in (ROOT / "README.md").read_text().splitlines()
            if line.startswith(f"| [`{name}`](experiments/{name}.yaml) |")]
    assert len(rows) == 1, name
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    answer, command = cells[1], cells[2].strip("`")
    assert answer.endswith("?") and f"experiments/{name}.yaml" in command
    parse_command(shlex.split(command)[1:])


def test_the_readme_first_screen_shows_the_gallery_and_init() -> None:
    first_screen = (ROOT / "README.md").read_text().split("## Install and run", 1)[0]
    assert "gctune init" in first_screen and "| experiment | what it answers | command |" in first_screen
    assert all(f"experiments/{name}.yaml" in first_screen for name in GALLERY)


def _go_imports(folder: Path) -> set[str]:
    imports = set()
    for source in folder.rglob("*.go"):
        text = source.read_text()
        block = re.search(r"^import\s*\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
        imports |= set(re.findall(r'"([^"]+)"', block.group(1) if block else ""))
        imports |= set(re.findall(r'^import\s+"([^"]+)"', text, re.MULTILINE))
    return imports


@pytest.mark.parametrize("name", GALLERY)
def test_user_workloads_are_stdlib_go_under_examples(name: str) -> None:
    workload = load_spec(EXPERIMENTS[name]).workload
    folder = {GoPackageWorkload: lambda w: w.go_package, GoBenchWorkload: lambda w: w.go_bench.package}.get(
        type(workload), lambda w: None)(workload)
    if folder is None:
        assert isinstance(workload, ServiceWorkload)
        return
    assert folder.is_relative_to(ROOT / "examples")
    module = (folder / "go.mod").read_text().split()[1]
    for path in _go_imports(folder):
        first = path.split("/")[0]
        # the standard library has no dot in its first element; gctune's own reporter is stdlib-only
        assert "." not in first or path.startswith(module) or path == "gctune.dev/reporter", path


def test_fractional_cpu_searches_gomaxprocs_under_a_cpu_and_a_half() -> None:
    spec = load_spec(EXPERIMENTS["fractional-cpu"])
    assert spec.container.cpus == 1.5 and "GOMAXPROCS" in spec.searched_settings()


def test_bench_guard_keeps_ns_per_op_within_five_percent_of_the_baseline() -> None:
    spec = load_spec(EXPERIMENTS["bench-guard"])
    guard = [c for c in spec.constraints if c.metric == "ns_per_op"]
    assert isinstance(spec.workload, GoBenchWorkload) and len(guard) == 1
    assert (guard[0].op, guard[0].baseline_factor) == ("<=", 1.05) and guard[0].uses_baseline
    assert "Benchmark" in (spec.workload.go_bench.package / "index_test.go").read_text()


def test_the_batch_job_ends_by_itself_and_minimises_its_wall_time() -> None:
    spec = load_spec(EXPERIMENTS["batch-wall-time"])
    assert isinstance(spec.workload, GoPackageWorkload) and spec.workload.duration is None
    assert spec.objectives == [("wall_seconds", "minimize")]
    assert spec.container.timeout is not None  # a hung run is cut short, not left to the 10-minute default


def test_the_kubernetes_example_names_the_report_section_that_holds_its_snippets() -> None:
    spec = load_spec(EXPERIMENTS["kubernetes-memory-limit"])
    assert spec.container.memory is not None and "GOMEMLIMIT" in spec.searched_settings()
    text = " ".join(header(EXPERIMENTS["kubernetes-memory-limit"]))
    report = (ROOT / "orchestrator" / "report")
    for named in ("Deployable settings", "Kubernetes"):
        assert named in text
        assert any(named in p.read_text() for p in report.glob("*.py")), f"the report no longer says {named!r}"


def test_go_versions_meets_green_tea_and_the_classic_collector_on_every_version() -> None:
    spec = load_spec(EXPERIMENTS["go-versions-greentea"])
    searched = spec.searched_settings()
    assert len(searched["go_version"].values) >= 2
    assert set(searched["go_experiment"].values) == {"greenteagc", "nogreenteagc"}
    # both experiments exist from Go 1.25 on: no combination of the grid fails to build
    assert all(tuple(map(int, v.split(".")[:2])) >= (1, 25) for v in searched["go_version"].values)
    points = 1
    for values in grid_space(searched).values():
        points *= len(values)
    assert spec.search.sampler == "grid" and spec.search.trials == points


def test_the_nightly_recheck_shows_its_schedule_line() -> None:
    spec = load_spec(EXPERIMENTS["nightly-recheck"])
    assert spec.nightly.mode == "recheck"
    install = [args for args in commands(EXPERIMENTS["nightly-recheck"]) if args[:2] == ["schedule", "install"]]
    assert len(install) == 1
    params = parse_command(install[0]).params
    assert str(resolve_schedule(params["cron"], params["at"]))  # a valid schedule


def test_allocation_patterns_search_every_pattern_and_note_the_claim() -> None:
    spec = load_spec(EXPERIMENTS["allocation-patterns"])
    searched = spec.searched_settings()
    assert set(SERVICE_OPTIONS) <= set(searched)
    assert all(len(searched[name].values) == 2 for name in SERVICE_OPTIONS)
    text = " ".join(header(EXPERIMENTS["allocation-patterns"]))
    assert "44% less memory" in text and "report says what was measured" in text.replace("\n", " ")
    points = 1
    for values in grid_space(searched).values():
        points *= len(values)
    assert spec.search.sampler == "grid" and spec.search.trials == points


# --- service options as dimensions -----------------------------------------------------------------

def test_a_service_option_in_space_reaches_the_service_as_its_flag() -> None:
    spec = load_spec_text(PATTERNS)
    settings = resolve_trial_settings(spec, {"map_keys": "int", "pool": "true", "strings": "concat",
                                             "pointers": "free"})
    request = trial_request(spec, settings, IMAGE, "r1")
    got = flags(request.command)
    assert (got["-map-keys"], got["-pool"], got["-strings"], got["-pointers"]) == ("int", "true", "concat", "free")
    assert got["-live-heap"] == str(32 * 2**20)  # the workload's other options are kept
    assert settings.params() | {"map_keys": "int", "pool": True} == settings.params()
    assert "map_keys=int, pool=true" in format_settings(settings.params())


def test_an_unset_searched_option_takes_the_workload_value_and_is_recorded() -> None:
    spec = load_spec_text(PATTERNS.replace("  pointers: [dense, free]\n", "").replace(
        "live_heap: 32MiB}", "live_heap: 32MiB, pointers: free}"))
    base = baseline_settings(spec)
    defaults = ServiceWorkload(builtin="service")
    assert base.params()["map_keys"] == defaults.map_keys and base.params()["pool"] is defaults.pool
    assert "pointers" not in base.params()  # not a dimension: the workload's own setting
    assert flags(trial_request(spec, base, IMAGE, "b").command)["-pointers"] == "free"


def test_a_fixed_option_in_space_is_used_by_every_trial() -> None:
    spec = load_spec_text(PATTERNS.replace("map_keys: [string, int]", "map_keys: int"))
    assert spec.fixed_settings()["map_keys"] == "int"
    assert flags(trial_request(spec, resolve_trial_settings(spec), IMAGE, "t").command)["-map-keys"] == "int"


def test_optuna_suggests_option_choices_and_the_trial_runs_them() -> None:
    spec = load_spec_text(PATTERNS)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
    seen: set[tuple[str, str]] = set()
    for _ in range(30):
        trial = study.ask()
        settings = resolve_trial_settings(spec, suggest(trial, spec.space.searched()))
        got = flags(trial_request(spec, settings, IMAGE, "t").command)
        assert got["-map-keys"] == trial.params["map_keys"] == settings.params()["map_keys"]
        assert got["-pool"] == str(trial.params["pool"]).lower()
        seen.add((got["-map-keys"], got["-pool"]))
        study.tell(trial, 1.0)
    assert seen == {("string", "false"), ("string", "true"), ("int", "false"), ("int", "true")}


def test_the_grid_covers_every_pattern() -> None:
    spec = load_spec_text(PATTERNS)
    grid = grid_space(spec.space.searched())
    assert grid["pool"] == [False, True] and grid["map_keys"] == ["string", "int"]
    trial = optuna.trial.FixedTrial({name: values[-1] for name, values in grid.items()})
    settings = resolve_trial_settings(spec, suggest(trial, spec.space.searched(), grid=True))
    assert flags(trial_request(spec, settings, IMAGE, "g").command)["-strings"] == "concat"


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\nworkload: {image: 'svc:1', duration: 5s}\nspace: {map_keys: [string, int]}\n",
     "space.map_keys: is an option of the built-in service; it needs workload.builtin: service"),
    ("name: x\nworkload: {builtin: service, pool: true}\nspace: {pool: [false, true]}\n",
     "space.pool: is also set in workload.pool; give it in one place"),
    ("name: x\nworkload: {builtin: service}\nspace: {strings: [builder, plus]}\n",
     "space.strings[1]: must be one of concat, builder, got 'plus'"),
    ("name: x\nworkload: {builtin: service}\nspace: {pool: {low: 0, high: 1}}\n",
     "space.pool: must be a value or a list of choices (it cannot be a range)"),
])
def test_service_option_mistakes_are_named(text: str, message: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec_text(text, "x.yaml")
    assert message in str(info.value)


def test_set_of_a_service_option_checks_the_workload_and_the_value() -> None:
    with pytest.raises(SpecError, match="^--set map_keys: is an option of the built-in service"):
        resolve_trial_settings(load_spec_text("name: x\nworkload: {image: 'svc:1'}\n"), {"map_keys": "int"})
    with pytest.raises(SpecError, match="^--set pool: must be true or false, got 'yes'"):
        resolve_trial_settings(load_spec_text(PATTERNS), {"pool": "yes"})
    assert isinstance(load_spec_text(PATTERNS).space.map_keys, Choices)


# --- end to end (full tier) ------------------------------------------------------------------------

@pytest.mark.docker
@pytest.mark.slow
def test_an_allocation_pattern_trial_runs_the_service_with_its_options(tmp_path: Path) -> None:
    """``gctune trial`` of the gallery's allocation-patterns example with every option away from its
    default: the service's own start line says it ran with them (one build, one ~6 s run)."""
    out = tmp_path / "trial"
    result = gctune("trial", "experiments/allocation-patterns.yaml", "--set", "map_keys=int", "--set", "pool=true",
                    "--set", "strings=concat", "--set", "pointers=free", "--json", "--out", str(out), timeout=180)
    assert result.returncode == 0, result.stderr
    trial = json.loads(result.stdout)
    assert {k: trial["params"][k] for k in SERVICE_OPTIONS} == {"map_keys": "int", "pool": True,
                                                                "strings": "concat", "pointers": "free"}
    assert trial["gc_cycles"] > 0 and trial["window_complete"] is True
    start = next(json.loads(line) for line in (out / "workload.jsonl").read_text().splitlines()
                 if line.startswith("{") and json.loads(line).get("type") == "start")
    config = start["config"]
    got = (config["map-keys"], config["pool"], config["strings"], config["pointers"])
    assert got == ("int", True, "concat", "free")
