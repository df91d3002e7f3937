"""The README stays true: its commands exist, CI calls the test command, the metric table is current."""

from __future__ import annotations

from conftest import ROOT
from orchestrator.definitions import METRICS


def test_readme_metric_table_matches_the_definitions():
    readme = (ROOT / "README.md").read_text()
    for metric in METRICS.values():
        assert f"| `{metric.name}` |" in readme, metric.name
        assert metric.definition in readme, f"README definition of {metric.name} is out of date"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "    scripts/test\n" in readme and "    scripts/quickstart\n" in readme
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
    for script in ("scripts/test", "scripts/quickstart", "scripts/setup", "scripts/ensure-docker", ".ci/run"):
        assert (ROOT / script).stat().st_mode & 0o111, f"{script} is not executable"


def test_results_folder_is_ignored_except_its_readme():
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "results/*" in ignore and "!results/README.md" in ignore
