"""Reports of a run: a real run directory made by the real CLI, the files written from it, and a real
headless Chromium opening the HTML; plus the pure logic (warnings, snippets, escaping) on hand-built data."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT
from orchestrator.errors import UsageError
from orchestrator.report import (
    FORMATS, ReportData, build_headline, build_snippets, find_warnings, load_report_data, write_reports,
)
from orchestrator.results import SCHEMA_VERSION, EngineFacts, RunInfo, Summary
from orchestrator.spec import go_env
from orchestrator.stats import spread as spread_of

MIB = 2**20
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CHROMIUM = "/usr/bin/chromium"
EVIL = "<script>alert(1)</script>"

REPORT_SPEC = """
name: report-test
workload:
  builtin: service
  live_heap: 16MiB
  warmup: 500ms
  duration: 1500ms
container:
  cpus: 1
  memory: 256MiB
space:
  GOGC: {low: 25, high: 400, log: true}
  GOMEMLIMIT: {low: 50%, high: 95%}
objective:
  minimize: gc_cpu_percent
constraints:
  - peak_memory_bytes <= 120MiB
search:
  sampler: tpe
  trials: 4
  seed: 1
  repeats: 2
"""


# -- hand-built data for the pure tests ------------------------------------------------------------------------
# Entries are built as summary.json holds them, then read through the results models (Summary.from_dict),
# as the report reads a real run.


def spread(median: float, low: float | None = None, high: float | None = None, n: int = 2) -> dict[str, Any]:
    low = median if low is None else low
    high = median if high is None else high
    return {"n": n, "median": median, "min": low, "max": high, "ci_low": low, "ci_high": high,
            "ci_coverage": 0.5 if n == 2 else 0.9}


def entry(number: Any, gogc: Any = 100, limit_percent: float | None = 80, gc_cpu: float = 30.0,
          peak_mib: float = 100, outcome: str = "ok", feasible: bool = True, limiter: bool = False,
          repeats: int = 2, cpus: float = 2.0, gomaxprocs: Any = "auto", memory: int = 256 * MIB,
          noise: float = 1.0) -> dict[str, Any]:
    """One summary.json trial entry (or the baseline's shape when number == 'baseline')."""
    limit = int(memory * limit_percent / 100) if limit_percent is not None else None
    n = repeats
    return {
        "trial": number, "state": "COMPLETE", "outcome": outcome, "reason": None if outcome == "ok" else outcome,
        "feasible": feasible,
        "params": {"GOGC": gogc, "GOMEMLIMIT": limit, "GOMAXPROCS": gomaxprocs, "cpus": cpus, "memory": memory},
        "values": {"gc_cpu_percent": gc_cpu},
        "violations": {"no OOM kill": float(outcome == "oom"), "peak_memory_bytes <= 200MiB": -0.1},
        "metrics": {"gc_cpu_percent": gc_cpu, "peak_memory_bytes": peak_mib * MIB, "gc_limiter_engaged": limiter,
                    "repeats": repeats, "go_version": "go1.27.3", "pause_ms_max": 1.5},
        "spread": {"gc_cpu_percent": spread(gc_cpu, gc_cpu - noise, gc_cpu + noise, n) if n > 1
                   else spread(gc_cpu, n=1),
                   "peak_memory_bytes": spread(peak_mib * MIB, n=n)},
    }


def summary_for(recommended: dict[str, Any] | None, trials: list[dict[str, Any]],
                baseline: dict[str, Any] | None = None, runner_up: dict[str, Any] | None = None,
                experiment: str = "unit", constraints: list[str] | None = None) -> dict[str, Any]:
    baseline = baseline or entry("baseline", 100, None, gc_cpu=40.0, peak_mib=90)
    baseline = {k: v for k, v in baseline.items() if k not in ("trial", "state", "values")}
    rec = None if recommended is None else {**recommended, "rule": "best feasible gc_cpu_percent"}
    headroom = None
    if rec is not None:
        memory, limit = rec["params"]["memory"], rec["params"]["GOMEMLIMIT"]
        headroom = {"memory_limit_bytes": memory, "gomemlimit_bytes": limit,
                    "gomemlimit_headroom_bytes": memory - limit if limit else None,
                    "gomemlimit_headroom_percent": 100 * (memory - limit) / memory if limit else None,
                    "peak_headroom_bytes": memory - rec["metrics"]["peak_memory_bytes"]}
    saving = None
    if rec is not None:
        base, value = baseline["metrics"]["gc_cpu_percent"], rec["metrics"]["gc_cpu_percent"]
        saving = {"metric": "gc_cpu_percent", "baseline": base, "recommended": value, "absolute": base - value,
                  "relative": (base - value) / base}
    return {
        "run_id": "20260101-000000-test", "experiment": experiment, "storage": "sqlite:////nonexistent/study.db",
        "study_name": experiment, "finished": True,
        "objectives": [{"metric": "gc_cpu_percent", "direction": "minimize"}],
        "constraints": constraints if constraints is not None else ["peak_memory_bytes <= 200MiB"],
        "baseline": baseline, "recommended": rec, "saving": saving, "runner_up": runner_up, "pareto_front": None,
        "headroom": headroom,
        "trial_counts": {"total": len(trials), "feasible": sum(t["feasible"] for t in trials), "infeasible": 0},
        "no_feasible": None if rec else {"message": "no trial met every constraint", "nearest_miss": None},
        "trials": trials,
    }


def fake_data(summary: dict[str, Any], go: str = "go1.27.3", space: dict[str, Any] | None = None) -> ReportData:
    spec = {"name": summary["experiment"], "workload": {"builtin": "service"},
            "container": {"cpus": 2, "memory": "256MiB"},
            "space": space or {"GOGC": {"low": 25, "high": 400, "log": True},
                               "GOMEMLIMIT": {"low": "50%", "high": "95%"}}}
    return ReportData(run_dir=Path("/nonexistent/run"), summary=Summary.from_dict(summary, "test summary"),
                      run_info=RunInfo(go_toolchain=go, engine=EngineFacts(host_cpus=8)), spec=spec)


def codes(data: ReportData, production_go: str | None = None) -> set[str]:
    return {w.code for w in find_warnings(data, production_go)}


def clean_case(**rec_overrides: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rec = entry(1, **{"gogc": 150, "limit_percent": 80, "gc_cpu": 20.0, "noise": 0.5, **rec_overrides})
    far = entry(0, gogc=30, limit_percent=55, gc_cpu=50.0)
    return rec, [far, rec]


# -- warnings ---------------------------------------------------------------------------------------------------


def test_a_clean_run_has_no_warnings():
    rec, trials = clean_case()
    assert codes(fake_data(summary_for(rec, trials)), production_go="1.27") == set()


def test_limiter_engaged_in_the_recommendation_is_a_warning():
    rec, trials = clean_case(limiter=True)
    assert "gc_limiter_engaged" in codes(fake_data(summary_for(rec, trials)))


def test_thrashing_in_a_neighbouring_trial_is_a_warning_but_not_far_away():
    rec, trials = clean_case()
    near = entry(2, gogc=165, limit_percent=85, outcome="thrashing", feasible=False)
    far = entry(3, gogc=30, limit_percent=85, outcome="thrashing", feasible=False)
    assert "thrashing_nearby" in codes(fake_data(summary_for(rec, trials + [near])))
    assert "thrashing_nearby" not in codes(fake_data(summary_for(rec, trials + [far])))
    limiter_near = entry(4, gogc=140, limit_percent=75, limiter=True)
    warnings = find_warnings(fake_data(summary_for(rec, trials + [limiter_near])))
    assert any(w.code == "thrashing_nearby" and "trial 4" in w.message for w in warnings)


def test_oom_kills_among_neighbours_are_a_warning_within_25_percent_only():
    rec, trials = clean_case()
    near = entry(2, gogc=180, limit_percent=92, outcome="oom", feasible=False)  # +20%, +15%
    far = entry(3, gogc=400, limit_percent=92, outcome="oom", feasible=False)  # GOGC +167%
    assert "oom_nearby" in codes(fake_data(summary_for(rec, trials + [near])))
    assert "oom_nearby" not in codes(fake_data(summary_for(rec, trials + [far])))


def test_gogc_off_needs_headroom_below_the_container_limit():
    rec, trials = clean_case(gogc="off", limit_percent=90)
    assert "gogc_off_small_headroom" in codes(fake_data(summary_for(rec, trials)))
    rec, trials = clean_case(gogc="off", limit_percent=80)
    assert "gogc_off_small_headroom" not in codes(fake_data(summary_for(rec, trials)))


def test_cpu_limit_below_two_and_old_go_gomaxprocs():
    rec, trials = clean_case(cpus=1.0)
    modern = find_warnings(fake_data(summary_for(rec, trials), go="go1.25.0"))
    # No race measured GOMAXPROCS: the note says so and gives no rule-based advice.
    note = [w for w in modern if w.code == "gomaxprocs_not_measured"]
    assert note and "GOMAXPROCS=1" not in note[0].message and "search.confidence" in note[0].message
    old = codes(fake_data(summary_for(rec, trials), go="go1.24.6"))
    assert "gomaxprocs_ignores_quota" in old and "gomaxprocs_not_measured" not in old
    rec, trials = clean_case(cpus=1.0, gomaxprocs=1)
    assert not codes(fake_data(summary_for(rec, trials))) & {"gomaxprocs_not_measured", "gomaxprocs_ignores_quota"}


def test_go_version_of_production_is_compared_by_minor_release():
    rec, trials = clean_case()
    data = fake_data(summary_for(rec, trials), go="go1.27.3")
    assert "go_version_differs" in codes(data, production_go="1.24")
    assert "go_version_differs" not in codes(data, production_go="go1.27.1")
    assert "go_version_differs" not in codes(data)
    headline = build_headline(data)
    assert headline.go_version == "go1.27.3"


def test_single_repeat_and_noise_are_flagged():
    rec, trials = clean_case(repeats=1)
    assert "single_repeat" in codes(fake_data(summary_for(rec, trials)))
    assert build_headline(fake_data(summary_for(rec, trials))).confidence.level == "low"
    rec, trials = clean_case(gc_cpu=38.0, noise=3.0)  # overlaps the baseline's 40%
    assert "saving_within_noise" in codes(fake_data(summary_for(rec, trials)))
    rec, trials = clean_case()
    runner = {"trial": 0, "params": trials[0]["params"], "value": 20.5, "within_noise": True}
    data = fake_data(summary_for(rec, trials, runner_up=runner))
    assert "runner_up_within_noise" in codes(data)
    assert build_headline(data).confidence.runner_up_within_noise is True


def test_no_feasible_configuration_is_said_plainly():
    trials = [entry(0, gogc=400, outcome="oom", feasible=False)]
    data = fake_data(summary_for(None, trials))
    assert "no_feasible" in codes(data)
    headline = build_headline(data)
    assert headline.status == "no_feasible" and "No configuration met every constraint" in headline.verdict
    assert build_snippets(data) == []


# -- the spread's wording: an interval of the median is not the range of the runs ---------------------------


def seven(median: float, low: float, high: float, lowest: float, highest: float) -> dict[str, Any]:
    """A spread of 7 repeats whose interval of the median (ci) is narrower than the runs' min..max."""
    values = [lowest, low, median - 0.1, median, median + 0.1, high, highest]
    return {"n": 7, "median": median, "min": lowest, "max": highest, "ci_low": low, "ci_high": high,
            "ci_coverage": 0.875, "values": values}


def with_spread(item: dict[str, Any], gc_cpu: dict[str, Any]) -> dict[str, Any]:
    return {**item, "metrics": {**item["metrics"], "repeats": gc_cpu["n"]},
            "spread": {**item["spread"], "gc_cpu_percent": gc_cpu}}


def test_seven_repeats_speak_of_the_interval_of_the_median_not_of_every_run():
    rec, trials = clean_case()
    # The intervals of the medians (19.5..20.5 against 39.5..40.5) do not overlap, but the runs do: the
    # recommendation's slowest run (39.0) is worse than the defaults' fastest (21.0).
    rec = with_spread(rec, seven(20.0, 19.5, 20.5, 18.0, 39.0))
    base = with_spread(entry("baseline", 100, None, gc_cpu=40.0, peak_mib=90), seven(40.0, 39.5, 40.5, 21.0, 43.0))
    data = fake_data(summary_for(rec, [trials[0], rec], baseline=base))
    headline = build_headline(data)
    text = headline.expected[0].text
    assert "88% confidence interval 19.5% to 20.5% over 7 runs" in text
    assert "ranged" not in text and "range " not in text
    reasons = headline.confidence.reasons
    assert not [r for r in reasons if "every run" in r or "beat" in r]
    assert [r for r in reasons if "confidence intervals of the medians" in r and "do not overlap" in r
            and "better beyond noise" in r]
    assert headline.confidence.beats_baseline_beyond_noise is True
    assert "the 88% confidence interval of the median GC CPU spans 5% of it" in reasons  # (20.5 - 19.5) / 20
    assert not [r for r in reasons if "between runs" in r]
    markdown_facts = " ".join([text] + reasons)
    assert "18%" not in markdown_facts and "39%" not in markdown_facts  # the runs' extremes are not the interval


def test_seven_repeats_whose_intervals_overlap_are_within_noise_in_the_interval_words():
    rec, trials = clean_case()
    rec = with_spread(rec, seven(20.0, 19.0, 21.0, 18.0, 22.0))
    base = with_spread(entry("baseline", 100, None, gc_cpu=21.5, peak_mib=90), seven(21.5, 20.5, 22.5, 19.0, 24.0))
    data = fake_data(summary_for(rec, [trials[0], rec], baseline=base))
    (noise,) = [w for w in find_warnings(data) if w.code == "saving_within_noise"]
    assert "88% confidence interval 19% to 21%" in noise.message
    assert "88% confidence interval 20.5% to 22.5%" in noise.message
    assert "runs of" not in noise.message and "range" not in noise.message
    reasons = build_headline(data).confidence.reasons
    assert [r for r in reasons if "confidence intervals of the medians" in r and "overlap" in r and "noise" in r]


def test_a_computed_interval_of_nine_repeats_is_narrower_than_their_range():
    from orchestrator.results import Recommendation

    values = [18.0, 19.0, 19.5, 19.8, 20.0, 20.2, 20.5, 21.0, 30.0]
    spread = spread_of(values)
    assert not spread.is_range and (spread.ci_low, spread.ci_high) == (19.0, 21.0)  # [x_(2), x_(8)]
    rec, trials = clean_case()
    rec = with_spread(rec, spread.to_dict())
    data = fake_data(summary_for(rec, [trials[0], rec]))
    assert isinstance(data.recommended, Recommendation) and data.recommended.spread["gc_cpu_percent"] == spread
    text = build_headline(data).expected[0].text
    assert f"{spread.ci_coverage:.0%} confidence interval 19% to 21% over 9 runs" in text and "30%" not in text


def test_below_nine_repeats_the_interval_is_the_range_and_is_called_so():
    rec, trials = clean_case()  # 2 repeats: 19.5..20.5 against Go's defaults' 39..41
    headline = build_headline(fake_data(summary_for(rec, trials)))
    assert "range 19.5% to 20.5% over 2 runs" in headline.expected[0].text
    assert "confidence interval" not in headline.expected[0].text
    assert [r for r in headline.confidence.reasons if "ranges of the runs" in r and "do not overlap" in r]
    assert "GC CPU varied by 5% of its median between runs" in headline.confidence.reasons  # (20.5 - 19.5) / 20
    seven_runs = spread_of([18.0, 19.0, 19.5, 20.0, 20.5, 21.0, 22.0])
    assert seven_runs.is_range  # with 7 repeats the 95% interval of the median is still min..max
    rec = with_spread(rec, seven_runs.to_dict())
    text = build_headline(fake_data(summary_for(rec, trials))).expected[0].text
    assert "range 18% to 22% over 7 runs" in text


# -- snippets -----------------------------------------------------------------------------------------------------


def env_lines(text: str) -> dict[str, str]:
    pairs = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z_][A-Z0-9_]*", key), line
        pairs[key] = value
    return pairs


def test_snippets_carry_the_recommendation_and_kubernetes_limits():
    rec, trials = clean_case(cpus=1.5)
    snippets = {s.name: s for s in build_snippets(fake_data(summary_for(rec, trials)))}
    assert set(snippets) == {"env file", "Dockerfile", "Kubernetes", "systemd"}
    assert all(s.reason for s in snippets.values())
    expected = {"GOGC": "150", "GOMEMLIMIT": str(rec["params"]["GOMEMLIMIT"])}
    assert env_lines(snippets["env file"].text) == expected
    container = yaml.safe_load(snippets["Kubernetes"].text)
    assert container["resources"]["limits"] == {"cpu": "1500m", "memory": "256Mi"}
    assert {e["name"]: e["value"] for e in container["env"]} == expected
    assert "resourceFieldRef" in snippets["Kubernetes"].reason
    assert [line for line in snippets["Dockerfile"].text.splitlines() if line.startswith("ENV ")] == [
        f"ENV {k}={v}" for k, v in expected.items()]
    assert f"Environment=GOGC=150 GOMEMLIMIT={expected['GOMEMLIMIT']}" in snippets["systemd"].text


def test_keeping_go_defaults_still_gives_snippets():
    baseline = entry("baseline", 100, None, gc_cpu=20.0)
    rec = {k: v for k, v in baseline.items() if k not in ("state", "values")}
    summary = summary_for(None, [entry(0, gogc=30, gc_cpu=50.0)], baseline=baseline)
    summary["recommended"] = {**rec, "trial": "baseline", "rule": "no trial beat Go's defaults"}
    data = fake_data(summary)
    headline = build_headline(data)
    assert headline.status == "defaults" and headline.verdict.startswith("Keep Go's defaults")
    snippets = build_snippets(data)
    assert len(snippets) == 4 and all("Go's defaults" in s.text for s in snippets)
    assert env_lines(snippets[0].text) == {"GOGC": "100"}
    assert go_env({"GOGC": "off", "GOMEMLIMIT": 100 * MIB, "GOMAXPROCS": 2}) == {
        "GOGC": "off", "GOMEMLIMIT": str(100 * MIB), "GOMAXPROCS": "2"}


# -- write_reports on a hand-made run directory (no Docker) --------------------------------------------------------


def fake_run_dir(tmp_path: Path, summary: dict[str, Any],
                 spec: str = "name: unit\nworkload: {builtin: service}\n") -> Path:
    run = tmp_path / "results" / "unit" / "20260101-000000-test"
    run.mkdir(parents=True)
    (run / "spec.yaml").write_text(spec)
    (run / "summary.json").write_text(json.dumps(Summary.from_dict(summary).to_dict()))
    (run / "run.json").write_text(json.dumps(RunInfo(go_toolchain="go1.27.3").to_dict()))
    return run


def test_user_strings_are_escaped_in_html_and_markdown(tmp_path):
    rec, trials = clean_case()
    trials.append(entry(2, gogc=300, outcome="crash", feasible=False))
    trials[-1]["reason"] = f"exit code 2: panic {EVIL} see https://example.com/x"
    summary = summary_for(rec, trials, experiment=EVIL, constraints=[f"peak_memory_bytes <= 200MiB {EVIL}"])
    run = fake_run_dir(tmp_path, summary)
    write_reports(run)
    page = (run / "report.html").read_text()
    assert EVIL not in page and "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http://" not in page and "https://" not in page  # text URLs are defused, never links
    markdown = (run / "report.md").read_text()
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert json.loads((run / "report.json").read_text())["experiment"] == EVIL  # data stays data


def test_missing_data_skips_figures_with_a_note(tmp_path):
    run = fake_run_dir(tmp_path, summary_for(None, [entry(0, gogc=400, outcome="oom", feasible=False)]))
    paths = write_reports(run)
    assert [p.name for p in paths] == ["report.html", "report.md", "report.json"]
    report = json.loads((run / "report.json").read_text())
    plots = {p["name"]: p for p in report["plots"]}
    assert plots["heap_over_time"]["file"] is None and plots["heap_over_time"]["note"].startswith("Not drawn")
    assert plots["importance"]["file"] is None and "study" in plots["importance"]["note"]
    assert report["headline"]["status"] == "no_feasible"
    assert "Not drawn" in (run / "report.html").read_text()


def test_formats_are_checked_and_only_the_asked_ones_are_written(tmp_path):
    rec, trials = clean_case()
    run = fake_run_dir(tmp_path, summary_for(rec, trials))
    assert write_reports(run, ["json"]) == [run / "report.json"]
    assert not (run / "report.html").exists() and not (run / "report.md").exists()
    with pytest.raises(UsageError) as error:
        write_reports(run, ["html", "pdf"])
    assert error.value.exit_code == 2 and "'pdf'" in str(error.value)
    assert all(f in str(error.value) for f in FORMATS)


def test_a_folder_that_is_not_a_run_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such directory"):
        write_reports(tmp_path / "missing")
    with pytest.raises(UsageError, match="not a gctune run directory"):
        write_reports(tmp_path)
    (tmp_path / "spec.yaml").write_text("name: x\n")
    with pytest.raises(UsageError, match="no summary.json") as error:
        write_reports(tmp_path)
    assert error.value.exit_code == 2


def test_a_summary_from_a_newer_gctune_is_refused_naming_the_file(tmp_path):
    rec, trials = clean_case()
    run = fake_run_dir(tmp_path, summary_for(rec, trials))
    newer = {**json.loads((run / "summary.json").read_text()), "schema_version": SCHEMA_VERSION + 98}
    (run / "summary.json").write_text(json.dumps(newer))
    with pytest.raises(UsageError) as error:
        write_reports(run)
    message = str(error.value)
    assert error.value.exit_code == 2 and str(run / "summary.json") in message
    assert f"schema_version {SCHEMA_VERSION + 98}" in message and "upgrade gctune" in message
    assert not (run / "report.html").exists()
    (run / "summary.json").write_text(json.dumps({"trials": "not a summary"}))
    with pytest.raises(UsageError, match=r"summary\.json: not a gctune Summary"):
        load_report_data(run)


PATTERNS_SPEC = """name: unit
workload: {builtin: service}
container: {cpus: 2, memory: 256MiB}
space:
  map_keys: [string, int]
  GOGC: [100, 200]
"""


def with_options(item: dict[str, Any], heap_mib: float, **options: Any) -> dict[str, Any]:
    """A trial entry that also records service options and a peak heap."""
    metrics = {**item["metrics"], "peak_heap_bytes": heap_mib * MIB}
    return {**item, "params": {**item["params"], **options}, "metrics": metrics}


def test_option_effects_are_reported_only_with_matched_pairs_of_a_categorical_setting(tmp_path):
    trials = [with_options(entry(0, gogc=100, gc_cpu=30.0), 100, map_keys="string"),
              with_options(entry(1, gogc=100, gc_cpu=33.0), 56, map_keys="int"),
              with_options(entry(2, gogc=200, gc_cpu=20.0), 150, map_keys="string"),
              with_options(entry(3, gogc=200, gc_cpu=22.0), 87, map_keys="int")]
    run = fake_run_dir(tmp_path, summary_for(trials[0], trials), spec=PATTERNS_SPEC)
    write_reports(run)
    effects = json.loads((run / "report.json").read_text())["option_effects"]
    assert [(e["setting"], e["reference"], e["value"], e["pairs"]) for e in effects] == [
        ("map_keys", "string", "int", [[0, 1], [2, 3]])]
    heap = effects[0]["metrics"]["peak_heap_bytes"]
    assert heap["pairs"] == 2 and heap["median_ratio"] == pytest.approx((0.56 + 0.58) / 2)
    assert heap["min_change_percent"] == pytest.approx(-44.0) and heap["max_change_percent"] == pytest.approx(-42.0)
    line = "map_keys=int against map_keys=string: GC CPU +10.0% (median of 2 matched pairs, range +10.0% .. +10.0%)"
    for name in ("report.html", "report.md"):
        text = (run / name).read_text().replace("\\_", "_")
        assert "Option effects" in text and line in text
        assert "peak heap -43.0% (median of 2 matched pairs, range -44.0% .. -42.0%)" in text

    plain = tmp_path / "plain"
    rec, trials = clean_case()
    run = fake_run_dir(plain, summary_for(rec, trials))
    write_reports(run)
    assert "option_effects" not in json.loads((run / "report.json").read_text())
    assert all("Option effects" not in (run / n).read_text() for n in ("report.html", "report.md"))


GOGC_OFF_SPEC = """name: unit
workload: {builtin: service}
container: {cpus: 2, memory: 256MiB}
space:
  GOGC: [100, off]
  GOMEMLIMIT: {low: 50%, high: 95%}
"""


def test_gogc_off_in_the_space_reads_off_not_false(tmp_path):
    assert yaml.safe_load(GOGC_OFF_SPEC)["space"]["GOGC"] == [100, False]  # what a plain YAML reader makes of it
    rec, trials = clean_case(gogc="off")
    run = fake_run_dir(tmp_path, summary_for(rec, trials), spec=GOGC_OFF_SPEC)
    data = load_report_data(run)
    assert data.spec["space"]["GOGC"] == [100, "off"] and "GOGC" in data.searched_settings()
    write_reports(run)
    report = json.loads((run / "report.json").read_text())
    assert report["headline"]["space"] == "GOGC one of 100, off; GOMEMLIMIT 50% to 95%"
    for name in ("report.md", "report.html"):
        text = (run / name).read_text()
        assert "GOGC one of 100, off" in text and "False" not in text


# -- a real run ------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    """`gctune run` of a tiny spec (4 trials x 2 repeats, about 30 s), then write_reports on its folder."""
    folder = tmp_path_factory.mktemp("report-run")
    spec = folder / "spec.yaml"
    spec.write_text(REPORT_SPEC)
    result = subprocess.run([sys.executable, "-m", "orchestrator", "run", str(spec), "--results-dir",
                             str(folder / "results"), "--run-id", "report-test"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    run = folder / "results" / "report-test" / "report-test"
    written = write_reports(run, production_go="1.24")
    assert written == [run / "report.html", run / "report.md", run / "report.json"]
    return run


def summary_of(run: Path) -> dict[str, Any]:
    return json.loads((run / "summary.json").read_text())


def report_of(run: Path) -> dict[str, Any]:
    return json.loads((run / "report.json").read_text())


@pytest.mark.slow
@pytest.mark.docker
def test_real_run_html_is_self_contained(real_run):
    page = (real_run / "report.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"<script\b", page, re.I) and not re.search(r"<link\b", page, re.I)
    assert not re.search(r"url\(", page, re.I) and not re.search(r"@import", page, re.I)
    sources = re.findall(r"""\b(?:src|href)\s*=\s*["']([^"']*)["']""", page, re.I)
    images = re.findall(r"<img\b[^>]*>", page, re.I)
    drawn = [p for p in report_of(real_run)["plots"] if p["file"]]
    assert len(images) == len(drawn) >= 5
    assert len(sources) == len(images)
    for source in sources:
        assert source.startswith("data:image/png;base64,"), source[:60]
        assert base64.b64decode(source.split(",", 1)[1], validate=True).startswith(PNG_MAGIC)


@pytest.mark.slow
@pytest.mark.docker
def test_real_run_markdown_links_only_existing_pngs(real_run):
    text = (real_run / "report.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert len(targets) >= 5
    for target in targets:
        assert not re.match(r"^[a-z]+:", target) and not target.startswith("/"), target
        path = real_run / target
        assert path.suffix == ".png" and path.is_file(), target
        assert path.read_bytes().startswith(PNG_MAGIC)
    assert "Go version measured" in text


@pytest.mark.slow
@pytest.mark.docker
def test_real_run_json_holds_headline_warnings_snippets(real_run):
    summary, report = summary_of(real_run), report_of(real_run)
    info = json.loads((real_run / "run.json").read_text())
    headline = report["headline"]
    assert headline["params"] == summary["recommended"]["params"]
    assert headline["recommended_trial"] == summary["recommended"]["trial"]
    assert report["go_version_measured"] == info["go_toolchain"] == headline["go_version"]
    assert headline["confidence"]["level"] in ("high", "medium", "low")
    assert isinstance(report["warnings"], list)
    assert all(set(w) == {"code", "severity", "message"} for w in report["warnings"])
    warned = {w["code"] for w in report["warnings"]}
    assert "gomaxprocs_not_measured" in warned  # 1 CPU, no race
    assert "go_version_differs" in warned  # production_go="1.24"
    assert [s["name"] for s in report["snippets"]] == ["env file", "Dockerfile", "Kubernetes", "systemd"]
    assert {p["name"] for p in report["plots"]} == {"objective_vs_settings", "gc_cpu_vs_memory", "heap_over_time",
                                                   "gc_pauses", "history", "model_vs_measured", "importance"}
    for plot in report["plots"]:
        if plot["name"] == "importance" and plot["file"] is None:  # e.g. a trial failed: fewer than 4 complete
            assert plot["note"].startswith("Not computed"), plot
            continue
        assert plot["file"] and (real_run / plot["file"]).is_file(), plot
    assert report["files"] == {"html": "report.html", "md": "report.md", "json": "report.json"}


@pytest.mark.slow
@pytest.mark.docker
def test_real_run_snippets_parse_and_match_the_recommendation(real_run):
    params = summary_of(real_run)["recommended"]["params"]
    expected = {"GOGC": str(params["GOGC"])}
    if params["GOMEMLIMIT"] is not None:
        expected["GOMEMLIMIT"] = str(int(params["GOMEMLIMIT"]))
    snippets = {s["name"]: s["text"] for s in report_of(real_run)["snippets"]}
    assert env_lines(snippets["env file"]) == expected
    container = yaml.safe_load(snippets["Kubernetes"])
    assert container["resources"]["limits"] == {"cpu": "1", "memory": "256Mi"}
    assert {e["name"]: e["value"] for e in container["env"]} == expected
    assert all(isinstance(e["value"], str) for e in container["env"])
    environment = next(line for line in snippets["systemd"].splitlines() if line.startswith("Environment="))
    assert dict(p.split("=", 1) for p in environment.removeprefix("Environment=").split()) == expected


# -- a real browser ---------------------------------------------------------------------------------------------------


CHECK_SCRIPT = """<script>
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var result = {
    images: images.length,
    loaded: images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length,
    scrollWidth: document.documentElement.scrollWidth,
    scrolledTables: Array.prototype.slice.call(document.querySelectorAll('.table-wrap'))
      .filter(function (t) { return t.scrollWidth > t.clientWidth; }).length,
    innerWidth: window.innerWidth
  };
  var out = document.createElement('pre');
  out.id = 'gctune-check';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed by scripts/ensure-chromium when missing."""
    result = subprocess.run([str(ROOT / "scripts" / "ensure-chromium")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"scripts/ensure-chromium failed:\n{result.stderr}"
    return CHROMIUM


def chromium_args(binary: str, profile: Path, width: int, height: int) -> list[str]:
    return [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--window-size={width},{height}"]


def browser_check(binary: str, page: Path, tmp_path: Path, width: int) -> dict[str, Any]:
    """Open a copy of ``page`` with a checking script added, and read what the script found."""
    checked = tmp_path / f"check-{width}-{page.name}"
    checked.write_text(page.read_text().replace("</body>", CHECK_SCRIPT + "\n</body>"))
    result = subprocess.run(chromium_args(binary, tmp_path / f"profile-{width}", width, 900)
                            + ["--virtual-time-budget=10000", "--dump-dom", checked.as_uri()],
                            capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="gctune-check">([^<]*)</pre>', result.stdout)
    assert match, f"no result from chromium:\n{result.stderr[-2000:]}"
    return json.loads(match.group(1).replace("&quot;", '"'))


@pytest.mark.slow
@pytest.mark.docker
def test_real_run_html_in_headless_chromium(real_run, chromium, tmp_path):
    control = tmp_path / "control.html"
    control.write_text("<!DOCTYPE html><html><body><div style='width:2000px'>wide</div></body></html>")
    assert browser_check(chromium, control, tmp_path, 800)["scrollWidth"] > 800  # the check can fail
    drawn = len([p for p in report_of(real_run)["plots"] if p["file"]])
    for width in (1280, 800):
        found = browser_check(chromium, real_run / "report.html", tmp_path, width)
        assert found["images"] == drawn and found["loaded"] == drawn, found
        assert found["innerWidth"] == width, found
        assert found["scrollWidth"] <= found["innerWidth"], f"horizontal overflow at {width}px: {found}"
        assert found["scrolledTables"] == 0, f"a table needs its own scroll bar at {width}px: {found}"
    for width, height in ((1280, 4000), (800, 4000)):
        shot = tmp_path / f"report-{width}.png"
        result = subprocess.run(chromium_args(chromium, tmp_path / "profile-shot", width, height)
                                + [f"--screenshot={shot}", (real_run / "report.html").as_uri()],
                                capture_output=True, text=True, timeout=120)
        assert shot.is_file() and shot.read_bytes().startswith(PNG_MAGIC), result.stderr[-2000:]
        assert shot.stat().st_size > 50_000  # a page with text and figures, not a blank one


def gc_line(number: int, at: float, start: int, end: int, live: int, goal: int, pause: float | str = 0.1) -> str:
    return (f"gc {number} @{at:.3f}s 5%: {pause}+2.0+0.050 ms clock, 0.20+1.0/1.0/0+0.10 ms cpu, "
            f"{start}->{end}->{live} MB, {goal} MB goal, 0 MB stacks, 0 MB globals, 2 P")


def sample_line(t: float, event: str, num_gc: int) -> str:
    return json.dumps({"type": "sample", "t": t, "event": event, "phase": "measure", "ops": 0,
                       "memstats": {"NumGC": num_gc}, "metrics": {}, "rusage_cpu_s": 0.0})


# Pauses as the runtime prints them (two significant digits: 0.11 .. 0.39 ms), so every line parses.
TRACE_TEXT = "\n".join(gc_line(i, 0.1 * i, 40 + i % 5, 45, 20, 44, f"0.{10 + i}") for i in range(1, 30))
# The window opens at 0.5 s, when cycle 5 ends, but MemStats.NumGC already reads 7 (the samples run late):
# the metrics count cycles 8..24 by number, where an end-time rule would count 5..24.
WINDOW_TEXT = "\n".join([sample_line(0.2, "tick", 2), sample_line(0.5, "window_start", 7),
                         sample_line(1.5, "tick", 15), sample_line(2.45, "window_end", 24)])


def trace_run(repeat: int = 1, window: bool = True) -> Any:
    from orchestrator.metrics import measurement_window
    from orchestrator.parsers.gctrace import parse_gctrace
    from orchestrator.parsers.workload import parse_workload_output
    from orchestrator.report import TraceRun

    found = measurement_window(parse_workload_output(WINDOW_TEXT)) if window else None
    return TraceRun(repeat, parse_gctrace(TRACE_TEXT), found)


def test_the_report_counts_the_cycles_the_metrics_counted(tmp_path):
    from orchestrator.metrics import window_cycles

    rec, trials = clean_case()
    run = fake_run_dir(tmp_path, summary_for(rec, trials))
    for folder in (run / "baseline" / "repeat-1", run / "trials" / "0001" / "repeat-1"):
        folder.mkdir(parents=True)
        (folder / "gctrace.txt").write_text(TRACE_TEXT + "\n")
        (folder / "workload.jsonl").write_text(WINDOW_TEXT + "\n")
    data = load_report_data(run)
    (base,) = data.traces["baseline"]
    assert base.window is not None and base.window_span == (0.5, 2.45)
    assert [c.number for c in base.window_cycles()] == list(range(8, 25))
    assert list(base.window_cycles()) == window_cycles(base.window, base.trace)
    assert [len(r.window_cycles()) for r in data.traces["recommended"]] == [17]
    assert len(trace_run(window=False).window_cycles()) == 29  # no window: every cycle


def test_every_figure_draws_from_odd_but_valid_data():
    from orchestrator.report import compute_importance, render_plots

    rec, trials = clean_case(gogc="off", limit_percent=70)
    trials += [entry(2, gogc=200, limit_percent=None, gc_cpu=25.0),  # no GOMEMLIMIT
               entry(3, gogc=400, limit_percent=95, outcome="oom", feasible=False),
               entry(4, gogc=50, limit_percent=60, outcome="thrashing", feasible=False),
               entry(5, gogc="off", limit_percent=None, outcome="skipped", feasible=False)]
    trials[-2]["metrics"] = {}  # killed before the window: no value to plot
    failed = entry(6, gogc=80, limit_percent=65, outcome="crash", feasible=False)
    trials.append({**failed, "state": "FAIL", "values": None})
    data = fake_data(summary_for(rec, trials))
    data.traces = {"baseline": [trace_run()], "recommended": [trace_run(window=False)]}
    plots = render_plots(data, compute_importance(data))
    assert [p.name for p in plots] == ["objective_vs_settings", "gc_cpu_vs_memory", "heap_over_time", "gc_pauses",
                                       "history", "model_vs_measured", "importance"]
    for plot in plots[:5]:
        assert plot.png is not None and plot.png.startswith(PNG_MAGIC), (plot.name, plot.note)
    assert plots[5].png is None and "needs at least 3" in plots[5].note  # hand-built data has no raw repeats
    assert plots[6].png is None and plots[6].note.startswith("Not computed")  # no study in hand-built data
