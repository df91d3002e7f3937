"""Bring your own Go: a user main package, a benchmark package, a prebuilt image, two Go versions,
profiles and escape analysis - each through a real study on Docker."""

from __future__ import annotations

import io
import json
import shutil
import tarfile

import pytest

from conftest import DATA, ROOT, gctune

pytestmark = [pytest.mark.docker, pytest.mark.slow]

USERMOD = DATA / "usermod"
CONTAINER = "container: {cpus: 1, memory: 256MiB}\n"


def study(tmp_path, text: str, name: str) -> dict:
    """Run `gctune run` on a spec written next to the user's module; return summary.json."""
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(f"name: {name}\n" + text)
    result = gctune("run", str(spec), "--results-dir", str(tmp_path / "results"), "--run-id", "r", "--json",
                    timeout=900)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def module_copy(tmp_path_factory):
    """The user's module, beside the specs (paths in a spec are relative to the spec file)."""
    root = tmp_path_factory.mktemp("user")
    shutil.copytree(USERMOD, root / "usermod")
    shutil.copytree(ROOT / "examples" / "instrumented", root / "instrumented")
    shutil.copytree(ROOT / "orchestrator" / "workloads" / "reporter", root / "reporter")
    go_mod = root / "instrumented" / "go.mod"
    go_mod.write_text(go_mod.read_text().replace("../../orchestrator/workloads/reporter", "../reporter"))
    return root


def test_a_user_main_package_is_built_run_and_measured_from_its_gctrace(module_copy):
    summary = study(module_copy, """
workload: {go_package: ./usermod/cmd/churn, args: ["-entries", "30000", "-duration", "2s"], warmup: 500ms}
""" + CONTAINER + """
space:
  GOGC: [50, 200]
search: {sampler: grid, trials: 2}
""", "churn")
    run_dir = module_copy / "results" / "churn" / "r"
    assert summary["trial_counts"]["total"] == 2
    for trial in summary["trials"]:
        metrics = trial["metrics"]
        assert trial["outcome"] == "ok" and metrics["metrics_source"] == "gctrace"
        assert metrics["gc_cycles"] > 0 and 0 < metrics["gc_cpu_percent"] <= 100
        assert metrics["go_version"].startswith("go1.")
        assert metrics["cpu_seconds"] > 0  # from the container's cgroup
        stdout = (run_dir / "trials" / f"{trial['trial']:04d}" / "repeat-1" / "workload.jsonl").read_text()
        assert stdout.startswith("churn: ")  # the program's own output is kept
    gogc = {t["params"]["GOGC"]: t["metrics"]["gc_cycles"] for t in summary["trials"]}
    assert gogc[50] > gogc[200]  # the setting really reached the program


def test_a_benchmark_package_yields_per_op_metrics_usable_in_constraints(module_copy):
    summary = study(module_copy, """
workload:
  go_bench: {package: ./usermod/cache, bench: BenchmarkPut, benchtime: 20000x}
""" + CONTAINER + """
space:
  GOGC: [25, 400]
constraints: ["ns_per_op <= 3 * baseline"]
search: {sampler: grid, trials: 2}
analysis: {profiles: true, escape: true}
""", "bench")
    baseline = summary["baseline"]["metrics"]
    assert baseline["ns_per_op"] > 0 and baseline["bytes_per_op"] >= 512 and baseline["allocs_per_op"] >= 1
    for trial in summary["trials"]:
        assert "ns_per_op <= 3 * baseline" in trial["violations"]
        assert trial["metrics"]["ns_per_op"] > 0
    run_dir = module_copy / "results" / "bench" / "r"
    analysis = json.loads((run_dir / "analysis.json").read_text())
    for name in ("baseline", "recommended"):
        if name not in analysis["profiles"]:
            continue
        for file in analysis["profiles"][name]["files"]:
            assert (run_dir / file).read_bytes()[:2] == b"\x1f\x8b"  # pprof files are gzipped protobuf
    assert analysis["profiles"]["baseline"]["files"]
    escape = analysis["escape"]
    assert escape["sites"] > 0 and (run_dir / escape["file"]).read_text().count("escapes to heap") > 0
    assert "Profiles and escape analysis" in (run_dir / "report.html").read_text()


