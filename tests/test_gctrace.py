"""Tests for orchestrator.parsers.gctrace against real GODEBUG=gctrace=1 captures.

The fixtures in tests/data/gctrace/ were captured from real Go toolchains (see
the README there). Expected values are computed here with plain ``str.split``,
independently of the parser's regular expression.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from pathlib import Path

import pytest

from orchestrator.parsers.gctrace import (
    GCCycle,
    GCTraceScanner,
    iter_gc_cycles,
    parse_gctrace,
)

DATA = Path(__file__).parent / "data" / "gctrace"
BASIC = ["go1.21.13.txt", "go1.23.9.txt", "go1.25.5.txt", "go1.26.6.txt", "go1.27.3.txt"]
ALL = sorted(p.name for p in DATA.glob("*.txt"))

SUMMARY_KEYS = {
    "cycles", "forced_cycles", "skipped_lines", "elapsed_s", "gc_percent_last",
    "pause_ms_total", "pause_ms_max", "cpu_ms_total", "heap_peak_mb",
    "live_heap_mb_last", "heap_goal_mb_last", "procs_last", "missing_cycles",
}
MARKERS = ("ms clock", "ms cpu", "MB goal", "MB stacks", "MB globals")

# Real lines (quoted from the reference notes and from golang/go issues).
LINE_127_LEAK_ZERO = (
    "gc 1 @0.000s 15% (checking for goroutine leaks): 0.21+0.22+0.094 ms clock, "
    "0.43+0/0.12/0.089+0.18 ms cpu, 0->0->0 MB, 4 MB goal, 0 MB stacks, "
    "0 MB globals, 2 P (forced)"
)
LINE_119 = (  # go1.19 devel, golang/go#52515
    "gc 1 @0.124s 16%: 0.040+242+0.002 ms clock, 0.32+0.11/484/1447+0.020 ms cpu, "
    "1526->1526->1525 MB, 1526 MB goal, 0 MB stacks, 0 MB globals, 8 P (forced)"
)
LINE_PRE118 = (  # go1.8 era, golang/go#18896: no stacks/globals
    "gc 12 @8.371s 1%: 0.11+296+0.34 ms clock, 3.6+7.0/1781/344+11 ms cpu, "
    "3655->3662->3197 MB, 3749 MB goal, 40 P"
)
LINE_GO16 = (  # go1.6, golang/go#15068: five clock phases, not supported
    "gc 49 @4.380s 0%: 4.8+5.2+0.54+0.35+0.60 ms clock, 19+5.2+0+4.5/0.006/7.2+2.4 "
    "ms cpu, 124->125->58 MB, 130 MB goal, 32 P"
)
LINE_LARGE = (
    "gc 5120 @17546.913s 3%: 0.52+4138+0.10 ms clock, 12+33879/8200/0+0.83 ms cpu, "
    "14799->15033->7927 MB, 15855 MB goal, 3 MB stacks, 1 MB globals, 48 P"
)


# --------------------------------------------------------------------------
# An independent reading of gc lines: plain splits, no regular expression.

def read(name: str) -> str:
    return (DATA / name).read_text()


def is_complete(line: str) -> bool:
    """A whole gc record on one line, as in the unprefixed captures."""
    words = line.split(" ")
    return (
        len(words) > 2 and words[0] == "gc" and words[1].isdigit()
        and ": " in line and " ms clock, " in line and " ms cpu, " in line
        and (line.endswith(" P") or line.endswith(" P (forced)"))
    )


def has_marker(line: str) -> bool:
    """Does the line carry a piece of a gc record (the documented markers)?"""
    if any(m in line for m in MARKERS):
        return True
    start = line.find("gc ")
    while start != -1:
        if line[start + 3:start + 4].isdigit():
            return True
        start = line.find("gc ", start + 1)
    return False


def split_fields(line: str) -> dict:
    """Split one complete gc line into its values."""
    head, rest = line.split(": ", 1)
    words = head.split(" ")
    parts = rest.split(", ")
    first = lambda part: part.split(" ")[0]  # noqa: E731
    return {
        "number": int(words[1]),
        "at_s": float(words[2][1:-1]),
        "gc_percent": int(words[3][:-1]),
        "leak_check": head.endswith("(checking for goroutine leaks)"),
        "clock_ms": tuple(float(x) for x in first(parts[0]).split("+")),
        "cpu_ms": tuple(float(x) for x in first(parts[1]).replace("/", "+").split("+")),
        "heap": tuple(int(x) for x in first(parts[2]).split("->")),
        "goal_mb": int(first(parts[3])),
        "procs": int(first(parts[-1])),
        "forced": line.endswith(" (forced)"),
    }


def expected(text: str) -> tuple[list[tuple[int, dict]], int]:
    """(line number, fields) of each complete line, and the skipped count."""
    records, skipped = [], 0
    for no, line in enumerate(text.split("\n"), 1):
        if is_complete(line):
            records.append((no, split_fields(line)))
        elif has_marker(line):
            skipped += 1
    return records, skipped


def expected_summary(text: str) -> dict:
    records, skipped = expected(text)
    recs = [r for _, r in records]
    numbers = [r["number"] for r in recs]
    pauses = [r["clock_ms"][0] + r["clock_ms"][2] for r in recs]
    last = recs[-1] if recs else None
    return {
        "cycles": len(recs),
        "forced_cycles": len([r for r in recs if r["forced"]]),
        "skipped_lines": skipped,
        "elapsed_s": last["at_s"] if last else None,
        "gc_percent_last": last["gc_percent"] if last else None,
        "pause_ms_total": sum(pauses),
        "pause_ms_max": max(pauses) if pauses else 0.0,
        "cpu_ms_total": sum(sum(r["cpu_ms"]) for r in recs),
        "heap_peak_mb": max((max(r["heap"][:2]) for r in recs), default=None),
        "live_heap_mb_last": last["heap"][2] if last else None,
        "heap_goal_mb_last": last["goal_mb"] if last else None,
        "procs_last": last["procs"] if last else None,
        "missing_cycles": sum(
            b - a - 1 for a, b in zip(numbers, numbers[1:], strict=False) if b > a
        ),
    }


def assert_matches_line(cycle: GCCycle, fields: dict) -> None:
    assert cycle.number == fields["number"]
    assert cycle.at_s == fields["at_s"]
    assert cycle.gc_percent == fields["gc_percent"]
    assert cycle.clock_ms == fields["clock_ms"]
    assert cycle.cpu_ms == fields["cpu_ms"]
    assert (cycle.heap_start_mb, cycle.heap_end_mb, cycle.live_mb) == fields["heap"]
    assert cycle.goal_mb == fields["goal_mb"]
    assert cycle.procs == fields["procs"]
    assert cycle.forced == fields["forced"]
    assert cycle.leak_check == fields["leak_check"]


# --------------------------------------------------------------------------
# Every real capture.

def test_fixtures_present() -> None:
    for name in [*BASIC, "go1.27.3-interleaved.txt", "go1.27.3-interleaved-2.txt",
                 "go1.27.3-leakcheck.txt", "go1.26.6-leakcheck.txt",
                 "go1.27.3-periodic.txt"]:
        text = read(name)
        assert 0 < text.count("\n") < 200, name


@pytest.mark.parametrize("name", ALL)
def test_fixture_cycles_match_complete_lines(name: str) -> None:
    text = read(name)
    trace = parse_gctrace(text)
    records, skipped = expected(text)
    assert len(trace.cycles) == len(records) > 0
    assert trace.skipped_lines == skipped
    for cycle, (line_no, fields) in zip(trace.cycles, records, strict=True):
        assert cycle.line_no == line_no
        assert_matches_line(cycle, fields)


@pytest.mark.parametrize("name", ALL)
def test_fixture_summary(name: str) -> None:
    text = read(name)
    summary = parse_gctrace(text).summary()
    as_dict = summary.to_dict()
    assert set(as_dict) == SUMMARY_KEYS
    want = expected_summary(text)
    for key, value in want.items():
        assert getattr(summary, key) == pytest.approx(value, abs=1e-9), key
        if isinstance(value, float):
            assert as_dict[key] == round(getattr(summary, key), 3), key
        else:
            assert as_dict[key] == value, key


@pytest.mark.parametrize("name", BASIC)
def test_basic_capture(name: str) -> None:
    trace = parse_gctrace(read(name))
    numbers = [c.number for c in trace.cycles]
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 20
    summary = trace.summary()
    assert summary.forced_cycles == 3  # the program calls runtime.GC() 3 times
    assert summary.missing_cycles == 0 and summary.skipped_lines == 0
    assert all(c.stacks_mb is not None and c.globals_mb is not None for c in trace.cycles)
    assert not any(c.leak_check or c.periodic for c in trace.cycles)
    assert summary.procs_last == 2


@pytest.mark.parametrize("name", ["go1.27.3-leakcheck.txt", "go1.26.6-leakcheck.txt"])
def test_leak_check_marker(name: str) -> None:
    text = read(name)
    leak = [c for c in parse_gctrace(text).cycles if c.leak_check]
    assert len(leak) == text.count("(checking for goroutine leaks)") >= 1
    assert all(c.forced for c in leak)  # goroutineLeakGC goes through GC()


def test_periodic_cycle() -> None:
    text = read("go1.27.3-periodic.txt")
    lines = text.split("\n")
    trace = parse_gctrace(text)
    periodic = [c for c in trace.cycles if c.periodic]
    assert len(periodic) == 1 == text.count("GC forced")
    cycle = periodic[0]
    assert not cycle.forced and cycle.at_s >= 120.0
    announce = lines.index("GC forced") + 1
    assert cycle.line_no > announce
    previous = [c for c in trace.cycles if c.line_no < announce]
    assert cycle.number == previous[-1].number + 1


# --------------------------------------------------------------------------
# Interleaved output.

def test_interleaved_broken_record_is_skipped() -> None:
    text = read("go1.27.3-interleaved.txt")
    trace = parse_gctrace(text)
    numbers = [c.number for c in trace.cycles]
    assert numbers == [1, 2, 4, 5, 6, 7]  # gc 3 is spread over ~30 lines
    assert trace.skipped_lines == 5  # its "ms clock", "ms cpu", "MB goal/stacks/globals" pieces
    assert trace.summary().missing_cycles == 1
    assert trace.summary().forced_cycles == 0  # the forced gc 3 was not readable


def test_interleaved_tail_fragment_is_not_misread() -> None:
    text = read("go1.27.3-interleaved-2.txt")
    lines = text.split("\n")
    tail = [line for line in lines if line.startswith(": ") and "ms clock" in line]
    assert tail, "fixture should hold a record whose head was broken off"
    trace = parse_gctrace(text)
    assert not any(lines[c.line_no - 1] in tail for c in trace.cycles)
    assert [c.number for c in trace.cycles] == [3, 5, 6, 7, 8]
    assert trace.summary().missing_cycles == 1  # gc 4; gc 1-2 come before the first
    assert trace.skipped_lines >= len(tail) + 5


@pytest.mark.parametrize("name", ["go1.27.3-interleaved.txt", "go1.27.3-interleaved-2.txt"])
def test_interleaved_without_user_output_is_whole(name: str) -> None:
    # Each user write is one whole "USERLINE-n\n": taking those out rebuilds the
    # runtime's own output, in which every cycle is complete.
    clean = re.sub(r"USERLINE-[0-9]+\n", "", read(name))
    trace = parse_gctrace(clean)
    numbers = [c.number for c in trace.cycles]
    assert numbers == list(range(1, len(numbers) + 1))
    assert trace.skipped_lines == 0
    assert len(trace.cycles) > len(parse_gctrace(read(name)).cycles)


def test_interleaved_stream_with_docker_timestamps() -> None:
    text = read("go1.27.3-interleaved.txt")
    stamped = "\n".join(f"2026-11-25T16:48:36.{i:09d}Z {line}" for i, line in
                        enumerate(text.split("\n")))
    assert parse_gctrace(stamped) == parse_gctrace(text)


# --------------------------------------------------------------------------
# Prefixes, line endings, cut lines, several processes.

@pytest.mark.parametrize("prefix", [
    "2026-11-25T16:48:36.982976355Z ",        # docker logs -t
    "2026-11-25T17:48:36.982976355+01:00 ",   # kubectl logs --timestamps
    "[pod/api-7d9c/app] 2026-11-25T16:48:36.982976355Z ",  # kubectl --prefix too
    "USERLINE-17",                            # user output without a newline
])
def test_prefixed_lines(prefix: str) -> None:
    text = read("go1.27.3.txt")
    prefixed = "\n".join(prefix + line if line else line for line in text.split("\n"))
    assert parse_gctrace(prefixed) == parse_gctrace(text)


def test_crlf() -> None:
    text = read("go1.27.3-periodic.txt")
    crlf = parse_gctrace(text.replace("\n", "\r\n"))
    assert crlf == parse_gctrace(text)
    assert any(c.periodic for c in crlf.cycles)


def test_cut_final_line() -> None:
    lines = read("go1.27.3.txt").rstrip("\n").split("\n")[:-1]  # ends in gc 44
    head, last = "\n".join(lines[:-1]) + "\n", lines[-1]
    assert not last.endswith("(forced)")
    complete = parse_gctrace(head + last)  # unterminated but complete: kept
    assert len(complete.cycles) == len(lines)
    assert complete.cycles[-1].line_no == len(lines)
    for cut in range(1, len(last)):
        trace = parse_gctrace(head + last[:cut])
        assert len(trace.cycles) == len(lines) - 1, last[:cut]
        assert trace.skipped_lines == int(has_marker(last[:cut]))


def test_cut_forced_line_before_marker_reads_as_unforced() -> None:
    # Cutting exactly before " (forced)" leaves a complete line: the only cut
    # that parses. Every other cut is skipped.
    forced = next(ln for ln in read("go1.27.3.txt").split("\n") if ln.endswith("(forced)"))
    accepted = [cut for cut in range(1, len(forced))
                if parse_gctrace(forced[:cut]).cycles]
    assert accepted == [len(forced) - len(" (forced)")]


def test_two_processes_in_one_stream() -> None:
    first, second = read("go1.21.13.txt"), read("go1.27.3.txt")
    trace = parse_gctrace(first + second)
    n1, n2 = len(parse_gctrace(first).cycles), len(parse_gctrace(second).cycles)
    assert len(trace.cycles) == n1 + n2
    assert [c.number for c in trace.cycles].count(1) == 2
    summary = trace.summary()
    assert summary.missing_cycles == 0
    assert summary.forced_cycles == 6
    assert summary.elapsed_s == parse_gctrace(second).summary().elapsed_s


def test_cut_line_glued_to_next_process() -> None:
    # "...2 P\ngc 2" cut by a kill, then the next process's "gc 1 ..." on the same line.
    first = read("go1.27.3.txt").rstrip("\n") + "\ngc 46"
    second = read("go1.23.9.txt")
    trace = parse_gctrace(first + second)
    numbers = [c.number for c in trace.cycles]
    assert numbers.count(46) == 0 and numbers.count(1) == 2
    assert trace.summary().missing_cycles == 0


def test_gap_within_one_run_is_counted() -> None:
    lines = read("go1.25.5.txt").split("\n")
    del lines[4:7]  # gc 5, 6, 7
    assert parse_gctrace("\n".join(lines)).summary().missing_cycles == 3


# --------------------------------------------------------------------------
# Single lines of each era, values, strictness.

def test_go119_line() -> None:
    (cycle,) = parse_gctrace(LINE_119).cycles
    assert (cycle.number, cycle.forced, cycle.procs) == (1, True, 8)
    assert (cycle.stacks_mb, cycle.globals_mb) == (0, 0)
    assert cycle.cpu_ms == (0.32, 0.11, 484.0, 1447.0, 0.020)


def test_pre_go118_line_without_stacks_and_globals() -> None:
    (cycle,) = parse_gctrace(LINE_PRE118).cycles
    assert cycle.stacks_mb is None and cycle.globals_mb is None
    assert (cycle.heap_start_mb, cycle.heap_end_mb, cycle.live_mb, cycle.goal_mb) == (
        3655, 3662, 3197, 3749)
    assert cycle.procs == 40 and not cycle.forced


def test_go16_five_phase_line_is_skipped() -> None:
    trace = parse_gctrace(LINE_GO16)
    assert trace.cycles == () and trace.skipped_lines == 1


def test_zero_mb_values() -> None:
    (cycle,) = parse_gctrace(LINE_127_LEAK_ZERO).cycles
    assert (cycle.heap_start_mb, cycle.heap_end_mb, cycle.live_mb) == (0, 0, 0)
    assert cycle.leak_check and cycle.forced
    summary = parse_gctrace(LINE_127_LEAK_ZERO).summary()
    assert summary.heap_peak_mb == 0 and summary.live_heap_mb_last == 0


def test_large_values() -> None:
    (cycle,) = parse_gctrace(LINE_LARGE).cycles
    assert cycle.number == 5120 and cycle.at_s == 17546.913
    assert cycle.clock_ms == (0.52, 4138.0, 0.10)
    assert cycle.cpu_ms == (12.0, 33879.0, 8200.0, 0.0, 0.83)
    assert (cycle.heap_start_mb, cycle.heap_end_mb, cycle.live_mb) == (14799, 15033, 7927)
    assert cycle.end_s == pytest.approx(17546.913 + 4138.62 / 1000)
    assert parse_gctrace(LINE_LARGE).summary().heap_peak_mb == 15033


def test_cycle_properties() -> None:
    line = next(ln for ln in read("go1.27.3-leakcheck.txt").split("\n") if "leaks" in ln)
    (cycle,) = parse_gctrace(line).cycles
    fields = split_fields(line)
    assert cycle.pause_ms == fields["clock_ms"][0] + fields["clock_ms"][2]
    assert cycle.cpu_ms_total == pytest.approx(sum(fields["cpu_ms"]))
    assert cycle.end_s == pytest.approx(fields["at_s"] + sum(fields["clock_ms"]) / 1000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cycle.number = 99  # type: ignore[misc]


REAL = ("gc 2 @0.001s 9%: 0.035+0.34+0.083 ms clock, 0.070+0.039/0.039/0+0.16 ms cpu, "
        "4->13->11 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P")


@pytest.mark.parametrize("old,new", [
    ("@0.001s", "@0.01s"),          # seconds need exactly 3 decimals
    ("@0.001s", "@0.0010s"),
    ("@0.001s", "@.001s"),
    ("9%", "9.5%"),
    ("gc 2 ", "gc 02 "),
    ("0.035+", "0.0351+"),          # more than 2 significant digits
    ("0.34+", "0.345+"),
    ("0.34+", "1.25+"),
    ("0.34+", "10.5+"),
    ("0.34+", "+0.34+"),
    ("0.34+", "3.4e-1+"),
    ("0.34+", "00.34+"),
    ("4->13", "-4->13"),
    ("4->13", "4.0->13"),
    ("/0+0.16", "/+0.16"),
    ("2 P", "2 PUSERLINE-4956"),   # something follows the record
    ("2 P", "2 P (forced"),
    ("2 P", "2 P "),
    (", 4 MB goal", ""),
    ("ms cpu", "ms CPU"),
])
def test_wrong_number_formats_are_rejected(old: str, new: str) -> None:
    assert parse_gctrace(REAL).cycles  # the unchanged line parses
    trace = parse_gctrace(REAL.replace(old, new, 1))
    assert trace.cycles == ()
    assert trace.skipped_lines == 1


@pytest.mark.parametrize("text", ["", "\n\n", "hello\nworld\n", "GC forced\n", "\x00\xff garbage"])
def test_empty_or_garbage_input(text: str) -> None:
    trace = parse_gctrace(text)
    assert trace.cycles == () and trace.skipped_lines == 0
    assert trace.summary().to_dict() == {
        "cycles": 0, "forced_cycles": 0, "skipped_lines": 0, "elapsed_s": None,
        "gc_percent_last": None, "pause_ms_total": 0.0, "pause_ms_max": 0.0,
        "cpu_ms_total": 0.0, "heap_peak_mb": None, "live_heap_mb_last": None,
        "heap_goal_mb_last": None, "procs_last": None, "missing_cycles": 0,
    }


def test_garbage_with_fragment_words_counts_skipped() -> None:
    trace = parse_gctrace("run gc 7 times\n1 ms clock\nnothing\n5 MB goal, 1 P\n")
    assert trace.cycles == () and trace.skipped_lines == 3


# --------------------------------------------------------------------------
# "GC forced" handling.

def _periodic_parts() -> tuple[list[str], int]:
    lines = read("go1.27.3-periodic.txt").split("\n")
    return lines, lines.index("GC forced")


def test_gc_forced_then_user_forced_cycle_is_not_periodic() -> None:
    lines, i = _periodic_parts()
    previous = [split_fields(line)["number"] for line in lines[:i] if is_complete(line)]
    # A "(forced)" line with the very number the periodic cycle would have.
    forced = LINE_119.replace("gc 1 ", f"gc {previous[-1] + 1} ")
    text = "\n".join([*lines[:i + 1], forced, *lines[i + 1:]])
    periodic = [c for c in parse_gctrace(text).cycles if c.periodic]
    assert periodic == []


def test_gc_forced_then_gap_is_not_periodic() -> None:
    # If the periodic cycle's own line was lost, the next one is not it.
    lines, i = _periodic_parts()
    after = [j for j, line in enumerate(lines) if j > i and is_complete(line)]
    del lines[after[0]]
    assert not any(c.periodic for c in parse_gctrace("\n".join(lines)).cycles)


def test_gc_forced_with_prefix_and_crlf() -> None:
    lines, i = _periodic_parts()
    lines[i] = "2026-11-25T16:50:36.000000001Z GC forced\r"
    assert sum(c.periodic for c in parse_gctrace("\n".join(lines)).cycles) == 1


# --------------------------------------------------------------------------
# Streaming and dict output.

def test_iter_gc_cycles_streams_file_lines() -> None:
    text = read("go1.27.3-interleaved-2.txt")
    scanner = GCTraceScanner()
    streamed = tuple(iter_gc_cycles(io.StringIO(text), scanner))
    whole = parse_gctrace(text)
    assert streamed == whole.cycles
    assert scanner.skipped_lines == whole.skipped_lines > 0
    assert list(iter_gc_cycles([LINE_119 + "\r\n"])) == list(parse_gctrace(LINE_119).cycles)


def test_to_dict_rounds_and_the_totals_are_the_printed_decimals_added() -> None:
    base = "gc {n} @0.00{n}s 1%: 0.10+0.22+0.20 ms clock, 0.10+0/0.20/0+0.10 ms cpu, " \
           "4->4->2 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P"
    summary = parse_gctrace("\n".join(base.format(n=n) for n in (1, 2, 3))).summary()
    # The totals are the printed decimals added exactly, once rounded: not the floats' 0.1 + 0.2.
    assert summary.pause_ms_total == 0.9 != math.fsum([0.1 + 0.2] * 3)
    assert summary.cpu_ms_total == 1.2 != math.fsum([0.1 + 0.2 + 0.1] * 3)
    assert summary.pause_ms_max == 0.3 != 0.1 + 0.2
    assert summary.to_dict()["pause_ms_total"] == 0.9 and summary.to_dict()["cpu_ms_total"] == 1.2


def test_gc_forced_at_stream_start() -> None:
    # With no cycle seen before it, the next unforced cycle is taken as the
    # periodic one, except a "gc 1": a process's first GC is never periodic.
    lines, i = _periodic_parts()
    tail = "\n".join(lines[i:])  # "GC forced", then gc 4, gc 5
    assert [c.periodic for c in parse_gctrace(tail).cycles] == [True, False]
    first = next(line for line in lines if line.startswith("gc 1 "))
    assert [c.periodic for c in parse_gctrace("GC forced\n" + first).cycles] == [False]
