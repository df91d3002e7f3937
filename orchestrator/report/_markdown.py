"""The report as Markdown for a pull request or a wiki; figures are PNG files linked relatively."""

from __future__ import annotations

from typing import Any

from orchestrator.report._analysis import Entry
from orchestrator.report._decision import decision_lines
from orchestrator.report._format import (
    EFFECTS_NOTE, TREND_HEADERS, VERSION_HEADERS, analysis_items, effect_text, engine_text, label, metric_value,
    noise_word, result_text, trend_rows, trials_text, version_rows)
from orchestrator.report._report import Report
from orchestrator.results import Measured
from orchestrator.spec import DEPLOYED_SETTINGS, RUNTIME_SETTINGS, format_setting, format_settings

_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|#"})


def md(value: Any) -> str:
    """Escape text so Markdown shows it literally (no emphasis, links, HTML or table breaks)."""
    return str(value).replace("\n", " ").translate(_SPECIAL)


def rich(value: Any) -> str:
    """Like :func:`md`, and text between backticks stays inline code."""
    parts = str(value).split("`")
    if len(parts) % 2 == 0:
        return md(value)
    return "".join(code(p) if i % 2 else md(p) for i, p in enumerate(parts))


def code(value: Any) -> str:
    """An inline code span that survives backticks in the text."""
    text = str(value).replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def render_markdown(report: Report) -> str:
    """The whole document."""
    data, head = report.data, report.headline
    lines = [f"# gctune report: {md(data.experiment)}", "",
             f"Run {code(data.run_id)} · {'finished' if head.finished else 'unfinished'} · measured with Go "
             f"**{md(head.go_version or 'unknown')}** · generated {md(report.generated_at)}", ""]
    lines += _headline(report) + _decision(report) + _warnings(report) + _snippets(report) + _comparison(report) + _effects(report)
    lines += _trend(report)
    lines += _versions(report) + _analysis(report)
    lines += _plots(report)
    lines += _trials(report) + _method(report)
    return "\n".join(lines).rstrip() + "\n"


def _headline(report: Report) -> list[str]:
    head = report.headline
    lines = ["## Recommendation", "", f"**{md(head.verdict)}**", ""]
    for expected in head.expected:
        lines.append(f"- Expected {md(label(expected.metric))} ({code(expected.metric)}): {md(expected.text)}")
    if head.saving_text:
        lines.append(f"- Saving: {md(head.saving_text)}")
    if head.headroom_text:
        lines.append(f"- Headroom: {md(head.headroom_text)}")
    lines.append(f"- Confidence: **{md(head.confidence.level)}** ({md('; '.join(head.confidence.reasons))})")
    runner = report.data.summary.runner_up
    if runner:
        lines.append(f"- Runner-up: trial {md(runner.trial)}, {md(format_settings(runner.params, RUNTIME_SETTINGS))} "
                     f"({noise_word(runner.within_noise)})")
    production = f" (production: {md(report.production_go)})" if report.production_go else ""
    lines.append(f"- Go version measured: **{md(head.go_version or 'unknown')}**{production}")
    lines.append(f"- Workload: {md(head.workload)}; container: {md(head.container)}")
    lines.append(f"- Space searched: {md(head.space)}")
    lines.append(f"- Trials: {md(trials_text(head.trial_counts))}")
    return lines + [""]


def _decision(report: Report) -> list[str]:
    decision = report.data.summary.decision
    if decision is None:
        return []
    return ["## Decision (racing the leaders and Go's defaults)", ""] + [f"- {md(line)}" for line in
                                                                        decision_lines(decision)] + [""]


def _warnings(report: Report) -> list[str]:
    lines = ["## Warnings", ""]
    if not report.warnings:
        return lines + ["None: nothing in this run calls for caution.", ""]
    for warning in report.warnings:
        kind = "Warning" if warning.severity == "warning" else "Note"
        lines.append(f"- **{kind}:** {rich(warning.message)}")
    return lines + [""]


