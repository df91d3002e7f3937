"""The report's figures, drawn with matplotlib's Agg renderer into PNG bytes.

Every figure stays readable in greyscale: trial kinds differ by marker shape and fill, lines by
style, regions by hatching; colour only repeats what shape already says. A figure whose data is
missing is not drawn; its :class:`Plot` carries a one-line note instead.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, PercentFormatter

from orchestrator.report._analysis import is_number, memory_bound, trial_kind
from orchestrator.report._data import ReportData, TraceRun
from orchestrator.report._format import GO_DEFAULTS_TEXT, label, unit
from orchestrator.report._importance import Importance
from orchestrator.report._model import model_check
from orchestrator.results import Measured, Recommendation, TrialRecord
from orchestrator.spec import format_setting, format_settings, gomemlimit_share
from orchestrator.stats import pareto_front
from orchestrator.units import MIB

Params = dict[str, Any]  # a configuration's recorded settings
DPI = 110
WIDTH = 9.0  # inches


@dataclass(frozen=True)
class Plot:
    """One figure: its file stem, title, what it shows, and the PNG (or a note why there is none)."""

    name: str
    title: str
    caption: str
    png: bytes | None = None
    note: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.png"


@dataclass(frozen=True)
class _Style:
    label: str
    marker: str
    color: str
    filled: bool
    size: float = 40


KINDS: dict[str, _Style] = {
    "feasible": _Style("feasible", "o", "#1f4e99", True),
    "infeasible": _Style("broke a constraint", "o", "#777777", False),
    "oom": _Style("OOM-killed", "X", "#b2182b", True, 70),
    "thrashing": _Style("GC thrashing", "s", "#d95f02", False, 50),
    "skipped": _Style("skipped (not runnable)", "v", "#555555", False, 50),
    "failed": _Style("crashed / timed out", "P", "#555555", True, 60),
}
RECOMMENDED = _Style("recommended", "*", "#1a9850", True, 260)
BASELINE = _Style("Go's defaults", "D", "#000000", False, 70)


def render_plots(data: ReportData, importance: Importance) -> list[Plot]:
    """Every figure of the report, in reading order."""
    makers: list[tuple[str, str, str, Callable[[], tuple[Figure | None, str | None]]]] = [
        ("objective_vs_settings", "Objective against each searched setting",
         "Each trial's median objective against the value it used for each setting. Filled circles met every "
         "constraint; hollow ones broke one; other shapes mark OOM kills, thrashing and skipped settings (drawn at "
         "the top edge when they have no value).", lambda: _objective_vs_settings(data)),
        ("gc_cpu_vs_memory", "GC CPU against peak memory",
         "The trade-off every GC setting makes: CPU spent on GC against the container's peak memory. The dashed "
         "step line is the Pareto front of the feasible trials; the hatched band lies beyond the memory bound.",
         lambda: _cpu_vs_memory(data)),
        ("heap_over_time", "Heap over time: Go's defaults and the recommendation",
         "Per GC cycle, from the raw gctrace of the first run: heap when the cycle started, heap when marking "
         "ended, live heap after it, and the heap goal the pacer aimed at. The dotted band is the measurement "
         "window.", lambda: _heap_over_time(data)),
        ("gc_pauses", "GC pause distribution",
         "Stop-the-world time per GC cycle (sweep termination + mark termination), over every run's measurement "
         "window. Boxes span the middle half, whiskers the 1st to 99th percentile.", lambda: _pauses(data)),
        ("history", "Optimisation history",
         "Each trial's objective in the order the search ran them, and the best feasible value found so far.",
         lambda: _history(data)),
        ("model_vs_measured", "GC model: predicted against measured",
         "Each measured configuration against the run's GC cost model fitted on all the others (leave-one-out), "
         "for GC CPU and peak memory; points on the diagonal were predicted exactly, the dotted lines are 10% "
         "off. Filled triangles are trials the model proposed, circles the sampler's, the diamond Go's defaults.",
         lambda: _model_vs_measured(data)),
        ("trend", "Trend: night by night",
         "Nightly runs of this experiment: the median objective at each night's recommendation and at Go's "
         "defaults, with the range of the repeats, and the peak memory at the recommendation. Crosses mark "
         "nights judged a regression (worse by more than the threshold and significant).",
         lambda: _trend(data)),
        ("importance", "Which settings mattered most",
         "How much of the objective's variation each searched setting explains (Optuna's parameter importance).",
         lambda: _importance(importance)),
    ]
    plots = []
    for name, title, caption, make in makers:
        if name == "trend" and not data.nights:
            continue  # only nightly runs have a history to show
        try:
            figure, note = make()
        except Exception as exc:  # noqa: BLE001 - one broken figure must not cost the whole report
            figure, note = None, f"could not be drawn ({type(exc).__name__}: {exc})"
        png = _png(figure) if figure is not None else None
        plots.append(Plot(name, title, caption, png, note))
    return plots


def _png(figure: Figure) -> bytes:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def _figure(rows: int = 1, cols: int = 1, height: float = 4.2, **kwargs: Any) -> tuple[Figure, list[Axes]]:
    figure = Figure(figsize=(WIDTH, height * rows), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False, **kwargs)
    return figure, [ax for row in axes for ax in row]


def _scatter(ax: Axes, xs: list[float], ys: list[float], style: _Style, label_: str | None = None,
             **kwargs: Any) -> None:
    if not xs:
        return
    face = style.color if style.filled else "none"
    ax.scatter(xs, ys, marker=style.marker, s=style.size, facecolors=face, edgecolors=style.color,
               linewidths=1.3, label=label_ or style.label, zorder=3, **kwargs)


def _metric_value(entry: Measured | None, metric: str) -> float | None:
    return None if entry is None else entry.number(metric)


def _axis_label(metric: str) -> str:
    kind = unit(metric)
    if kind == "bytes":
        return f"{label(metric)} (MiB)"
    return f"{label(metric)} ({kind})" if kind else label(metric)


def _scaled(metric: str, value: float) -> float:
    return value / MIB if unit(metric) == "bytes" else value


# -- objective against each setting ----------------------------------------------------------------------


def _setting_axis(data: ReportData, name: str) -> tuple[Callable[[Params], Any], str, bool]:
    """How to place a trial on a setting's axis: value getter, axis label, log scale."""
    space = data.searched_settings().get(name)
    log = isinstance(space, dict) and bool(space.get("log"))
    percent = isinstance(space, dict) and str(space.get("low", "")).strip().endswith("%")
    if name == "GOMEMLIMIT" and percent:
        return _gomemlimit_percent, "GOMEMLIMIT (% of container memory)", log
    if name in ("GOMEMLIMIT", "memory"):
        return (lambda p: p[name] / MIB if is_number(p.get(name)) else p.get(name)), f"{name} (MiB)", log
    if name == "cpus":
        return (lambda p: p.get(name)), "CPU limit (cpus)", log
    if name == "GOGC":
        return (lambda p: p.get(name)), "GOGC (%)", log
    return (lambda p: p.get(name)), name, log


