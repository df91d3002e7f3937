"""A short Markdown summary of a run or a night, for ``$GITHUB_STEP_SUMMARY`` or ``--summary-md``.

The full report is report.md; this is the few lines a CI page shows: what to deploy, what it saves,
what the night found.
"""

from __future__ import annotations

import statistics

from orchestrator.definitions import METRICS
from orchestrator.results import Night, Summary
from orchestrator.spec import DEPLOYED_SETTINGS, format_settings
from orchestrator.units import format_mib


def _value(metric: str, value: float | None) -> str:
    if value is None:
        return "-"
    unit = METRICS[metric].unit if metric in METRICS else ""
    if unit == "bytes":
        return format_mib(value)
    return f"{value:.3g}{'%' if unit == '%' else (' ' + unit if unit else '')}"


def summary_markdown(summary: Summary, report: str | None = None) -> str:
    """The recommendation, its saving and its noise verdict, as a few Markdown lines."""
    counts = summary.trial_counts
    lines = [f"### gctune: {summary.experiment} ({summary.run_id})", "",
             f"{counts.get('total', 0)} trials, {counts.get('feasible', 0)} feasible."]
    rec = summary.recommended
    if rec is None:
        lines += ["", "**No feasible configuration**: " + (summary.no_feasible.message if summary.no_feasible else "")]
    else:
        what = "keep Go's defaults" if rec.is_baseline else f"`{format_settings(rec.params, DEPLOYED_SETTINGS)}`"
        lines += ["", f"**Recommended** ({rec.rule}): {what}"]
    if summary.saving is not None:
        saving, metric = summary.saving, summary.saving.metric
        relative = f" ({100 * saving.relative:.0f}%)" if saving.relative is not None else ""
        lines += ["", "| | Go's defaults | recommended | saving |", "|---|---|---|---|",
                  f"| {metric} | {_value(metric, saving.baseline)} | {_value(metric, saving.recommended)} | "
                  f"{_value(metric, saving.absolute)}{relative} |"]
    if summary.runner_up is not None and summary.runner_up.within_noise is not None:
        noise = "within noise of" if summary.runner_up.within_noise else "separated from"
        lines += ["", f"The runner-up (trial {summary.runner_up.trial}) is {noise} the recommendation."]
    if report:
        lines += ["", f"Report: `{report}`"]
    return "\n".join(lines) + "\n"


def night_markdown(night: Night) -> str:
    """Tonight's verdict and each finding."""
    lines = [f"### gctune nightly: {night.experiment} ({night.run_id})", "", f"**Verdict: {night.verdict}**", ""]
    for finding in night.findings:
        if finding.is_test:
            p = "-" if finding.p_value is None else f"{finding.p_value:.3g}"
            mark = "**regression** " if finding.regression else ""
            lines.append(f"- {mark}{finding.kind}: {finding.previous_median:.4g} -> {finding.current_median:.4g} "
                         f"({finding.change_percent:+.1f}% worse, p={p})" + (f"; {finding.note}" if finding.note else ""))
        else:
            lines.append(f"- {finding.kind}: {finding.from_} -> {finding.to}" + (f" ({finding.note})" if finding.note else ""))
    if night.objective_values:
        lines.append(f"\n{night.objective} at the recommendation: median "
                     f"{statistics.median(night.objective_values):.4g} over {len(night.objective_values)} repeats")
    if night.report:
        lines.append(f"\nReport: `{night.report}`")
    return "\n".join(lines) + "\n"
