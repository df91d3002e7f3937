"""The report as Markdown for a pull request or a wiki; figures are PNG files linked relatively."""

from __future__ import annotations

from typing import Any

from orchestrator.report._format import (
    SETTING_ORDER, TREND_HEADERS, VERSION_HEADERS, analysis_items, label, metric_value, setting_value, settings_text,
    trend_rows, version_rows)
from orchestrator.report._plots import trial_kind
from orchestrator.report._report import Report

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
    lines += _headline(report) + _warnings(report) + _snippets(report) + _comparison(report) + _trend(report)
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
    if head.runner_up:
        runner = head.runner_up
        noise = {True: "within noise", False: "clearly worse", None: "noise unknown"}[runner.get("within_noise")]
        lines.append(f"- Runner-up: trial {md(runner.get('trial'))}, "
                     f"{md(settings_text(runner.get('params'), ('GOGC', 'GOMEMLIMIT', 'GOMAXPROCS')))} ({noise})")
    production = f" (production: {md(report.production_go)})" if report.production_go else ""
    lines.append(f"- Go version measured: **{md(head.go_version or 'unknown')}**{production}")
    lines.append(f"- Workload: {md(head.workload)}; container: {md(head.container)}")
    counts = head.trial_counts
    lines.append(f"- Trials: {counts.get('total', 0)} trials, {counts.get('feasible', 0)} feasible, "
                 f"{counts.get('infeasible', 0)} broke a constraint")
    return lines + [""]


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
    base = data.baseline
    rec = data.recommended if (data.recommended or {}).get("trial") != "baseline" else None
    if not base:
        return []
    header = ["metric", "Go's defaults" + (" (recommended)" if data.recommended and not rec else "")]
    header += [f"recommended (trial {md(rec.get('trial'))})"] if rec else []
    lines = ["## Go's defaults against the recommendation", "", "Medians over the repeats.", "", _row(header),
             _row(["---"] * len(header))]
    for name in SETTING_ORDER:
        cells = [setting_value(name, (e.get("params") or {}).get(name), e.get("params")) for e in [base] +
                 ([rec] if rec else [])]
        lines.append(_row([code(name)] + [md(c) for c in cells]))
    for metric in report.compared_metrics():
        entries = [base] + ([rec] if rec else [])
        values = [(e.get("metrics") or {}).get(metric) for e in entries]
        if all(v is None for v in values):
            continue
        lines.append(_row([code(metric)] + [md(metric_value(metric, v)) for v in values]))
    return lines + [""]


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
    metrics = [m for m, _ in data.objectives]
    metrics += [m for m in ("gc_cpu_percent", "peak_memory_bytes") if m not in metrics]
    columns, _ = report.trial_columns()
    header = ["trial", "result"] + columns + [md(label(m)) for m in metrics]
    shared = report.constant_settings_text()
    lines = ["## Trials", "", "Values are medians over the repeats; the recommended trial is in bold."
             + (f" Every run used {md(shared)}." if shared else ""), "", _row(header), _row(["---"] * len(header))]
    rec_trial = (data.recommended or {}).get("trial")
    entries: list[tuple[Any, dict[str, Any]]] = [("baseline", data.baseline)] if data.baseline else []
    entries += [(t.get("trial"), t) for t in data.trials]
    for number, entry in entries:
        params = entry.get("params") or {}
        result = "Go's defaults" if number == "baseline" else {
            "feasible": "feasible", "infeasible": "broke a constraint", "oom": "OOM-killed",
            "thrashing": "thrashing", "skipped": "skipped", "failed": "failed"}[trial_kind(entry)]
        if number == "baseline" and entry.get("outcome") not in (None, "ok"):
            result += f" ({entry.get('outcome')})"
        cells = [md(number), md(result)] + [md(setting_value(n, params.get(n), params)) for n in columns]
        cells += [md(metric_value(m, (entry.get("metrics") or {}).get(m))) for m in metrics]
        if number == rec_trial and number != "baseline":
            cells = [f"**{c}**" for c in cells]
        lines.append(_row(cells))
    return lines + [""]


def _method(report: Report) -> list[str]:
    data = report.data
    info = data.run_info
    engine = info.get("engine") or {}
    constraints = data.summary.get("constraints") or []
    lines = ["## How this was measured", "",
             f"- Objectives: {md(', '.join(f'{d} {m}' for m, d in data.objectives) or '-')}",
             f"- Constraints: {md('; '.join(constraints) or 'none')} (plus gctune's own: no OOM kill, no GC "
             "thrashing, runnable configuration)",
             f"- Go toolchain: {md(info.get('go_toolchain') or data.go_version or 'unknown')}; image "
             f"{code(info.get('image') or '-')}",
             f"- Engine: Docker {md(engine.get('docker', '?'))}, cgroup v{md(engine.get('cgroup', '?'))}, "
             f"{md(engine.get('host_cpus', '?'))} host CPUs"]
    skipped = [p for p in report.plots if p.png is None]
    if skipped:
        lines.append("- Figures not drawn: " + "; ".join(f"{md(p.title)}: {md(p.note)}" for p in skipped))
    return lines + [""]