def _objective_vs_settings(data: ReportData) -> tuple[Figure | None, str | None]:
    settings = list(data.searched_settings())
    trials = data.trials
    if not settings:
        return None, "Not drawn: the spec searches no setting."
    if not trials or not data.objectives:
        return None, "Not drawn: no trial has finished yet."
    objectives = data.objectives
    cols = min(3, len(settings))
    per_objective = math.ceil(len(settings) / cols)
    figure, axes = _figure(len(objectives) * per_objective, cols, height=3.6)
    for spare in range(len(settings), per_objective * cols):  # empty cells of each objective's last row
        for row in range(len(objectives)):
            axes[row * per_objective * cols + spare].set_visible(False)
    rec = data.tuned
    for row, (metric, direction) in enumerate(objectives):
        for col, name in enumerate(settings):
            ax = axes[row * per_objective * cols + col]
            getter, xlabel, log = _setting_axis(data, name)
            _setting_panel(ax, trials, rec, data.baseline, metric, getter, log)
            ax.set_xlabel(xlabel)
            ax.set_ylabel(_axis_label(metric) + (" (lower is better)" if direction == "minimize"
                                                 else " (higher is better)"))
            ax.set_title(f"{label(metric)} vs {name}", fontsize=10)
            ax.grid(True, linestyle=":", linewidth=0.6)
    _legend(figure, [ax for ax in axes if ax.get_visible()])
    figure.suptitle("Objective against each searched setting")
    return figure, None


