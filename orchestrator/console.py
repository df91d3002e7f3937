"""Presentation for the terminal: tables of metrics and summaries (no measurement happens here)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from orchestrator.definitions import METRICS
from orchestrator.results import Night, Summary
from orchestrator.spec import format_settings
from orchestrator.units import format_size

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def format_value(name: str, value: Any) -> str:
    """A metric value with its unit, readable by a person."""
    if value is None:
        return "-"
    unit = METRICS[name].unit if name in METRICS else ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if unit == "bytes":
        return f"{format_size(value)} ({int(value)} B)"
    if isinstance(value, float):
        return f"{value:.3f} {unit}".strip() if abs(value) < 100 else f"{value:.1f} {unit}".strip()
    return f"{value} {unit}".strip()


def trial_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"trial {result.get('run_id', '')}", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("[bold]settings[/bold]", format_settings(result["params"]))
    for name in METRICS:
        if name in result:
            table.add_row(name, format_value(name, result[name]))
    for extra in ("peak_memory_source", "effective_cpus", "gomaxprocs", "go_version", "window_complete"):
        if extra in result:
            table.add_row(extra, str(result[extra]))
    if result.get("oom_signals"):
        table.add_row("oom_signals", "; ".join(result["oom_signals"]))
    return table


def prediction_table(result: dict[str, Any]) -> Table:
    """``gctune predict``: each predicted metric with its interval, the heap goal and the fit's verdict."""
    table = Table(title=f"GC model of {result['run_dir']}", show_header=True)
    for column in ("metric", "predicted", "interval"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    table.add_row("[bold]settings[/bold]", format_settings({"GOGC": result["GOGC"], "GOMEMLIMIT": result["GOMEMLIMIT"]}), "")
    table.add_row("heap goal", format_value("peak_memory_bytes", result["heap_goal_bytes"]),
                  f"set by {result['limited_by']}")
    for name, estimate in result["metrics"].items():
        table.add_row(name, format_value(name, estimate["value"]),
                      f"{format_value(name, estimate['low'])} .. {format_value(name, estimate['high'])}")
    quality = result["quality"]
    error = "-" if quality["error"] is None else f"{100 * quality['error']:.0f}%"
    table.add_row("fit", quality["verdict"], f"error {error} ({quality['reason']})")
    if result["oom_expected"]:
        table.add_row("[red]warning[/red]", "OOM expected", "the predicted peak is above the container memory")
    return table


def key_value_table(title: str, data: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("key")
    table.add_column("value", justify="right")
    for key, value in data.items():
        table.add_row(key, "-" if value is None else str(value))
    return table


class StudyProgress:
    """Trials done of total, best so far, elapsed and ETA on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self._status = stderr.status("measuring the baseline", spinner="dots") if stderr.is_terminal else None

    def __enter__(self) -> StudyProgress:
        if self._status:
            self._status.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status:
            self._status.__exit__(*exc)

    def step(self, text: str) -> None:
        """A stage before the trials: connecting, installing Go, building the image, the baseline."""
        if self._status:
            self._status.update(text)

    def update(self, progress: Any) -> None:
        if not self._status:
            return
        eta = progress.elapsed_s / progress.done * (progress.total - progress.done) if progress.done else None
        best = "-" if progress.best is None else f"{progress.best:.3g}"
        self._status.update(f"trial {progress.done}/{progress.total}  best {best}  "
                            f"elapsed {progress.elapsed_s:.0f}s  eta {'-' if eta is None else f'{eta:.0f}s'}"
                            f"  ({progress.last})" + "".join(f"\n  {job}" for job in progress.running))



def summary_text(summary: Summary, run_dir: Any) -> str:
    """A few lines a person reads first: the recommendation and what it saves."""
    counts = summary.trial_counts
    lines = [f"run directory: {run_dir}", f"trials: {counts.get('total', 0)} ({counts.get('feasible', 0)} feasible)"]
    rec = summary.recommended
    if rec is None:
        miss = summary.no_feasible.nearest_miss if summary.no_feasible else None
        lines.append("no feasible configuration found" + (f"; nearest miss: trial {miss.trial} "
                     f"({format_settings(miss.params)}) violating {', '.join(miss.violated)}" if miss else ""))
        return "\n".join(lines)
    lines.append(f"recommended ({rec.rule}, trial {rec.trial}): {format_settings(rec.params)}")
    saving = summary.saving
    if saving:
        metric = saving.metric
        rel = "" if saving.relative is None else f" ({100 * saving.relative:.0f}% of the baseline)"
        unit = " points" if METRICS.get(metric) and METRICS[metric].unit == "%" else ""
        lines.append(f"{metric}: {format_value(metric, saving.recommended)} against "
                     f"{format_value(metric, saving.baseline)} with Go's defaults; saving "
                     f"{format_value(metric, saving.absolute)}{unit}{rel}")
    return "\n".join(lines)


def _median_range(values: list[float]) -> str:
    # The report's format, imported when used: the report package loads matplotlib, too slow for every command.
    from orchestrator.report import median_range

    return median_range(values)


def night_text(night: Night, run_dir: Any) -> str:
    """Tonight's verdict and what led to it."""
    lines = [f"run directory: {run_dir}", f"verdict: {night.verdict}"]
    if night.recommended:
        lines.append(f"recommended: {format_settings(night.recommended)}")
    lines.append(f"{night.objective}: {_median_range(night.objective_values)} "
                 f"(Go's defaults: {_median_range(night.baseline_values)})")
    for finding in night.findings:
        if finding.is_test:
            p = "-" if finding.p_value is None else f"{finding.p_value:.3g}"
            mark = "REGRESSION " if finding.regression else ""
            lines.append(f"  {mark}{finding.kind}: {finding.previous_median:.4g} -> "
                         f"{finding.current_median:.4g} ({finding.change_percent:+.1f}% worse, p={p})"
                         + (f"; {finding.note}" if finding.note else ""))
        else:
            lines.append(f"  {finding.kind}: {finding.from_} -> {finding.to}"
                         + (f" ({finding.note})" if finding.note else ""))
    if night.report:
        lines.append(f"report: {night.report}")
    return "\n".join(lines)


def history_table(nights: list[Night]) -> Table:
    table = Table(title="nights", show_header=True)
    for column in ("date", "Go", "workload", "recommended", "objective [min, max]", "baseline", "peak memory",
                   "verdict"):
        table.add_column(column)
    for night in nights:
        peak = night.peak_memory_median
        table.add_row(night.date, night.go_version or "-", night.workload_hash or "-",
                      format_settings(night.recommended),
                      f"{night.objective} {_median_range(night.objective_values)}",
                      _median_range(night.baseline_values), format_size(peak) if peak else "-", night.verdict)
    return table


def job_text(job: Any) -> str:
    """A scheduled job: when, where, what, and its next runs."""
    when = job.cron + (f" (OnCalendar={job.calendar})" if job.calendar else "")
    runs = ", ".join(f"{run:%a %Y-%m-%d %H:%M %Z}" for run in job.next_runs)
    return "\n".join([f"  schedule: {when}", f"  backend:  {job.backend}, {job.location}",
                      f"  command:  {job.command_line}", f"  in:       {job.workdir}", f"  log:      {job.log_path}",
                      f"  next:     {runs or 'unknown (the schedule was edited by hand)'}"])
