"""The streaming gctrace summary: the same figures as reading the whole log, in flat memory.

The reference is the summary as it was computed before streaming: from every cycle of
``parse_gctrace(text)``, with the exact decimal sum of all the printed values. The streaming summary must equal it
to the last bit on every real capture, cut off, with CRLF, and on long logs.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tracemalloc
from decimal import Decimal
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import DATA, gctune
from orchestrator.app import gctrace_summary
from orchestrator.app._tools import bounded_lines
from orchestrator.parsers.gctrace import GCTraceScanner, RunningSummary, parse_gctrace, summarize_gctrace
from test_gctrace import expected_summary

CAPTURES = sorted((DATA / "gctrace").glob("*.txt"))
NAMES = [path.name for path in CAPTURES]
RECORD = ("gc {n} @{at:.3f}s 5%: 0.10+{mark}+0.020 ms clock, 0.20+0.10/{mark}/0+0.040 ms cpu, "
          "{h0}->{h1}->3 MB, 8 MB goal, 0 MB stacks, 0 MB globals, 2 P{forced}")


def decimal_sum(values) -> float:
    """The exact sum of the values as the runtime printed them (decimals), rounded once."""
    return float(sum((Decimal(repr(v)) for v in values), Decimal(0)))


def whole_text_summary(text: str) -> dict[str, object]:
    """The summary as it was computed from all cycles at once, before the parser streamed."""
    trace = parse_gctrace(text)
    cycles = trace.cycles
    last = cycles[-1] if cycles else None
    return {
        "cycles": len(cycles), "forced_cycles": sum(c.forced for c in cycles),
        "skipped_lines": trace.skipped_lines, "elapsed_s": last.at_s if last else None,
        "gc_percent_last": last.gc_percent if last else None,
        "pause_ms_total": decimal_sum(t for c in cycles for t in (c.clock_ms[0], c.clock_ms[2])),  # as printed
        "pause_ms_max": max((decimal_sum(p) for p in ((c.clock_ms[0], c.clock_ms[2]) for c in cycles)), default=0.0),
        "cpu_ms_total": decimal_sum(t for c in cycles for t in c.cpu_ms),
        "heap_peak_mb": max((max(c.heap_start_mb, c.heap_end_mb) for c in cycles), default=None),
        "live_heap_mb_last": last.live_mb if last else None, "heap_goal_mb_last": last.goal_mb if last else None,
        "procs_last": last.procs if last else None,
        "missing_cycles": sum(b.number - a.number - 1 for a, b in zip(cycles, cycles[1:]) if b.number > a.number),
    }


def streamed(text: str) -> dict[str, object]:
    return dataclasses.asdict(summarize_gctrace(io.StringIO(text)))


def synthetic(count: int, start: int = 1) -> Iterator[str]:
    """``count`` gc lines with many distinct mark times and heap sizes, as a stream (never held)."""
    for n in range(start, start + count):
        yield RECORD.format(n=n, at=n / 1000, mark=f"{10 + n % 9000}", h0=n % 5000, h1=(n * 7) % 5003,
                            forced=" (forced)" if n % 11 == 0 else "") + "\n"


@pytest.mark.parametrize("name", NAMES)
def test_stream_equals_whole_text_on_every_capture(name: str, tmp_path: Path) -> None:
    path = DATA / "gctrace" / name
    text = path.read_text(encoding="utf-8", errors="replace")
    want = whole_text_summary(text)
    assert streamed(text) == want
    assert dataclasses.asdict(parse_gctrace(text).summary()) == want  # the cycles' own summary
    assert gctrace_summary(path) == parse_gctrace(text).summary().to_dict()  # the file, streamed
    independent = expected_summary(text)  # plain splits, no regular expression
    for key, value in independent.items():
        assert want[key] == pytest.approx(value, abs=1e-9), key


@pytest.mark.parametrize("name", NAMES)
def test_a_cut_off_last_line_is_not_a_cycle(name: str) -> None:
    """The runtime can exit in the middle of its last gc line: that piece is skipped, in both readings."""
    text = (DATA / "gctrace" / name).read_text(encoding="utf-8").rstrip("\n")
    last_record = text.rfind("\ngc ")
    assert last_record > 0
    cut = text[: last_record + 40]  # no newline at the end
    whole = parse_gctrace(text)
    assert streamed(cut) == whole_text_summary(cut)
    assert len(parse_gctrace(cut).cycles) < len(whole.cycles)
    assert parse_gctrace(cut).skipped_lines == whole.skipped_lines + 1


@pytest.mark.parametrize("name", ["go1.27.3-interleaved.txt", "go1.27.3-interleaved-2.txt", "go1.27.3-periodic.txt"])
def test_crlf_and_prefixed_streams(name: str) -> None:
    text = (DATA / "gctrace" / name).read_text(encoding="utf-8")
    assert streamed(text.replace("\n", "\r\n")) == whole_text_summary(text)
    prefixed = "".join(f"2026-11-25T16:48:36.982976355Z {line}" for line in text.splitlines(keepends=True))
    assert streamed(prefixed) == whole_text_summary(text)


def test_a_long_log_sums_exactly() -> None:
    """Over 60,000 cycles (more distinct values than the parser remembers) the totals stay exact."""
    text = "".join(synthetic(60_000))
    summary = streamed(text)
    assert summary == whole_text_summary(text)
    assert summary["cycles"] == 60_000 and summary["missing_cycles"] == 0
    assert summary["forced_cycles"] == 60_000 // 11


def test_processes_in_one_stream_and_gaps() -> None:
    """A restart at gc 1 is a new process, not a gap; a jump in numbers is a gap."""
    lines = [*synthetic(5), *synthetic(3), *synthetic(2, start=10)]
    summary = summarize_gctrace(lines)
    assert summary.cycles == 10 and summary.missing_cycles == 10 - 3 - 1
    assert dataclasses.asdict(summary) == whole_text_summary("".join(lines))


def test_empty_and_unrelated_input() -> None:
    for text in ("", "\n\n", "hello\nworld\n", "\x00\xff binary\n"):
        assert streamed(text) == whole_text_summary(text)
    assert summarize_gctrace([]).to_dict()["cycles"] == 0


def test_memory_stays_flat_as_the_log_grows() -> None:
    """The peak of memory allocated while summarising 5,000 and 50,000 lines is the same."""
    peaks = []
    for count in (5_000, 50_000):
        tracemalloc.start()
        summary = summarize_gctrace(synthetic(count))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert summary.cycles == count
    assert peaks[1] < 1.5 * peaks[0] + 64 * 1024, peaks
    assert peaks[1] < 4 * 2**20, peaks


def test_the_running_summary_remembers_a_bounded_number_of_values() -> None:
    scanner, running = GCTraceScanner(), RunningSummary()
    for line in synthetic(20_000):  # 9,000 distinct mark times, 5,000 distinct heap sizes
        match = scanner.scan(line)
        assert match is not None
        running.add_match(match)
    memos = (running._units, running._mb)
    assert all(len(memo) <= memo.LIMIT for memo in memos) and max(map(len, memos)) == memos[0].LIMIT
    assert running.result(0).cycles == 20_000


def test_a_huge_line_is_read_by_its_end(tmp_path: Path) -> None:
    """A program that writes megabytes without a newline does not make gctune hold them; a record at
    the end of such a line still counts, as it would in the whole text."""
    record = next(synthetic(1)).rstrip("\n")
    lines = ["x" * 3_000_000 + record + "\n", "y" * 2_500_000 + "\n", record.replace("gc 1 ", "gc 2 ") + "\n"]
    ends = [line.rstrip("\n") for line in lines]
    assert list(bounded_lines(io.StringIO("".join(lines)), limit=1 << 20)) == [
        ends[0][-(1 << 20):], ends[1][-(1 << 20):], ends[2]]
    assert list(bounded_lines(io.StringIO("ab\ncd"), limit=4, chunk=1)) == ["ab", "cd"]  # no newline at the end
    path = tmp_path / "huge-line.txt"
    path.write_text("".join(lines))
    assert gctrace_summary(path) == parse_gctrace("".join(lines)).summary().to_dict()
    assert gctrace_summary(path)["cycles"] == 2


def test_parse_gctrace_command_streams_a_long_log(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    with path.open("w") as out:
        out.writelines(synthetic(30_000))
    result = gctune("parse", "gctrace", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == parse_gctrace(path.read_text()).summary().to_dict()


def test_parse_gctrace_command_on_binary_input(tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(bytes((i * 7919 + 13) % 256 for i in range(100_000)))
    result = gctune("parse", "gctrace", str(path), "--json")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert json.loads(result.stdout)["cycles"] == 0