def _gomemlimit_percent(params: Params) -> Any:
    """GOMEMLIMIT as a share of the container memory; the recorded value (None, a word) when there is none."""
    share = gomemlimit_share(params)
    return params.get("GOMEMLIMIT") if share is None else share


def _setting_panel(ax: Axes, trials: list[TrialRecord], rec: Recommendation | None, baseline: Measured,
                   metric: str, getter: Callable[[Params], Any], log: bool) -> None:
    numeric = [getter(t.params) for t in trials]
    known = [x for x in numeric if is_number(x)]
    numeric = [x if is_number(x) or x is not None else "none" for x in numeric]
    words = sorted({str(x) for x in numeric if not is_number(x)})
    high = max(known) if known else 1.0
    low = min(known) if known else 0.0
    log = log and high > 0 and low > 0
    span = high - low or abs(high) or 1.0
    slot = {w: (high * 2.2 ** (i + 1) if log else high + span * 0.25 * (i + 1)) for i, w in enumerate(words)}
    groups: dict[str, tuple[list[float], list[float]]] = {}
    edge: dict[str, list[float]] = {}
    for trial, x in zip(trials, numeric):
        position = x if is_number(x) else slot[str(x)]
        y = _metric_value(trial, metric)
        kind = trial_kind(trial)
        if y is None:
            edge.setdefault(kind, []).append(position)
        else:
            groups.setdefault(kind, ([], []))
            groups[kind][0].append(position)
            groups[kind][1].append(_scaled(metric, y))
    for kind, (xs, ys) in groups.items():
        _scatter(ax, xs, ys, KINDS[kind])
    if log:
        _plain_log_axis(ax)
    base = _metric_value(baseline, metric)
    if base is not None:
        ax.axhline(_scaled(metric, base), color="black", linestyle="--", linewidth=1, label="Go's defaults")
    rec_x = getter(rec.params) if rec is not None else None
    rec_y = _metric_value(rec, metric)
    if rec_x is not None and rec_y is not None:
        _scatter(ax, [rec_x if is_number(rec_x) else slot.get(str(rec_x), high)], [_scaled(metric, rec_y)],
                 RECOMMENDED)
    for kind, xs in edge.items():
        style = KINDS[kind]
        ax.scatter(xs, [0.96] * len(xs), transform=ax.get_xaxis_transform(), marker=style.marker, s=style.size,
                   facecolors=style.color if style.filled else "none", edgecolors=style.color, linewidths=1.3,
                   label=f"{style.label} (no value)", zorder=3, clip_on=False)
    if slot:
        # Words (off, auto, none) sit in their own slots right of the numbers, past a dotted break.
        cutoff = high * 1.15 if log else high + span * 0.1
        brk = math.sqrt(high * min(slot.values())) if log else (high + min(slot.values())) / 2
        ax.axvline(brk, color="#999999", linestyle=":", linewidth=1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: "" if v > cutoff else f"{v:g}"))
        ax.set_xticks(list(slot.values()), labels=list(slot), minor=True, fontweight="bold")


