"""The results contract: files written by gctune 0.1 still load, newer ones are refused, and writing a
model back gives the same data.

tests/data/format-v1/ holds two nightly run folders and their history.db, written by gctune 0.1 itself.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from conftest import DATA, gctune_in_process
from orchestrator.errors import UsageError
from orchestrator.history import HistoryStore, history_url
from orchestrator.results import SCHEMA_VERSION, Night, RunInfo, Summary
from orchestrator.store import RunDir

V1 = DATA / "format-v1"
NIGHTS = ("night-1", "night-2")


@pytest.mark.parametrize("night", NIGHTS)
def test_a_version_1_summary_loads_with_every_trial(night):
    raw = json.loads((V1 / night / "summary.json").read_text())
    assert "schema_version" not in raw  # really the old format
    summary = Summary.read(V1 / night / "summary.json")
    assert summary.experiment == "format-v1" and summary.run_id == night
    assert [t.trial for t in summary.trials] == [t["trial"] for t in raw["trials"]]
    assert summary.baseline.metrics["gc_cpu_percent"] == raw["baseline"]["metrics"]["gc_cpu_percent"]
    assert summary.baseline.spread["gc_cpu_percent"].values == tuple(raw["baseline"]["spread"]["gc_cpu_percent"]["values"])
    assert summary.recommended is not None
    assert summary.recommended.params == raw["recommended"]["params"]
    assert summary.first_objective == ("gc_cpu_percent", "minimize")


@pytest.mark.parametrize("night", NIGHTS)
def test_writing_a_loaded_summary_keeps_every_value(night):
    """Round trip: every key 0.1 wrote comes back with the same value (new keys may be added)."""
    raw = json.loads((V1 / night / "summary.json").read_text())
    again = Summary.from_dict(raw).to_dict()

    def same(old, new, path="summary"):
        if isinstance(old, dict):
            assert isinstance(new, dict), path
            for key, value in old.items():
                assert key in new, f"{path}.{key} was dropped"
                same(value, new[key], f"{path}.{key}")
        elif isinstance(old, list):
            assert len(old) == len(new), path
            for index, (a, b) in enumerate(zip(old, new)):
                same(a, b, f"{path}[{index}]")
        else:
            assert old == new, f"{path}: {old!r} became {new!r}"

    same(raw, again)
    assert again["schema_version"] == SCHEMA_VERSION


def test_run_info_and_night_of_version_1_load():
    info = RunInfo.read(V1 / "night-1" / "run.json")
    assert info.image and info.go_toolchain and info.engine.host_cpus
    night = Night.read(V1 / "night-2" / "night.json")
    assert night.verdict == "no regression" and night.mode == "recheck"
    assert {f.kind for f in night.findings} >= {"objective at the recommendation"}
    assert all(f.is_test for f in night.findings if f.kind.startswith("objective"))


def test_a_version_1_history_lists_its_nights(tmp_path):
    shutil.copy(V1 / "history.db", tmp_path / "history.db")
    nights = HistoryStore(history_url(None, tmp_path)).nights("format-v1")
    assert [n.run_id for n in nights] == list(NIGHTS)
    assert nights[1].baseline_values and nights[1].objective_values


def test_a_newer_schema_version_is_refused_with_exit_2(tmp_path):
    raw = json.loads((V1 / "night-1" / "summary.json").read_text())
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({**raw, "schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(UsageError, match="newer gctune") as caught:
        Summary.read(path)
    assert caught.value.exit_code == 2 and str(path) in str(caught.value)


def test_a_history_row_from_a_newer_gctune_is_refused(tmp_path):
    shutil.copy(V1 / "history.db", tmp_path / "history.db")
    with sqlite3.connect(tmp_path / "history.db") as db:
        record = json.loads(db.execute("select record from nights order by id desc").fetchone()[0])
        db.execute("update nights set record = ? where run_id = 'night-2'",
                   (json.dumps({**record, "schema_version": 99}),))
    with pytest.raises(UsageError, match="newer gctune"):
        HistoryStore(history_url(None, tmp_path)).nights()


def test_a_file_that_is_no_history_is_a_clear_error(tmp_path):
    (tmp_path / "history.db").write_bytes(b"\x00\x01 not sqlite " * 100)
    result = gctune_in_process("history", str(tmp_path))
    assert result.returncode == 2, result.stderr
    assert "not a gctune history" in result.stderr and "Traceback" not in result.stderr

    other = tmp_path / "other"
    other.mkdir()
    with sqlite3.connect(other / "history.db") as db:
        db.execute("create table unrelated (x int)")
    result = gctune_in_process("history", str(other))
    assert result.returncode == 0 and "Traceback" not in result.stderr  # a database without nights: none listed
    assert not sqlite3.connect(other / "history.db").execute(
        "select name from sqlite_master where name = 'nights'").fetchone()  # reading created nothing


def test_run_dir_reads_its_models():
    store = RunDir.open(V1 / "night-2")
    assert store.read_summary().run_id == "night-2"
    assert store.read_info().run_id == "night-2"
    assert store.read_night().run_id == "night-2"
