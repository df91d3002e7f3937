"""The machine fingerprint: read from /proc/cpuinfo, compared by machine, and nights never compared
across machines."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATA
from orchestrator.history import HistoryStore, history_url, judge
from orchestrator.results import Fingerprint, Night
from orchestrator.runners._host import local_fingerprint, parse_cpuinfo
from orchestrator.spec import load_spec_text

EPYC = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 9R14 96-Core Processor
flags\t\t: fpu vme sse2 avx avx2 bmi2 erms avx512f avx512bw avx512vl fsrm gfni vaes
"""
XEON = EPYC.replace("AMD EPYC 9R14 96-Core Processor", "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz").replace(
    " avx512f avx512bw avx512vl", "")
SPEC = load_spec_text("name: fp\nworkload: {builtin: service}\nnightly: {repeats: 5}\n")


def machine(cpuinfo: str, go: str = "go1.27.3", memory: int = 2**34, tmp: Path | None = None) -> Fingerprint:
    assert tmp is not None
    path = tmp / f"cpuinfo-{abs(hash(cpuinfo))}"
    path.write_text(cpuinfo)
    return local_fingerprint(2, memory, "docker 20.10", "1", cpuinfo=path).model_copy(update={"go_version": go})


def night(run_id: str, fingerprint: Fingerprint, values: list[float]) -> Night:
    return Night(experiment="fp", run_id=run_id, date="2026-12-02", mode="study", comparable_key="k",
                 objective="gc_cpu_percent", direction="minimize", objective_values=values,
                 baseline_values=values, peak_memory_values=[1e8] * len(values), fingerprint=fingerprint)


def test_cpuinfo_gives_the_model_and_the_gc_relevant_flags():
    model, flags = parse_cpuinfo(EPYC)
    assert model == "AMD EPYC 9R14 96-Core Processor"
    assert "avx512f" in flags and "avx2" in flags and "fpu" not in flags
    assert "avx512f" not in parse_cpuinfo(XEON)[1]


def test_machine_id_ignores_memory_and_go_but_not_the_cpu(tmp_path):
    epyc = machine(EPYC, tmp=tmp_path)
    assert epyc.machine_id == machine(EPYC, go="go1.26.6", memory=2**33, tmp=tmp_path).machine_id
    xeon = machine(XEON, tmp=tmp_path)
    assert xeon.machine_id != epyc.machine_id
    assert any(d.startswith("cpu_model: AMD EPYC") for d in xeon.differences(epyc))


def test_a_night_on_another_machine_is_machine_changed_not_a_regression(tmp_path):
    epyc, xeon = machine(EPYC, tmp=tmp_path), machine(XEON, tmp=tmp_path)
    store = HistoryStore(history_url(None, tmp_path))
    store.append(night("n1", xeon, [12.5, 12.7, 12.6, 12.8, 12.7]))
    tonight = night("n2", epyc, [16.0, 16.5, 17.5, 15.7, 16.2])  # 30% "worse": a hardware change
    previous = store.last_comparable("fp", "k", epyc.machine_id)
    assert previous is None
    judge(tonight, previous, SPEC, elsewhere=store.last_comparable("fp", "k"))
    assert tonight.verdict == "machine changed" and not tonight.regression
    assert "cpu_model" in tonight.findings[0].note


def test_the_same_machine_is_compared_and_a_new_go_is_named(tmp_path):
    old, new = machine(EPYC, go="go1.26.6", tmp=tmp_path), machine(EPYC, tmp=tmp_path)
    store = HistoryStore(history_url(None, tmp_path))
    store.append(night("n1", old, [10.0, 10.1, 10.2, 10.1, 10.0]))
    tonight = night("n2", new, [13.0, 13.1, 13.2, 13.4, 13.0])
    previous = store.last_comparable("fp", "k", new.machine_id)
    assert previous is not None and previous.run_id == "n1"
    judge(tonight, previous, SPEC)
    assert tonight.verdict == "regression"
    assert any(f.kind == "Go build changed" and f.to == "go1.27.3" for f in tonight.findings)


def test_nights_of_gctune_0_1_have_no_fingerprint_and_still_compare(tmp_path):
    import shutil

    shutil.copy(DATA / "format-v1" / "history.db", tmp_path / "history.db")
    store = HistoryStore(history_url(None, tmp_path))
    key = store.nights("format-v1")[-1].comparable_key
    assert store.last_comparable("format-v1", key, "any-machine").run_id == "night-2"


@pytest.mark.parametrize("text", ["", "processor: 0\n"])
def test_an_unreadable_cpuinfo_gives_no_model(text):
    assert parse_cpuinfo(text) == (None, [])