def _plain_log_axis(ax: Axes, axis: str = "x") -> None:
    """A log scale labelled 20, 50, 100, 200 rather than 2x10^1."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    target.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    target.set_minor_formatter(NullFormatter())


def _legend(figure: Figure, axes: list[Axes]) -> None:
    handles, labels = [], []
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels()):
            if text not in labels:
                handles.append(handle)
                labels.append(text)
    if handles:
        figure.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=8,
                      frameon=False)


# -- GC CPU against peak memory ------------------------------------------------------------------------------


def _cpu_vs_memory(data: ReportData) -> tuple[Figure | None, str | None]:
    x_metric, y_metric = "peak_memory_bytes", "gc_cpu_percent"
    points: dict[str, tuple[list[float], list[float]]] = {}
    feasible: list[tuple[float, float, Any]] = []
    for trial in data.trials:
        x, y = _metric_value(trial, x_metric), _metric_value(trial, y_metric)
        if x is None or y is None:
            continue
        kind = trial_kind(trial)
        points.setdefault(kind, ([], []))
        points[kind][0].append(x / MIB)
        points[kind][1].append(y)
        if kind == "feasible":
            feasible.append((x / MIB, y, trial.trial))
    base_x, base_y = _metric_value(data.baseline, x_metric), _metric_value(data.baseline, y_metric)
    if not points and base_x is None:
        return None, "Not drawn: no run measured both GC CPU and peak memory."
    figure, (ax,) = _figure(height=5.0)
    for kind, (xs, ys) in points.items():
        _scatter(ax, xs, ys, KINDS[kind])
    for x, y, number in feasible:
        ax.annotate(str(number), (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7, color="#333333")
    if base_x is not None and base_y is not None:
        _scatter(ax, [base_x / MIB], [base_y], BASELINE)
    front = sorted(pareto_front(feasible, lambda p: p[:2], ("minimize", "minimize")))
    if len(front) > 1:
        ax.plot([p[0] for p in front], [p[1] for p in front], drawstyle="steps-post", linestyle="--",
                color="#1f4e99", linewidth=1.2, label="Pareto front of these two (feasible trials)")
    rec = data.recommended
    rx, ry = _metric_value(rec, x_metric), _metric_value(rec, y_metric)
    if rx is not None and ry is not None:
        _scatter(ax, [rx / MIB], [ry], RECOMMENDED)
    bound = memory_bound(data)
    memory = data.baseline.params.get("memory")
    xs_all = [x for xs, _ in points.values() for x in xs] + ([base_x / MIB] if base_x else [])
    right = max(xs_all + ([bound[0] / MIB * 1.08] if bound else []))
    if bound:
        ax.axvline(bound[0] / MIB, color="#b2182b", linestyle="-.", linewidth=1.2, label=f"bound: {bound[1]}")
        ax.axvspan(bound[0] / MIB, right * 1.05, facecolor="none", edgecolor="#b2182b", hatch="//", alpha=0.35,
                   linewidth=0)
    if is_number(memory) and memory / MIB <= right * 1.5:
        ax.axvline(memory / MIB, color="black", linestyle="-", linewidth=1.5, label=f"container memory "
                   f"({format_setting('memory', memory)})")
    ax.set_xlim(left=0, right=max(right * 1.05, (memory / MIB * 1.03) if is_number(memory)
                                  and memory / MIB <= right * 1.5 else 0))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("peak container memory (MiB)")
    ax.set_ylabel("GC CPU (% of the CPU available)")
    ax.set_title("GC CPU against peak memory (lower left is better)")
    ax.grid(True, linestyle=":", linewidth=0.6)
    _legend(figure, [ax])
    return figure, None


# -- heap over time -------------------------------------------------------------------------------------------


def _heap_over_time(data: ReportData) -> tuple[Figure | None, str | None]:
    panels: list[tuple[str, TraceRun, dict[str, Any]]] = []
    base_runs = [r for r in data.traces.get("baseline", []) if r.cycles]
    rec = data.tuned
    if base_runs:
        panels.append((f"Go's defaults ({GO_DEFAULTS_TEXT})" + _outcome_note(data.baseline), base_runs[0],
                       data.baseline.params))
    rec_runs = [r for r in data.traces.get("recommended", []) if r.cycles] if rec else []
    if rec is not None and rec_runs:
        panels.append((f"recommended, trial {rec.trial} ({format_settings(rec.params, ('GOGC', 'GOMEMLIMIT'))})",
                       rec_runs[0], rec.params))
    if not panels:
        return None, "Not drawn: no gctrace with GC cycles was found for Go's defaults or the recommendation."
    figure, axes = _figure(len(panels), 1, height=3.4, sharex=True, sharey=True)
    for ax, (title, run, params) in zip(axes, panels):
        _heap_panel(ax, run, params)
        ax.set_title(f"{title}: run {run.repeat}", fontsize=10)
        ax.set_ylabel("heap (MiB)")
    axes[-1].set_xlabel("time since the program started (s)")
    _legend(figure, axes)
    figure.suptitle("Heap over time, per GC cycle")
    return figure, None


def _outcome_note(entry: Measured) -> str:
    outcome = entry.outcome
    return "" if outcome in (None, "ok") else f" [{KINDS.get(outcome, KINDS['failed']).label}]"


def _heap_panel(ax: Axes, run: TraceRun, params: dict[str, Any]) -> None:
    cycles = run.cycles
    times = [c.at_s for c in cycles]
    every = max(1, len(cycles) // 40)
    ax.plot(times, [c.heap_start_mb for c in cycles], linestyle="-", marker="o", markersize=3, markevery=every,
            color="#1f4e99", linewidth=1.1, label="heap at GC start")
    ax.plot(times, [c.heap_end_mb for c in cycles], linestyle="--", marker="^", markersize=3, markevery=every,
            color="#d95f02", linewidth=1.1, label="heap at mark end")
    ax.plot(times, [c.live_mb for c in cycles], linestyle=":", marker="s", markersize=3, markevery=every,
            color="#1a9850", linewidth=1.4, label="live heap (marked)")
    ax.plot(times, [c.goal_mb for c in cycles], linestyle="-.", drawstyle="steps-post", color="#555555",
            linewidth=1.1, label="heap goal")
    limit = params.get("GOMEMLIMIT")
    if is_number(limit):
        ax.axhline(limit / MIB, color="#b2182b", linestyle=(0, (6, 2, 1, 2, 1, 2)), linewidth=1.3,
                   label="GOMEMLIMIT")
    memory = params.get("memory")
    if is_number(memory):
        ax.axhline(memory / MIB, color="black", linestyle="-", linewidth=1.6, label="container memory")
    span = run.window_span
    if span:
        ax.axvspan(*span, facecolor="#e8e8e8", edgecolor="none", zorder=0, label="measurement window")
        for edge in span:
            ax.axvline(edge, color="#888888", linestyle=":", linewidth=0.9, zorder=0)
    ax.set_ylim(bottom=0)
    ax.grid(True, linestyle=":", linewidth=0.6)


# -- pauses ---------------------------------------------------------------------------------------------------


def _pauses(data: ReportData) -> tuple[Figure | None, str | None]:
    groups: list[tuple[str, list[float]]] = []
    base = [c.pause_ms for r in data.traces.get("baseline", []) for c in r.window_cycles()]
    if base:
        groups.append(("Go's defaults", base))
    rec = data.tuned
    if rec is not None:
        ours = [c.pause_ms for r in data.traces.get("recommended", []) for c in r.window_cycles()]
        if ours:
            groups.append((f"recommended (trial {rec.trial})", ours))
    if not groups:
        return None, "Not drawn: no GC cycle was traced in a measurement window."
    figure, (ax,) = _figure(height=3.8)
    labels = [f"{name}\n{len(values)} cycles" for name, values in groups]
    boxes = ax.boxplot([values for _, values in groups], orientation="horizontal", whis=(1, 99),
                       patch_artist=True, widths=0.55, tick_labels=labels,
                       flierprops={"marker": "o", "markersize": 3, "markerfacecolor": "none"},
                       medianprops={"color": "black", "linewidth": 1.8})
    for patch, hatch, face in zip(boxes["boxes"], ("//", ".."), ("#d9d9d9", "#a6d0a6")):
        patch.set_hatch(hatch)
        patch.set_facecolor(face)
        patch.set_edgecolor("black")
    for index, (_, values) in enumerate(groups, start=1):
        ax.scatter([max(values)], [index], marker="|", s=200, color="#b2182b", zorder=4,
                   label="longest pause" if index == 1 else None)
    positive = [v for _, values in groups for v in values if v > 0]
    if positive and max(positive) / min(positive) > 50:
        _plain_log_axis(ax)
    ax.set_xlabel("stop-the-world pause per GC cycle (ms)")
    ax.set_title("GC pauses in the measurement window (all runs)")
    ax.grid(True, axis="x", linestyle=":", linewidth=0.6)
    ax.legend(fontsize=8, loc="lower right")
    return figure, None


# -- history --------------------------------------------------------------------------------------------------


def _history(data: ReportData) -> tuple[Figure | None, str | None]:
    trials = sorted(data.trials, key=lambda t: t.trial)
    if not trials or not data.objectives:
        return None, "Not drawn: no trial has finished yet."
    figure, axes = _figure(len(data.objectives), 1, height=3.4, sharex=True)
    for ax, (metric, direction) in zip(axes, data.objectives):
        groups: dict[str, tuple[list[float], list[float]]] = {}
        best_x, best_y, best = [], [], None
        for trial in trials:
            y = _metric_value(trial, metric)
            if y is None:
                continue
            kind = trial_kind(trial)
            groups.setdefault(kind, ([], []))
            groups[kind][0].append(trial.trial)
            groups[kind][1].append(_scaled(metric, y))
            if kind == "feasible":
                better = best is None or (y < best if direction == "minimize" else y > best)
                best = y if better else best
            if best is not None:
                best_x.append(trial.trial)
                best_y.append(_scaled(metric, best))
        for kind, (xs, ys) in groups.items():
            _scatter(ax, xs, ys, KINDS[kind])
        if best_x:
            ax.plot(best_x, best_y, drawstyle="steps-post", color="#1a9850", linewidth=1.6, linestyle="-",
                    label="best feasible so far" + (" (each objective alone)" if len(data.objectives) > 1 else ""))
        rec = data.tuned
        rec_y = _metric_value(rec, metric)
        if rec is not None and rec_y is not None:
            _scatter(ax, [rec.trial], [_scaled(metric, rec_y)], RECOMMENDED)
        base = _metric_value(data.baseline, metric)
        if base is not None:
            ax.axhline(_scaled(metric, base), color="black", linestyle="--", linewidth=1, label="Go's defaults")
        ax.set_ylabel(_axis_label(metric))
        ax.set_title(f"{label(metric)} per trial ({'lower' if direction == 'minimize' else 'higher'} is better)",
                     fontsize=10)
        ax.grid(True, linestyle=":", linewidth=0.6)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[-1].set_xlabel("trial number (search order)")
    _legend(figure, axes)
    return figure, None


# -- the GC model ---------------------------------------------------------------------------------------------

MODEL_PROPOSED = _Style("proposed by the model", "^", "#6a3d9a", True, 60)
SAMPLER_PROPOSED = _Style("proposed by the sampler", "o", "#1f4e99", False)


def _model_vs_measured(data: ReportData) -> tuple[Figure | None, str | None]:
    check = model_check(data)
    if check is None:
        return None, f"Not drawn: the GC model needs at least 3 measured configurations, this run has " \
                     f"{len(data.observations)}."
    metrics = ("gc_cpu_percent", "peak_memory_bytes")
    figure, axes = _figure(1, len(metrics), height=4.0)
    for ax, metric in zip(axes, metrics):
        pairs = [(p, _scaled(metric, p.predicted[metric]), _scaled(metric, p.measured[metric]))
                 for p in check.points if p.measured.get(metric) is not None]
        for style, keep in ((BASELINE, lambda p: p.label == "baseline"),
                            (MODEL_PROPOSED, lambda p: p.proposed_by == "model"),
                            (SAMPLER_PROPOSED, lambda p: p.label != "baseline" and p.proposed_by != "model")):
            chosen = [(x, y) for p, x, y in pairs if keep(p)]
            _scatter(ax, [x for x, _ in chosen], [y for _, y in chosen], style)
        values = [v for _, x, y in pairs for v in (x, y)]
        if values:
            low, high = min(values) * 0.9, max(values) * 1.1
            ax.plot([low, high], [low, high], color="black", linewidth=1, label="predicted = measured")
            for factor in (0.9, 1.1):
                ax.plot([low, high], [low * factor, high * factor], color="#777777", linewidth=0.8, linestyle=":")
            ax.set_xlim(low, high)
            ax.set_ylim(low, high)
        ax.set_xlabel("predicted " + _axis_label(metric))
        ax.set_ylabel("measured " + _axis_label(metric))
        ax.grid(True, linestyle=":", linewidth=0.6)
    _legend(figure, axes)
    return figure, check.summary_text()


# -- trend (nightly) -------------------------------------------------------------------------------------------


def _trend(data: ReportData) -> tuple[Figure | None, str | None]:
    nights = data.nights
    metric = nights[-1].objective
    figure, (top, bottom) = _figure(2, 1, height=3.2, sharex=True)
    xs = list(range(1, len(nights) + 1))
    for values, style, name in (([n.objective_values for n in nights], RECOMMENDED, "at the recommendation"),
                                ([n.baseline_values for n in nights], BASELINE, "at Go's defaults")):
        _ranged(top, xs, [[_scaled(metric, v) for v in night] for night in values], style, name)
    _ranged(bottom, xs, [[v / MIB for v in n.peak_memory_values] for n in nights], RECOMMENDED,
            "peak memory at the recommendation")
    bad = [x for x, n in zip(xs, nights) if n.regression]
    for ax in (top, bottom):
        for x in bad:
            ax.axvline(x, color="#d73027", linestyle=":", linewidth=1.2)
        ax.grid(True, linestyle=":", linewidth=0.6)
    if bad:
        top.scatter(bad, [top.get_ylim()[1]] * len(bad), marker="x", s=70, color="#d73027", label="regression")
    top.set_ylabel(_axis_label(metric))
    bottom.set_ylabel("peak memory (MiB)")
    bottom.set_xlabel("night")
    bottom.set_xticks(xs, [n.date[:10] + "\n" + n.run_id[-4:] for n in nights], fontsize=7)
    _legend(figure, [top, bottom])
    return figure, None


def _ranged(ax: Axes, xs: list[int], samples: list[list[float]], style: _Style, name: str) -> None:
    """Median per night with the min-max range of its repeats as error bars."""
    points = [(x, sorted(v)) for x, v in zip(xs, samples) if v]
    if not points:
        return
    mids = [v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2 for _, v in points]
    ax.errorbar([x for x, _ in points], mids, yerr=[[m - v[0] for m, (_, v) in zip(mids, points)],
                                                    [v[-1] - m for m, (_, v) in zip(mids, points)]],
                fmt=style.marker, color=style.color, mfc=style.color if style.filled else "white", capsize=3,
                linestyle="-" if style.filled else "--", linewidth=1, markersize=8, label=name)


# -- importance -----------------------------------------------------------------------------------------------


def _importance(importance: Importance) -> tuple[Figure | None, str | None]:
    if not importance.values:
        return None, importance.note or "Not computed."
    names = list(importance.values)[::-1]
    values = [importance.values[n] for n in names]
    figure, (ax,) = _figure(height=max(2.2, 0.55 * len(names) + 1.2))
    bars = ax.barh(names, values, color="#9ecae1", edgecolor="black", hatch="//")
    for bar, value in zip(bars, values):
        ax.annotate(f"{value:.0%}", (bar.get_width(), bar.get_y() + bar.get_height() / 2), xytext=(4, 0),
                    textcoords="offset points", va="center", fontsize=9)
    ax.set_xlim(0, min(1.0, max(values) * 1.2 + 0.05))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"relative importance for {label(importance.objective or '')} "
                  f"({importance.method}, all settings add up to 100%)")
    ax.set_title("Which settings mattered most")
    ax.grid(True, axis="x", linestyle=":", linewidth=0.6)
    return figure, importance.note
