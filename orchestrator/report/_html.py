"""The report as one self-contained HTML page: inline CSS, figures as PNG data URIs, no script.

Every string that comes from the run (names, settings, constraint texts, reasons) goes through
:func:`esc`, which HTML-escapes it and breaks any ``://`` so no text can become an external link.
"""

from __future__ import annotations

import base64
import html
from typing import Any

from orchestrator.definitions import METRICS
from orchestrator.report._analysis import Entry, spread_of
from orchestrator.report._decision import decision_lines
from orchestrator.report._format import (
    EFFECTS_NOTE, TREND_HEADERS, VERSION_HEADERS, analysis_items, effect_text, engine_text, label, metric_value,
    noise_word, result_text, spread_text, trend_rows, trials_text, version_rows)
from orchestrator.report._report import Report
from orchestrator.results import Measured
from orchestrator.spec import DEPLOYED_SETTINGS, RUNTIME_SETTINGS, format_setting, format_settings

CSS = """
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1b1b1b; background: #fff; overflow-wrap: anywhere; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; }
h1 { font-size: 1.6em; margin: 0.4em 0 0.1em; }
h2 { font-size: 1.25em; margin: 1.8em 0 0.5em; padding-bottom: 4px; border-bottom: 2px solid #ddd; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
p, li { max-width: 75em; }
.sub { color: #555; margin: 0; }
.verdict { font-size: 1.2em; font-weight: 600; margin: 0.2em 0 0.6em; }
.card { border: 2px solid #1f4e99; border-radius: 6px; padding: 12px 16px; background: #f5f8fd; }
.card.none { border-color: #b2182b; background: #fdf5f5; }
.facts { display: grid; grid-template-columns: minmax(8em, max-content) minmax(0, 1fr); gap: 4px 16px;
         margin: 0; }
.facts dt { font-weight: 600; }
.facts dd { margin: 0; min-width: 0; }
.badge { display: inline-block; padding: 0 8px; border: 1px solid currentColor; border-radius: 10px;
         font-size: 0.85em; font-weight: 600; }
.level-high { color: #1a6b35; } .level-medium { color: #8a5a00; } .level-low, .level-none { color: #b2182b; }
ul.warnings { list-style: none; padding: 0; margin: 0; }
ul.warnings li { margin: 0 0 8px; padding: 8px 12px; border-left: 6px solid #b2182b; background: #fdf3f3; }
ul.warnings li.note { border-left: 6px dashed #8a8a8a; background: #f6f6f6; }
ul.warnings .kind { font-weight: 700; margin-right: 6px; }
.snippets { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 16px; }
.snippet { min-width: 0; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; }
.snippet h3 { margin-top: 0.2em; }
.snippet p { margin: 0.2em 0 0.5em; color: #333; font-size: 0.93em; }
pre { margin: 0; padding: 10px 12px; background: #f4f4f4; border: 1px solid #e2e2e2; border-radius: 4px;
      white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-word; max-width: 100%;
      font: 13px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
code { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
figure { margin: 1.2em 0 1.8em; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { color: #444; font-size: 0.92em; margin-top: 6px; }
p.skipped { color: #555; font-style: italic; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; margin: 0.4em 0 1em; }
th, td { border: 1px solid #d6d6d6; padding: 4px 8px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th code { white-space: normal; }
th { background: #f0f0f0; }
td.num { text-align: right; white-space: normal; }
td.reason { overflow-wrap: anywhere; min-width: 8em; }
tr.rec td { font-weight: 600; background: #eef6ee; }
tr.base td { background: #f7f7f7; }
@media (max-width: 900px) { th, td { padding: 3px 5px; } }
@media (max-width: 700px) { body { font-size: 14px; } main { padding: 10px; } table { font-size: 0.82em; } }
@media print { .card { break-inside: avoid; } figure { break-inside: avoid; } }
"""


def esc(value: Any) -> str:
    """HTML-escape a value for text or an attribute, and defuse ``://`` so no text reads as a URL."""
    return html.escape(str(value), quote=True).replace("://", ":&#47;&#47;")


