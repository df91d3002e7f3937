"""Exports read by other tools: Go's benchmark format, OpenMetrics (parsed by the Prometheus client's own
parser) and the CI step summary."""

from __future__ import annotations

import shutil

import pytest

from conftest import DATA, gctune
from orchestrator.app import write_ci_summary
from orchestrator.parsers.gobench import parse_bench
from orchestrator.results import Night, Summary

V1 = DATA / "format-v1"


@pytest.fixture
def run_copy(tmp_path):
    shutil.copytree(V1 / "night-1", tmp_path / "night-1")
    return tmp_path / "night-1"


def test_benchstat_files_hold_every_repeat(run_copy):
    result = gctune("export", str(run_copy), timeout=60)
    assert result.returncode == 0, result.stderr
    summary = Summary.read(run_copy / "summary.json")
    for name, measured in (("baseline", summary.baseline), ("recommended", summary.recommended)):
        text = (run_copy / "benchstat" / f"{name}.txt").read_text()
        parsed = parse_bench(text + "PASS\n")
        assert parsed.config["goos"] == "linux"
        assert len(parsed.results) == measured.repeats == 3
        gc = [r.values["gc-cpu-%"] for r in parsed.results]
        assert gc == pytest.approx(measured.repeat_values("gc_cpu_percent"), rel=1e-5)
        peaks = [r.values["peak-memory-B"] for r in parsed.results]
        assert peaks == pytest.approx(measured.repeat_values("peak_memory_bytes"), rel=1e-5)


def test_history_as_openmetrics_parses_with_the_prometheus_parser(tmp_path):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families

    shutil.copy(V1 / "history.db", tmp_path / "history.db")
    result = gctune("history", str(tmp_path), "--format", "openmetrics", timeout=60)
    assert result.returncode == 0, result.stderr
    families = {f.name: f for f in text_string_to_metric_families(result.stdout)}
    last = Night.read(V1 / "night-2" / "night.json")
    objective = families["gctune_objective"].samples[0]
    assert objective.labels == {"experiment": "format-v1", "objective": "gc_cpu_percent"}
    import statistics
    assert objective.value == pytest.approx(statistics.median(last.objective_values))
    assert families["gctune_regression"].samples[0].value == 0


def test_step_summary_is_appended_where_github_asks(tmp_path, monkeypatch):
    step = tmp_path / "step.md"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    summary = Summary.read(V1 / "night-1" / "summary.json")
    own = tmp_path / "own.md"
    assert write_ci_summary(summary, own, "report.html") == [step, own]
    text = step.read_text()
    assert text.startswith("earlier step\n") and "**Recommended**" in text and "GOGC=" in text
    assert own.read_text() == text.removeprefix("earlier step\n")
    night = Night.read(V1 / "night-2" / "night.json")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    assert write_ci_summary(night, None) == []  # neither asked: nothing written
    write_ci_summary(night, own)
    assert "Verdict: no regression" in own.read_text()
