"""Report stage: turn a finished (or interrupted) run directory into HTML, Markdown and JSON reports.

    run dir -> load (_data) -> measure (_headline, _warnings, _snippets, _importance, _effects) -> draw (_plots)
            -> present (_html, _markdown, report.json)

Only :mod:`orchestrator.report._data` reads files; only :mod:`orchestrator.report._write` writes them.
The report reads results only through the typed models of :mod:`orchestrator.results`, and is given
everything it shows that lives elsewhere (a nightly run's history) by its caller.
"""

from orchestrator.report._data import ReportData, TraceRun, load_report_data
from orchestrator.report._effects import OptionEffect, option_effects
from orchestrator.report._format import median_range
from orchestrator.report._headline import Confidence, Expected, Headline, build_headline
from orchestrator.report._html import render_html
from orchestrator.report._importance import Importance, compute_importance
from orchestrator.report._markdown import render_markdown
from orchestrator.report._plots import Plot, render_plots
from orchestrator.report._report import PLOT_FOLDER, Report, build_report
from orchestrator.report._snippets import Snippet, build_snippets
from orchestrator.report._warnings import ReportWarning, find_warnings
from orchestrator.report._write import FORMATS, write_reports

__all__ = [
    "FORMATS", "PLOT_FOLDER",
    "Confidence", "Expected", "Headline", "Importance", "OptionEffect", "Plot", "Report", "ReportData", "ReportWarning",
    "Snippet", "TraceRun",
    "build_headline", "build_report", "build_snippets", "compute_importance", "find_warnings", "load_report_data",
    "median_range", "option_effects", "render_html", "render_markdown", "render_plots", "write_reports",
]