def test_a_program_using_the_reporter_gets_windowed_runtime_metrics_and_profiles(module_copy):
    summary = study(module_copy, """
workload: {go_package: ./instrumented, args: ["-duration", "3s"], warmup: 1s}
""" + CONTAINER + """
space:
  GOGC: 100
search: {trials: 1}
analysis: {profiles: true}
""", "instrumented")
    metrics = summary["trials"][0]["metrics"]
    assert metrics["metrics_source"] == "runtime samples" and metrics["window_complete"]
    assert 0 < metrics["gc_cpu_percent"] <= 100 and metrics["wall_seconds"] > 1
    run_dir = module_copy / "results" / "instrumented" / "r"
    profiles = json.loads((run_dir / "analysis.json").read_text())["profiles"]["baseline"]
    assert sorted(f.rsplit("/", 1)[-1] for f in profiles["files"]) == ["cpu.pprof", "heap.pprof"]


def test_an_image_built_outside_gctune_runs_with_the_same_settings(tmp_path, docker_client, toolchain):
    binary = tmp_path / "churn"
    built = toolchain.run(["build", "-o", str(binary), "./cmd/churn"], cwd=USERMOD)
    assert built.returncode == 0, built.stderr
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        dockerfile = b'FROM scratch\nCOPY churn /churn\nENTRYPOINT ["/churn"]\n'
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(binary, arcname="churn")
    context.seek(0)
    docker_client.images.build(fileobj=context, custom_context=True, tag="gctune-test/external:1", rm=True)
    summary = study(tmp_path, """
workload: {image: "gctune-test/external:1", command: ["-duration", "2s"]}
""" + CONTAINER + """
space:
  GOGC: [50, 200]
search: {sampler: grid, trials: 2}
""", "external")
    assert {t["params"]["GOGC"] for t in summary["trials"]} == {50, 200}
    assert all(t["metrics"]["gc_cycles"] > 0 for t in summary["trials"])
    absent = tmp_path / "absent.yaml"
    absent.write_text("name: absent\nworkload: {image: 'gctune-test/absent:1'}\n")
    missing = gctune("trial", str(absent))
    assert missing.returncode == 2 and "no local image 'gctune-test/absent:1'" in missing.stderr


def test_one_study_compares_two_go_versions(tmp_path):
    summary = study(tmp_path, """
workload: {builtin: service, live_heap: 16MiB, warmup: 500ms, duration: 1500ms}
""" + CONTAINER + """
space:
  go_version: ["1.24.11", "1.27.3"]
search: {sampler: grid, trials: 2}
""", "versions")
    built = {t["params"]["go_version"]: t["metrics"]["go_version"] for t in summary["trials"]}
    assert built == {"1.24.11": "go1.24.11", "1.27.3": "go1.27.3"}
    assert set(summary["by_go_version"] or {}) == {"1.24.11", "1.27.3"}
    report = (tmp_path / "results" / "versions" / "r" / "report.html").read_text()
    assert "Per Go version" in report and "go1.24.11" in report


def test_a_missing_dependency_says_to_vendor_it(tmp_path):
    module = tmp_path / "needsdep"
    (module / "cmd").mkdir(parents=True)
    (module / "go.mod").write_text("module example.com/needsdep\n\ngo 1.21\n\nrequire example.com/absent v1.2.3\n")
    (module / "cmd" / "main.go").write_text(
        'package main\n\nimport "example.com/absent"\n\nfunc main() { absent.Run() }\n')
    spec = tmp_path / "dep.yaml"
    spec.write_text("name: dep\nworkload: {go_package: ./needsdep/cmd}\n")
    result = gctune("trial", str(spec))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "go build of" in result.stderr and "go mod vendor" in result.stderr