def rich(value: Any) -> str:
    """Like :func:`esc`, and text between backticks becomes inline code."""
    parts = str(value).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: leave the text as it is
        return esc(value)
    return "".join(f"<code>{esc(p)}</code>" if i % 2 else esc(p) for i, p in enumerate(parts))


def render_html(report: Report) -> str:
    """The whole page."""
    data, head = report.data, report.headline
    title = f"gctune report: {data.experiment}"
    body = "\n".join([
        f"<h1>{esc(title)}</h1>",
        f"<p class=\"sub\">run <code>{esc(data.run_id)}</code> &middot; "
        f"{'finished' if head.finished else 'unfinished'} &middot; measured with Go "
        f"<strong>{esc(head.go_version or 'unknown')}</strong> &middot; generated {esc(report.generated_at)}</p>",
        _headline(report),
        _decision(report),
        _warnings(report),
        _snippets(report),
        _comparison(report),
        _effects(report),
        _trend(report),
        _versions(report),
        _analysis(report),
        _plots(report),
        _trials(report),
        _method(report),
    ])
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"color-scheme\" content=\"light\">\n"
            f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n</main>\n"
            "</body>\n</html>\n")


def _headline(report: Report) -> str:
    head = report.headline
    rows: list[tuple[str, str]] = []
    for expected in head.expected:
        rows.append((f"expected {label(expected.metric)}", esc(expected.text)))
    if head.saving_text:
        rows.append(("saving", esc(head.saving_text)))
    if head.headroom_text:
        rows.append(("headroom", esc(head.headroom_text)))
    confidence = head.confidence
    rows.append(("confidence", f"<span class=\"badge level-{esc(confidence.level)}\">{esc(confidence.level)}</span> "
                               + esc("; ".join(confidence.reasons))))
    runner = report.data.summary.runner_up
    if runner:
        rows.append(("runner-up", esc(f"trial {runner.trial}: {format_settings(runner.params, RUNTIME_SETTINGS)} "
                                      f"({noise_word(runner.within_noise)})")))
    rows.append(("Go version measured", esc(head.go_version or "unknown") + (
        esc(f" (production: {report.production_go})") if report.production_go else "")))
    rows.append(("workload", esc(head.workload)))
    rows.append(("container", esc(head.container)))
    rows.append(("space searched", esc(head.space)))
    rows.append(("trials", esc(trials_text(head.trial_counts))))
    facts = "\n".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows)
    klass = "card none" if head.status == "no_feasible" else "card"
    return (f"<h2 id=\"recommendation\">Recommendation</h2>\n<div class=\"{klass}\">\n"
            f"<p class=\"verdict\">{esc(head.verdict)}</p>\n<dl class=\"facts\">\n{facts}\n</dl>\n</div>")


def _warnings(report: Report) -> str:
    if not report.warnings:
        return "<h2 id=\"warnings\">Warnings</h2>\n<p>None: nothing in this run calls for caution.</p>"
    items = "\n".join(
        f"<li class=\"{esc(w.severity)}\"><span class=\"kind\">{'Warning' if w.severity == 'warning' else 'Note'}:"
        f"</span>{rich(w.message)}</li>" for w in report.warnings)
    return f"<h2 id=\"warnings\">Warnings</h2>\n<ul class=\"warnings\">\n{items}\n</ul>"


def _snippets(report: Report) -> str:
    if not report.snippets:
        return ("<h2 id=\"snippets\">Deployable settings</h2>\n<p class=\"skipped\">None: there is no "
                "recommendation to deploy.</p>")
    blocks = "\n".join(
        f"<section class=\"snippet\"><h3>{esc(s.name)} <code>{esc(s.filename)}</code></h3>"
        f"<p>{rich(s.reason)}</p><pre><code>{esc(s.text.rstrip())}</code></pre></section>"
        for s in report.snippets)
    return f"<h2 id=\"snippets\">Deployable settings</h2>\n<div class=\"snippets\">\n{blocks}\n</div>"


