"""``gctune init``: what it finds in a Go module, and a commented spec that validates, never written
over an existing file without --force."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DATA, ROOT, gctune_in_process
from orchestrator.app import discover_module, init_spec, quickstart_text
from orchestrator.app._init import spec_name
from orchestrator.app._schema import MODELINE
from orchestrator.errors import UsageError
from orchestrator.spec import GoBenchWorkload, GoPackageWorkload, ServiceWorkload, load_spec, read_spec_data

BENCH_ONLY = {
    "go.mod": "module github.com/acme/ringbuf\n\ngo 1.26\n",
    "ring.go": "package ringbuf\n\ntype Ring struct{ items []int }\n",
    "ring_test.go": ('package ringbuf\n\nimport "testing"\n\n'
                     "func BenchmarkPush(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n\t}\n}\n\n"
                     "func BenchmarkPop(bb *testing.B) {}\n\nfunc Benchmarkhelper(b *testing.B) {}\n"
                     "func TestRing(t *testing.T) {}\n"),
}


def write_module(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def usermod(tmp_path: Path) -> Path:
    return Path(shutil.copytree(DATA / "usermod", tmp_path / "usermod"))


def test_it_finds_the_main_package_benchmarks_and_go_line_of_usermod() -> None:
    module = discover_module(DATA / "usermod" / "cache")  # from inside the module too
    assert module.root == DATA / "usermod" and module.path == "example.com/usermod"
    assert module.go_line == "1.21" and module.toolchain is None
    assert module.mains == (DATA / "usermod" / "cmd" / "churn",) and module.servers == ()
    assert [(b.folder.name, b.names) for b in module.benchmarks] == [("cache", ("BenchmarkPut", "BenchmarkGet"))]
    assert not module.vendored and module.downloads == ()


def test_the_written_spec_validates_and_runs_the_main_package(usermod: Path) -> None:
    result = init_spec(usermod)
    assert result.path == usermod / "gctune.yaml" and result.workload == "go_package: ./cmd/churn"
    spec = load_spec(result.path)
    assert isinstance(spec.workload, GoPackageWorkload) and spec.workload.go_package == usermod / "cmd" / "churn"
    assert spec.name == "usermod" and spec.workload.duration is None  # churn ends by itself
    text = result.path.read_text()
    assert "benchmarks in ./cache: BenchmarkPut, BenchmarkGet" in text and "go 1.21" in text
    assert "Go 1.25+ keeps the old GOMAXPROCS" in text  # the go line is older than 1.25
    comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) > 20  # a commented spec, not a bare one


def test_the_benchmark_alternative_in_the_comments_validates_when_uncommented(usermod: Path) -> None:
    text = init_spec(usermod).path.read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "# go_bench:")
    bench = [line.replace("  # ", "  ", 1) for line in lines[start:start + 5]]
    workload = lines.index("workload:")
    end = next(i for i in range(workload + 1, len(lines)) if not lines[i].startswith("  "))
    swapped = usermod / "bench.yaml"
    swapped.write_text("\n".join([*lines[:workload + 1], *bench, *lines[end:]]) + "\n")
    spec = load_spec(swapped)
    assert isinstance(spec.workload, GoBenchWorkload) and spec.workload.go_bench.package == usermod / "cache"


def test_a_module_of_benchmarks_only_gets_go_bench_with_a_guard(tmp_path: Path) -> None:
    root = write_module(tmp_path / "ringbuf", BENCH_ONLY)
    module = discover_module(root)
    assert module.mains == () and module.benchmarks[0].names == ("BenchmarkPush", "BenchmarkPop")
    result = init_spec(root)
    spec = load_spec(result.path)
    assert isinstance(spec.workload, GoBenchWorkload) and spec.workload.go_bench.package == root
    assert spec.name == "ringbuf" and result.workload == "go_bench: ."
    guard = [c for c in spec.constraints if c.metric == "ns_per_op"]
    assert guard and guard[0].baseline_factor == 1.05
    assert "Go 1.25+ keeps the old GOMAXPROCS" not in result.path.read_text()  # go 1.26


def test_vendor_toolchain_and_servers_are_read(tmp_path: Path) -> None:
    root = write_module(tmp_path / "svc", {
        "go.mod": ("module example.com/svc\n\ngo 1.22\n\ntoolchain go1.24.11\n\nrequire (\n"
                   "\tgithub.com/acme/log v1.2.0\n\texample.com/local v0.0.0 // indirect\n)\n\n"
                   "require github.com/acme/cfg v0.1.0\n\nreplace example.com/local => ../local\n"),
        "cmd/server/main.go": ('package main\n\nimport "net/http"\n\nfunc main() {\n'
                               '\thttp.ListenAndServe(":8080", nil)\n}\n'),
        "cmd/tool/main.go": "package main\n\nfunc main() {}\n",
        "cmd/gen/main.go": "//go:build ignore\n\npackage main\n\nfunc main() {}\n",
        "vendor/github.com/acme/log/main.go": "package main\n\nfunc main() {}\n",
        "testdata/prog/main.go": "package main\n\nfunc main() {}\n",
        "nested/go.mod": "module example.com/nested\n\ngo 1.22\n",
        "nested/main.go": "package main\n\nfunc main() {}\n",
    })
    module = discover_module(root)
    assert [m.relative_to(root).as_posix() for m in module.mains] == ["cmd/server", "cmd/tool"]
    assert module.servers == (root / "cmd" / "server",)
    assert module.toolchain == "go1.24.11" and module.go_line == "1.22"
    assert module.downloads == ("github.com/acme/cfg", "github.com/acme/log")  # the replaced one is on disk
    text = init_spec(root).path.read_text()
    assert "run `go mod vendor`" in text and 'version: "1.24.11"' in text
    assert load_spec(root / "gctune.yaml").workload.duration == 20.0  # a server is stopped after warmup + 20s
    (root / "vendor" / "modules.txt").write_text("# github.com/acme/log v1.2.0\n")
    assert "-mod=vendor" in init_spec(root, force=True).path.read_text()


def test_the_spec_can_be_written_elsewhere_with_paths_relative_to_it(usermod: Path, tmp_path: Path) -> None:
    out = tmp_path / "specs" / "usermod.yaml"
    result = init_spec(usermod, out)
    assert result.path == out and "go_package: ../usermod/cmd/churn" in out.read_text()
    assert load_spec(out).workload.go_package == usermod / "cmd" / "churn"


def test_it_never_overwrites_without_force(usermod: Path) -> None:
    target = usermod / "gctune.yaml"
    target.write_text("# mine\n")
    with pytest.raises(UsageError, match="already exists; pass --force"):
        init_spec(usermod)
    assert target.read_text() == "# mine\n"
    init_spec(usermod, force=True)
    assert load_spec(target).name == "usermod"


def test_the_cli_exits_2_on_an_existing_file_and_writes_with_force(usermod: Path) -> None:
    first = gctune_in_process("init", str(usermod))
    assert first.returncode == 0 and "wrote" in first.stdout
    assert "1 main package(s) and 2 benchmark(s)" in first.stdout
    second = gctune_in_process("init", str(usermod))
    assert second.returncode == 2 and "already exists; pass --force" in second.stderr
    assert "Traceback" not in second.stderr
    assert gctune_in_process("init", str(usermod), "--force").returncode == 0


def test_builtin_writes_the_quickstart(tmp_path: Path) -> None:
    result = init_spec(tmp_path, builtin=True)
    spec = load_spec(result.path)
    assert isinstance(spec.workload, ServiceWorkload) and spec.name == "quickstart"
    assert read_spec_data(result.path) == read_spec_data(ROOT / "experiments" / "quickstart.yaml")
    assert f"gctune run {result.path}" in result.path.read_text()


def test_the_gallery_quickstart_is_the_one_init_writes() -> None:
    path = ROOT / "experiments" / "quickstart.yaml"
    assert path.read_text() == f"{MODELINE}\n{quickstart_text('experiments/quickstart.yaml')}"


@pytest.mark.parametrize(("files", "message"), [
    ({}, "not inside a Go module"),
    ({"go.mod": "module example.com/lib\n\ngo 1.21\n", "lib.go": "package lib\n"},
     "no main package and no Benchmark function found"),
])
def test_nothing_to_run_is_a_usage_error(tmp_path: Path, files: dict[str, str], message: str) -> None:
    root = write_module(tmp_path / "m", files) if files else tmp_path
    with pytest.raises(UsageError, match=message):
        init_spec(root)
    assert not (root / "gctune.yaml").exists()


@pytest.mark.parametrize(("module_path", "name"), [
    ("example.com/usermod", "usermod"), ("github.com/acme/api/v2", "v2"), ("my module!", "my-module"),
    ("", "gctune"),
])
def test_the_spec_name_comes_from_the_module_path(module_path: str, name: str) -> None:
    assert spec_name(module_path) == name
