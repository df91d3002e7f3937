"""``write_reports``: read a run directory, build the report, write it in the asked formats."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from orchestrator.errors import UsageError
from orchestrator.results import Night
from orchestrator.report._data import load_report_data
from orchestrator.report._html import render_html
from orchestrator.report._markdown import render_markdown
from orchestrator.report._report import PLOT_FOLDER, Report, build_report

FORMATS = ("html", "md", "json")
FILENAMES = {"html": "report.html", "md": "report.md", "json": "report.json"}


def write_reports(run_dir: Path, formats: Sequence[str] = FORMATS, production_go: str | None = None,
                  nights: Sequence[Night] = ()) -> list[Path]:
    """Write report.html, report.md and/or report.json into ``run_dir``; return their paths in that order.

    report.md links its figures as ``report-files/*.png`` beside it; those PNGs are written whenever
    Markdown or JSON is asked for. ``production_go`` (e.g. ``1.24``) is the Go release production runs,
    to warn when it differs from the one measured. Raises UsageError for a folder that is not a run
    directory, one without summary.json, or an unknown format. ``nights`` is a nightly run's history up
    to this night (oldest first), for the trend section.
    """
    wanted = _formats(formats)
    report = build_report(load_report_data(Path(run_dir), nights), production_go)
    root = Path(run_dir)
    files = {name: (FILENAMES[name] if name in wanted else None) for name in FORMATS}
    if "md" in wanted or "json" in wanted:
        _write_plots(root, report)
    written = []
    for name in FORMATS:
        if name not in wanted:
            continue
        path = root / FILENAMES[name]
        if name == "html":
            _atomic_write(path, render_html(report).encode("utf-8"))
        elif name == "md":
            _atomic_write(path, render_markdown(report).encode("utf-8"))
        else:
            text = json.dumps(report.to_dict(files), indent=2, default=str) + "\n"
            _atomic_write(path, text.encode("utf-8"))
        written.append(path)
    return written


def _formats(formats: Sequence[str]) -> list[str]:
    if isinstance(formats, str):
        formats = [formats]
    chosen = [f.strip().lower() for f in formats]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        what = f"unknown report format {', '.join(repr(f) for f in unknown)}" if unknown else "no report format"
        raise UsageError(f"{what}; valid formats: {', '.join(FORMATS)}")
    return list(dict.fromkeys(chosen))


def _write_plots(root: Path, report: Report) -> None:
    """The figures as PNG files; stale figures of an earlier report are removed."""
    folder = root / PLOT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    current = {p.filename for p in report.plots if p.png is not None}
    for old in folder.glob("*.png"):
        if old.name not in current:
            old.unlink()
    for plot in report.plots:
        if plot.png is not None:
            _atomic_write(folder / plot.filename, plot.png)


def _atomic_write(path: Path, content: bytes) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)