def _comparison(report: Report) -> str:
    data = report.data
    rec = data.tuned
    header = ["metric", "Go's defaults" + (" (recommended)" if data.recommended and not rec else "")]
    header += [f"recommended (trial {rec.trial})"] if rec else []
    entries: list[Measured] = [data.baseline] + ([rec] if rec else [])
    rows = []
    for name in DEPLOYED_SETTINGS:
        cells = [format_setting(name, e.params.get(name), e.params) for e in entries]
        rows.append(f"<tr><th>{esc(name)}</th>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    for metric in report.compared_metrics():
        if all(e.metrics.get(metric) is None for e in entries):
            continue
        cells = [_metric_cell(e, metric) for e in entries]
        rows.append(f"<tr><th><code>{esc(metric)}</code></th>" + "".join(f"<td class=\"num\">{c}</td>" for c in cells)
                    + "</tr>")
    outcome = [esc(data.baseline.outcome or "-")] + ([esc(rec.outcome or "ok")] if rec else [])
    rows.append("<tr><th>outcome</th>" + "".join(f"<td>{o}</td>" for o in outcome) + "</tr>")
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    return (f"<h2 id=\"comparison\">Go's defaults against the recommendation</h2>\n<p>Medians over the repeats, "
            f"with the spread of the runs.</p>\n<div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table></div>")


def _metric_cell(entry: Measured, metric: str) -> str:
    text = esc(metric_value(metric, entry.metrics.get(metric)))
    spread = spread_of(entry, metric)
    if spread is not None and entry.number(metric) is not None:
        text += f"<br><small>{esc(spread_text(metric, spread))}</small>"
    return text


def _decision(report: Report) -> str:
    """What the race decided and how (the same sentences as report.md)."""
    decision = report.data.summary.decision
    if decision is None:
        return ""
    items = "".join(f"<li>{rich(line)}</li>" for line in decision_lines(decision))
    return f"<section><h2 id=\"decision\">Decision (racing the leaders and Go's defaults)</h2><ul>{items}</ul></section>"


def _effects(report: Report) -> str:
    """Categorical settings with matched pairs: what switching each one did."""
    if not report.effects:
        return ""
    items = "".join(f"<li>{esc(effect_text(e))}</li>" for e in report.effects)
    return f"<section><h2 id=\"effects\">Option effects</h2><p>{esc(EFFECTS_NOTE)}</p><ul>{items}</ul></section>"


def _versions(report: Report) -> str:
    """Studies over several Go versions: the recommendation per version."""
    rows = version_rows(report.data.summary)
    if not rows:
        return ""
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    head = "".join(f"<th>{esc(h)}</th>" for h in VERSION_HEADERS)
    return (f"<section><h2>Per Go version</h2><div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></div></section>")


def _analysis(report: Report) -> str:
    """Links to the pprof profiles and the escape-analysis output, when the spec asked for them."""
    items = analysis_items(report.data.analysis)
    if not items:
        return ""
    lines = "".join(f"<li><a href=\"{esc(link)}\">{esc(text)}</a></li>" if link else f"<li>{esc(text)}</li>"
                    for text, link in items)
    return f"<section><h2>Profiles and escape analysis</h2><ul>{lines}</ul></section>"


def _trend(report: Report) -> str:
    """Nightly runs only: one row per night, with its verdict."""
    if not report.data.nights:
        return ""
    rows = "".join(f"<tr><td>{esc(cells[0])}</td>" + "".join(f"<td>{esc(c)}</td>" for c in cells[1:]) + "</tr>"
                   for cells in trend_rows(report.data.nights))
    head = "".join(f"<th>{esc(h)}</th>" for h in TREND_HEADERS)
    return (f"<section><h2>Trend</h2><div class=\"table-wrap\"><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div></section>")


def _plots(report: Report) -> str:
    parts = ["<h2 id=\"figures\">Figures</h2>"]
    for plot in report.plots:
        if plot.png is None:
            parts.append(f"<h3>{esc(plot.title)}</h3>\n<p class=\"skipped\">{esc(plot.note or 'Not drawn.')}</p>")
            continue
        uri = "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii")
        note = f" {esc(plot.note)}" if plot.note else ""
        parts.append(f"<figure id=\"fig-{esc(plot.name)}\"><h3>{esc(plot.title)}</h3>"
                     f"<img src=\"{uri}\" alt=\"{esc(plot.title)}\">"
                     f"<figcaption>{esc(plot.caption)}{note}</figcaption></figure>")
    return "\n".join(parts)


