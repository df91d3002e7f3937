"""The report as one plain object: everything measured, ready for any presentation."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from orchestrator.report._data import ReportData
from orchestrator.report._effects import OptionEffect, effect_metrics, listed_values, option_effects
from orchestrator.spec import DEPLOYED_SETTINGS, SETTING_NAMES, format_settings
from orchestrator.report._headline import Headline, build_headline
from orchestrator.report._importance import Importance, compute_importance
from orchestrator.report._model import ModelCheck, model_check
from orchestrator.report._plots import Plot, render_plots
from orchestrator.report._snippets import Snippet, build_snippets
from orchestrator.report._warnings import ReportWarning, find_warnings

PLOT_FOLDER = "report-files"
SCHEMA_VERSION = 1
COMPARED_METRICS = ("gc_cpu_percent", "peak_memory_bytes", "peak_heap_bytes", "gc_cycles", "pause_ms_total",
                    "pause_ms_max", "throughput_ops_per_s", "latency_p50_ms", "latency_p99_ms",
                    "latency_p999_ms", "gc_limiter_engaged", "gomaxprocs", "effective_cpus")
TRIAL_METRICS = ("gc_cpu_percent", "peak_memory_bytes")


@dataclass
class Report:
    """A run's report: headline, warnings, snippets, figures and the data behind the tables."""

    data: ReportData
    headline: Headline
    warnings: list[ReportWarning]
    snippets: list[Snippet]
    importance: Importance
    plots: list[Plot]
    production_go: str | None = None
    model: ModelCheck | None = None  # the run's GC cost model against what was measured
    effects: list[OptionEffect] = field(default_factory=list)  # categorical settings over matched pairs
    generated_at: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    def plot_path(self, plot: Plot) -> str | None:
        """The PNG's path relative to the run directory, when the figure was drawn."""
        return f"{PLOT_FOLDER}/{plot.filename}" if plot.png is not None else None

    def constant_settings_text(self) -> str:
        """``GOMAXPROCS=auto, cpus=1, memory=256MiB``: what every trial shared."""
        constant = self.trial_columns()[1]
        return format_settings(constant) if constant else ""

    def compared_metrics(self) -> list[str]:
        """The metrics of the comparison table: the objectives first, then the usual suspects."""
        names = [m for m, _ in self.data.objectives]
        return names + [m for m in COMPARED_METRICS if m not in names]

    def trial_metrics(self) -> list[str]:
        """The metrics of the trials table: the objectives, then GC CPU and peak memory."""
        names = [m for m, _ in self.data.objectives]
        return names + [m for m in TRIAL_METRICS if m not in names]

    def trial_columns(self) -> tuple[list[str], dict[str, Any]]:
        """The settings that differ between the baseline and the trials (table columns), and the deployed
        settings every run shared."""
        entries = [self.data.baseline, *self.data.trials]
        varying, constant = [], {}
        for name in SETTING_NAMES:
            values = {repr(e.params.get(name)) for e in entries}
            if len(values) > 1 or name in ("GOGC", "GOMEMLIMIT"):
                varying.append(name)
            elif name in DEPLOYED_SETTINGS:
                constant[name] = entries[0].params.get(name)
        return varying, constant

    def to_dict(self, files: dict[str, str | None] | None = None) -> dict[str, Any]:
        """The report's data, for report.json."""
        info, summary = self.data.run_info, self.data.summary
        return {
            "schema_version": SCHEMA_VERSION,
            "generated_at": self.generated_at,
            "experiment": self.data.experiment,
            "run_id": self.data.run_id,
            "finished": summary.finished,
            "go_version_measured": self.data.go_version,
            "production_go": self.production_go,
            "headline": self.headline.to_dict(),
            "warnings": [w.to_dict() for w in self.warnings],
            "snippets": [s.to_dict() for s in self.snippets],
            "plots": [{"name": p.name, "title": p.title, "caption": p.caption, "file": self.plot_path(p),
                       "note": p.note} for p in self.plots],
            "importance": self.importance.to_dict(),
            "model": self.model.to_dict() if self.model else None,
            "decision": summary.decision.to_dict() if summary.decision else None,
            "objectives": [o.to_dict() for o in summary.objectives],
            "constraints": summary.constraints,
            "run": {"image": info.image, "go_toolchain": info.go_toolchain, "gctune_version": info.gctune_version,
                    "engine": info.engine.to_dict(), "started": info.started},
            **({"option_effects": [e.to_dict() for e in self.effects]} if self.effects else {}),
            "files": files or {},
        }


def build_report(data: ReportData, production_go: str | None = None) -> Report:
    """Measure everything the report shows (nothing here formats for a medium)."""
    importance = compute_importance(data)
    return Report(data=data, headline=build_headline(data), warnings=find_warnings(data, production_go),
                  snippets=build_snippets(data), importance=importance, plots=render_plots(data, importance),
                  production_go=production_go, model=model_check(data), effects=measure_effects(data))


def measure_effects(data: ReportData) -> list[OptionEffect]:
    """The option effects of the run's trials, in the objectives and the usual memory and GC CPU metrics."""
    return option_effects(data.trials, effect_metrics([m for m, _ in data.objectives]), listed_values(data.spec))
