"""The terminal's text of a study, a night and the history: the typed results, in the report's formats."""

from __future__ import annotations

from rich.console import Console

from orchestrator.console import history_table, night_text, summary_text
from orchestrator.results import Finding, Night, Summary
from orchestrator.spec import format_settings
from test_report import MIB, clean_case, entry, summary_for  # the report tests' hand-built summaries


def night(**fields: object) -> Night:
    base = {"experiment": "unit", "run_id": "night-2", "date": "2026-01-02T03:00:00", "mode": "study",
            "comparable_key": "k", "objective": "gc_cpu_percent", "direction": "minimize",
            "recommended": {"GOGC": 150, "GOMEMLIMIT": 200 * MIB, "memory": 256 * MIB},
            "objective_values": [20.5, 19.0, 21.0], "baseline_values": [40.0], "peak_memory_values": [100 * MIB],
            "verdict": "regression"}
    return Night.model_validate({**base, **fields})


def test_summary_text_names_the_recommendation_in_the_settings_format():
    rec, trials = clean_case()
    summary = Summary.from_dict(summary_for(rec, trials))
    text = summary_text(summary, "/runs/unit/1")
    assert "trials: 2 (2 feasible)" in text
    assert f"recommended (best feasible gc_cpu_percent, trial 1): {format_settings(rec['params'])}" in text
    assert "GOMEMLIMIT=204.8MiB (80.0% of memory)" in text  # the one settings format, as in the report
    assert "gc_cpu_percent: 20.000 % against 40.000 % with Go's defaults; saving 20.000 % points (50% of" in text


def test_summary_text_without_a_feasible_trial_names_the_nearest_miss():
    data = summary_for(None, [entry(0, gogc=400, outcome="oom", feasible=False)])
    data["no_feasible"] = {"message": "none", "nearest_miss": {"trial": 0, "params": {"GOGC": 400},
                                                                "violated": {"no OOM kill": 1.0}}}
    text = summary_text(Summary.from_dict(data), "/runs/unit/1")
    assert "no feasible configuration found; nearest miss: trial 0 (GOGC=400) violating no OOM kill" in text


def test_night_text_and_history_show_median_and_range_of_the_repeats():
    finding = Finding(kind="objective", metric="gc_cpu_percent", previous_median=18.0, current_median=20.5,
                      change_percent=13.9, p_value=0.01, regression=True)
    tonight = night(findings=[finding])
    text = night_text(tonight, "/runs/unit/night-2")
    assert "recommended: GOGC=150, GOMEMLIMIT=200MiB (78.1% of memory), memory=256MiB" in text
    assert "gc_cpu_percent: 20.5 [19, 21] (Go's defaults: 40)" in text
    assert "REGRESSION objective: 18 -> 20.5 (+13.9% worse, p=0.01)" in text
    console = Console(width=200, record=True)
    console.print(history_table([night(recommended=None, verdict="first night"), tonight]))
    table = console.export_text()
    assert "20.5 [19, 21]" in table and "GOGC=150" in table and "100.0MiB" in table
    assert table.count("regression") == 1 and "first night" in table
