"""Workload output is kept up to a cap, and the cut is said where it happened."""

from __future__ import annotations

from orchestrator.parsers.workload import parse_workload_output
from orchestrator.runners._output import CappedOutput


def test_output_under_the_cap_is_kept_whole():
    out = CappedOutput(limit=100)
    for chunk in (b"gc 1 @0.1s", b" 1%: ...\n", b"gc 2\n"):
        out.append(chunk)
    assert out.text() == "gc 1 @0.1s 1%: ...\ngc 2\n" and out.dropped == 0


def test_a_flood_is_cut_at_the_cap_and_marked():
    out = CappedOutput(limit=1000)
    for _ in range(10_000):
        out.append(b"x" * 99 + b"\n")
    text = out.text()
    assert out.dropped == 10_000 * 100 - 1000
    body, note = text[:1000], text[1000:]
    assert body == ("x" * 99 + "\n") * 10
    assert note == f"gctune: output cut here: {out.dropped} more bytes were not kept (limit 1000 bytes)\n"
    assert len(text) < 1100


def test_the_cut_note_is_not_read_as_a_workload_record():
    out = CappedOutput(limit=10)
    out.append(b'{"type":"start"}\n')
    assert parse_workload_output(out.text()).other_lines >= 1  # the cut half-record and the note
