"""``gctune export`` and the CI summaries: a run's results written for benchstat, Prometheus and CI."""

from __future__ import annotations

import os
from pathlib import Path

from orchestrator.errors import UsageError
from orchestrator.export import benchstat_text, night_markdown, openmetrics_text, summary_markdown
from orchestrator.results import Night, Summary
from orchestrator.store import RunDir

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"


def export_benchstat(run_dir: Path, out: Path | None = None) -> list[Path]:
    """``baseline.txt`` and ``recommended.txt`` (every repeat, Go's benchmark format) for benchstat."""
    store = RunDir.open(Path(run_dir))
    summary, info = store.read_summary(), store.read_info()
    if summary.recommended is None:
        raise UsageError(f"{run_dir}: no recommendation to export (no feasible configuration)")
    folder = Path(out) if out else store.root / "benchstat"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, measured in (("baseline", summary.baseline), ("recommended", summary.recommended)):
        path = folder / f"{name}.txt"
        path.write_text(benchstat_text(summary.experiment, measured, info.fingerprint))
        written.append(path)
    return written


def history_openmetrics(nights: list[Night]) -> str:
    return openmetrics_text(nights)


def write_ci_summary(result: Summary | Night, path: Path | None, report: str | None = None) -> list[Path]:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when set, and write it to ``path``."""
    text = night_markdown(result) if isinstance(result, Night) else summary_markdown(result, report)
    written = []
    if os.environ.get(STEP_SUMMARY_ENV):
        step = Path(os.environ[STEP_SUMMARY_ENV])
        with step.open("a", encoding="utf-8") as handle:
            handle.write(text)
        written.append(step)
    if path is not None:
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