def _snippets(report: Report) -> list[str]:
    lines = ["## Deployable settings", ""]
    if not report.snippets:
        return lines + ["None: there is no recommendation to deploy.", ""]
    for snippet in report.snippets:
        fence = "````" if "```" in snippet.text else "```"
        lines += [f"### {md(snippet.name)} ({code(snippet.filename)})", "", rich(snippet.reason), "",
                  f"{fence}{snippet.language}", snippet.text.rstrip(), fence, ""]
    return lines


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _comparison(report: Report) -> list[str]:
    data = report.data
    rec = data.tuned
    header = ["metric", "Go's defaults" + (" (recommended)" if data.recommended and not rec else "")]
    header += [f"recommended (trial {md(rec.trial)})"] if rec else []
    lines = ["## Go's defaults against the recommendation", "", "Medians over the repeats.", "", _row(header),
             _row(["---"] * len(header))]
    entries: list[Measured] = [data.baseline] + ([rec] if rec else [])
    for name in DEPLOYED_SETTINGS:
        cells = [format_setting(name, e.params.get(name), e.params) for e in entries]
        lines.append(_row([code(name)] + [md(c) for c in cells]))
    for metric in report.compared_metrics():
        values = [e.metrics.get(metric) for e in entries]
        if all(v is None for v in values):
            continue
        lines.append(_row([code(metric)] + [md(metric_value(metric, v)) for v in values]))
    return lines + [""]


def _effects(report: Report) -> list[str]:
    """Categorical settings with matched pairs: what switching each one did."""
    if not report.effects:
        return []
    return ["## Option effects", "", md(EFFECTS_NOTE), ""] + [f"- {md(effect_text(e))}" for e in report.effects] + [""]


def _versions(report: Report) -> list[str]:
    """Studies over several Go versions: the recommendation per version."""
    rows = version_rows(report.data.summary)
    if not rows:
        return []
    lines = ["## Per Go version", "", _row(list(VERSION_HEADERS)), _row(["---"] * len(VERSION_HEADERS))]
    return lines + [_row([md(c) for c in row]) for row in rows] + [""]


def _analysis(report: Report) -> list[str]:
    """Links to the pprof profiles and the escape-analysis output."""
    items = analysis_items(report.data.analysis)
    if not items:
        return []
    return ["## Profiles and escape analysis", ""] + [
        f"- [{md(text)}]({link})" if link else f"- {md(text)}" for text, link in items] + [""]


def _trend(report: Report) -> list[str]:
    """Nightly runs only: one row per night, with its verdict."""
    if not report.data.nights:
        return []
    lines = ["## Trend", "", _row(list(TREND_HEADERS)), _row(["---"] * len(TREND_HEADERS))]
    lines += [_row([md(c) for c in cells]) for cells in trend_rows(report.data.nights)]
    return lines + [""]


def _plots(report: Report) -> list[str]:
    lines = ["## Figures", ""]
    for plot in report.plots:
        lines += [f"### {md(plot.title)}", ""]
        path = report.plot_path(plot)
        if path is None:
            lines += [f"_{md(plot.note or 'Not drawn.')}_", ""]
            continue
        note = f" {md(plot.note)}" if plot.note else ""
        lines += [f"![{md(plot.title)}]({path})", "", md(plot.caption) + note, ""]
    return lines


def _trials(report: Report) -> list[str]:
    data = report.data
    if not data.trials:
        return ["## Trials", "", "No trial has finished yet.", ""]
    metrics = report.trial_metrics()
    columns, _ = report.trial_columns()
    header = ["trial", "result"] + columns + [md(label(m)) for m in metrics]
    shared = report.constant_settings_text()
    lines = ["## Trials", "", "Values are medians over the repeats; the recommended trial is in bold."
             + (f" Every run used {md(shared)}." if shared else ""), "", _row(header), _row(["---"] * len(header))]
    rec = data.tuned
    rows: list[tuple[int | str, Entry]] = [("baseline", data.baseline), *((t.trial, t) for t in data.trials)]
    for number, entry in rows:
        params = entry.params
        cells = [md(number), md(result_text(entry))] + [md(format_setting(n, params.get(n), params)) for n in columns]
        cells += [md(metric_value(m, entry.metrics.get(m))) for m in metrics]
        if rec is not None and number == rec.trial:
            cells = [f"**{c}**" for c in cells]
        lines.append(_row(cells))
    return lines + [""]


def _method(report: Report) -> list[str]:
    data = report.data
    info = data.run_info
    constraints = data.summary.constraints
    lines = ["## How this was measured", "",
             f"- Objectives: {md(', '.join(f'{d} {m}' for m, d in data.objectives) or '-')}",
             f"- Constraints: {md('; '.join(constraints) or 'none')} (plus gctune's own: no OOM kill, no GC "
             "thrashing, runnable configuration)",
             f"- Go toolchain: {md(info.go_toolchain or data.go_version or 'unknown')}; image "
             f"{code(info.image or '-')}",
             f"- Engine: {md(engine_text(info))}"]
    skipped = [p for p in report.plots if p.png is None]
    if skipped:
        lines.append("- Figures not drawn: " + "; ".join(f"{md(p.title)}: {md(p.note)}" for p in skipped))
    return lines + [""]