def _trials(report: Report) -> str:
    data = report.data
    if not data.trials:
        return "<h2 id=\"trials\">Trials</h2>\n<p class=\"skipped\">No trial has finished yet.</p>"
    metrics = report.trial_metrics()
    columns, _ = report.trial_columns()
    header = ["trial", "result"] + columns + [label(m) for m in metrics] + ["reason"]
    rec = data.tuned
    rows = [_trial_row("baseline", data.baseline, columns, metrics, "base")]
    rows += [_trial_row(t.trial, t, columns, metrics, "rec" if rec and t.trial == rec.trial else "")
             for t in data.trials]
    head = "".join(f"<th>{_breakable(h)}</th>" for h in header)
    shared = report.constant_settings_text()
    shared = f" Every run used {esc(shared)}." if shared else ""
    return (f"<h2 id=\"trials\">Trials</h2>\n<p>Every configuration measured; the recommended one is in bold. "
            f"Values are medians over the repeats.{shared}</p>\n<div class=\"table-wrap\"><table><thead><tr>{head}</tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table></div>")


def _breakable(header: str) -> str:
    """A column title that may hyphenate where a narrow table needs it."""
    return esc(header).replace("GOMEMLIMIT", "GOMEM&shy;LIMIT").replace("GOMAXPROCS", "GOMAX&shy;PROCS")


def _trial_row(number: int | str, entry: Entry, columns: list[str], metrics: list[str], klass: str) -> str:
    params = entry.params
    violated = [k for k, v in (entry.violations or {}).items() if v > 0]
    reason = entry.reason or ("violates " + ", ".join(violated) if violated else "")
    cells = [str(number), result_text(entry)] + [format_setting(n, params.get(n), params) for n in columns]
    cells += [metric_value(m, entry.metrics.get(m)) for m in metrics] + [reason]
    tds = "".join(f"<td>{esc(c)}</td>" for c in cells[:-1]) + f"<td class=\"reason\">{esc(cells[-1])}</td>"
    return f"<tr class=\"{klass}\">{tds}</tr>"


def _method(report: Report) -> str:
    data = report.data
    info = data.run_info
    objectives = ", ".join(f"{d} {m}" for m, d in data.objectives) or "-"
    constraints = data.summary.constraints
    rows = [("objectives", objectives),
            ("constraints", "; ".join(constraints) + ("; " if constraints else "") +
             "gctune's own: no OOM kill, no GC thrashing, runnable configuration"),
            ("rule", data.recommended.rule if data.recommended else "-"),
            ("Go toolchain", info.go_toolchain or data.go_version or "unknown"),
            ("workload image", info.image or "-"),
            ("engine", engine_text(info)),
            ("run directory", str(data.run_dir))]
    facts = "\n".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in rows)
    shown = [m for m in report.compared_metrics() if m in METRICS]
    definitions = "\n".join(f"<dt><code>{esc(m)}</code> ({esc(METRICS[m].unit or METRICS[m].kind)})</dt>"
                            f"<dd>{esc(METRICS[m].definition)}</dd>" for m in shown)
    return (f"<h2 id=\"method\">How this was measured</h2>\n<dl class=\"facts\">\n{facts}\n</dl>\n"
            f"<h3>Metric definitions</h3>\n<dl class=\"facts\">\n{definitions}\n</dl>")
