"""Parse ``GODEBUG=gctrace=1`` output of Go 1.19 – 1.27 (and older 1.x lines).

Pure: text in, records out; this module does no I/O.

One gc line looks like (1.26+ may add `` (checking for goroutine leaks)`` after
the ``%``; the ``stacks``/``globals`` fields are absent before Go 1.18)::

    gc 7 @0.006s 9%: 0.049+0.10+0.002 ms clock, 0.098+0/0.050/0.011+0.004 ms cpu,
    3->3->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)

(shown wrapped here; it is one physical line). The runtime writes a gc line in
many small writes, so output of the program on the same stream can break it
over several physical lines. A line is therefore accepted only when it holds
the complete grammar with the runtime's exact number formats, up to the end of
the line; anything may stand before it (timestamps from ``docker logs -t`` or
``kubectl logs --timestamps``, or unrelated output). Broken pieces are counted
in :attr:`GCTrace.skipped_lines`, never misread.

There is one parser, :class:`GCTraceScanner`: it reads physical lines one at a time and keeps only
its position, the last record and a pending ``GC forced``. :func:`summarize_gctrace` feeds its records
to a :class:`RunningSummary`, which keeps no cycle, so a log of any length is summarised in flat
memory; :func:`parse_gctrace` keeps the cycles for the callers that need them, and their
:meth:`GCTrace.summary` is the same running summary fed from those cycles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "GCCycle",
    "GCTrace",
    "GCTraceScanner",
    "GCTraceSummary",
    "RunningSummary",
    "iter_gc_cycles",
    "parse_gctrace",
    "summarize_gctrace",
]

# An unpadded non-negative integer, as the runtime's print writes it.
_INT = r"(?:0|[1-9][0-9]*)"
# A duration as fmtNSAsMS formats it: whole ms from 10 ms up, else at most two
# significant digits with at most three decimals, or a bare 0 under 1 µs.
_MS = r"(?:[1-9][0-9]+|[1-9]\.[0-9]|0\.[1-9][0-9]|0\.0[0-9]{2}|0)"

_GC_LINE = re.compile(
    rf"""
    gc\ (?P<number>[1-9][0-9]*)                  # cycle number, 1-based
    \ @(?P<at>{_INT}\.[0-9]{{3}})s                # seconds since start, 3 decimals
    \ (?P<percent>{_INT})%                        # cumulative GC CPU %
    (?P<leak>\ \(checking\ for\ goroutine\ leaks\))?   # Go 1.26+
    :\ (?P<w1>{_MS})\+(?P<w2>{_MS})\+(?P<w3>{_MS})\ ms\ clock,
    \ (?P<c1>{_MS})\+(?P<c2>{_MS})/(?P<c3>{_MS})/(?P<c4>{_MS})\+(?P<c5>{_MS})\ ms\ cpu,
    \ (?P<h0>{_INT})->(?P<h1>{_INT})->(?P<h2>{_INT})\ MB,   # start->end->live
    \ (?P<goal>{_INT})\ MB\ goal,
    (?:\ (?P<stacks>{_INT})\ MB\ stacks,)?        # Go 1.18+
    (?:\ (?P<globals>{_INT})\ MB\ globals,)?      # Go 1.18+
    \ (?P<procs>{_INT})\ P
    (?P<forced>\ \(forced\))?                     # runtime.GC() and friends
    \Z                                            # nothing may follow
    """,
    re.VERBOSE | re.ASCII,
)

# The line forcegchelper prints before the periodic (2-minute) GC.
_PERIODIC_LINE = "GC forced"

# Pieces that show a line carried (part of) a gc record.
_FRAGMENT = re.compile(
    r"gc [0-9]|ms clock|ms cpu|MB goal|MB stacks|MB globals", re.ASCII
)


@dataclass(frozen=True)
class GCCycle:
    """One completed GC cycle, as reported by one gc line."""

    number: int  # gc N
    at_s: float  # @T: seconds since process start
    gc_percent: int  # cumulative GC CPU %, as printed (truncated)
    clock_ms: tuple[float, float, float]  # sweep term. (STW), mark, mark term. (STW)
    cpu_ms: tuple[float, float, float, float, float]  # STW, assist, background, idle, STW
    heap_start_mb: int
    heap_end_mb: int
    live_mb: int
    goal_mb: int
    stacks_mb: int | None
    globals_mb: int | None
    procs: int
    forced: bool  # line ends in "(forced)"
    leak_check: bool  # "(checking for goroutine leaks)"
    periodic: bool  # announced by a "GC forced" line
    line_no: int  # 1-based physical line number in the input

    @property
    def pause_ms(self) -> float:
        """Wall time of the two stop-the-world phases."""
        return self.clock_ms[0] + self.clock_ms[2]

    @property
    def cpu_ms_total(self) -> float:
        """All five CPU terms added."""
        return math.fsum(self.cpu_ms)

    @property
    def end_s(self) -> float:
        """Seconds since process start at which the cycle ended."""
        return self.at_s + math.fsum(self.clock_ms) / 1000


@dataclass(frozen=True)
class GCTraceSummary:
    """Aggregate figures over a parsed trace."""

    cycles: int
    forced_cycles: int
    skipped_lines: int
    elapsed_s: float | None  # @ time of the last cycle
    gc_percent_last: int | None  # cumulative % of the last line
    pause_ms_total: float
    pause_ms_max: float
    cpu_ms_total: float
    heap_peak_mb: int | None  # largest heap-at-start or heap-at-end
    live_heap_mb_last: int | None
    heap_goal_mb_last: int | None
    procs_last: int | None
    missing_cycles: int  # gaps in cycle numbers within each process run

    def to_dict(self) -> dict[str, int | float | None]:
        """Plain dict with the fields above; floats rounded to 3 decimals."""
        return {
            "cycles": self.cycles,
            "forced_cycles": self.forced_cycles,
            "skipped_lines": self.skipped_lines,
            "elapsed_s": _round(self.elapsed_s),
            "gc_percent_last": self.gc_percent_last,
            "pause_ms_total": _round(self.pause_ms_total),
            "pause_ms_max": _round(self.pause_ms_max),
            "cpu_ms_total": _round(self.cpu_ms_total),
            "heap_peak_mb": self.heap_peak_mb,
            "live_heap_mb_last": self.live_heap_mb_last,
            "heap_goal_mb_last": self.heap_goal_mb_last,
            "procs_last": self.procs_last,
            "missing_cycles": self.missing_cycles,
        }


@dataclass(frozen=True)
class GCTrace:
    """All cycles parsed from one stream, in stream order."""

    cycles: tuple[GCCycle, ...]
    # Lines that carry a gc record or a piece of one (they contain "gc <digit>",
    # "ms clock", "ms cpu", "MB goal", "MB stacks" or "MB globals") but do not
    # hold a complete record.
    skipped_lines: int

    def summary(self) -> GCTraceSummary:
        """Aggregate the cycles; None where there is no cycle to take it from."""
        running = RunningSummary()
        running.add_cycles(self.cycles)
        return running.result(self.skipped_lines)


class _Memo(dict[str, Any]):
    """Field text -> value, remembered: the runtime prints durations with at most two significant
    digits, so a log holds a few hundred distinct ones, and a lookup is cheaper than parsing."""

    LIMIT = 4096  # entries kept (memory stays flat); past it values are still parsed, just not kept

    def __init__(self, parse: Callable[[str], Any]) -> None:
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str) -> Any:
        value = self.parse(text)
        if len(self) < self.LIMIT:
            self[text] = value
        return value


# Times are added up as whole microseconds. A gc line prints every duration with at most three
# decimals of a millisecond (see ``_MS``), so each is a whole number of µs, integer totals are exact
# however long the log, and one division gives the printed values' decimal sum, correctly rounded.
_UNIT = 1000  # units (µs) per ms


def _units(ms: float) -> int:
    """``ms`` in whole µs (the float of a printed value is within far less than 1 µs of it)."""
    scaled = ms * _UNIT
    units = round(scaled)
    if abs(scaled - units) > 1e-6 * max(1.0, abs(scaled)):
        raise ValueError(f"{ms!r} ms is finer than a gc line prints")
    return units


def _units_of_text(ms: str) -> int:
    return _units(float(ms))


# The groups the summary reads, by index (cheaper than by name, per line).
_SUMMARY_GROUPS = tuple(_GC_LINE.groupindex[name] for name in (
    "number", "w1", "w3", "c1", "c2", "c3", "c4", "c5", "h0", "h1", "forced"))


class RunningSummary:
    """The :class:`GCTraceSummary` of the cycles added so far, keeping no cycle.

    It gives the same figures, to the last bit, whether the cycles come from matched lines
    (:meth:`add_match`) or from parsed cycles (:meth:`add_cycles`).
    """

    __slots__ = ("cycles", "forced", "pause_units", "pause_max", "cpu_units", "heap_peak", "missing",
                 "_number", "_last", "_last_match", "_units", "_mb")

    def __init__(self) -> None:
        self.cycles = 0
        self.forced = 0
        self.pause_units = 0
        self.pause_max = 0  # units, as the total
        self.cpu_units = 0
        self.heap_peak: int | None = None
        self.missing = 0
        self._number: int | None = None  # of the last cycle added
        self._last: tuple[object, ...] | None = None  # at, percent, live, goal, procs
        self._last_match: re.Match[str] | None = None  # read into _last only when asked
        self._units = _Memo(_units_of_text)
        self._mb = _Memo(int)

    def add_match(self, match: re.Match[str]) -> None:
        """Add the cycle of one matched gc line."""
        self.add_matches((match,))

    def add_matches(self, matches: Iterable[re.Match[str]]) -> None:
        """Add the cycles of matched gc lines, in order.

        The hot path of a long log: the totals are kept in locals for the loop and every time is
        added in exact units (see ``_UNIT``)."""
        units, mb, group = self._units, self._mb, _SUMMARY_GROUPS
        cycles, forced_cycles, missing, previous = self.cycles, self.forced, self.missing, self._number
        pause_total, pause_max, cpu_total = self.pause_units, self.pause_max, self.cpu_units
        heap_peak = -1 if self.heap_peak is None else self.heap_peak
        last = None
        for last in matches:
            number, w1, w3, c1, c2, c3, c4, c5, h0, h1, forced = last.group(*group)
            pause = units[w1] + units[w3]
            pause_total += pause
            if pause > pause_max:
                pause_max = pause
            cpu_total += units[c1] + units[c2] + units[c3] + units[c4] + units[c5]
            start, end = mb[h0], mb[h1]
            if start > heap_peak or end > heap_peak:
                heap_peak = start if start > end else end
            if forced is not None:
                forced_cycles += 1
            cycles += 1
            n = int(number)
            if previous is not None and n > previous:  # a number that does not go up: another process
                missing += n - previous - 1
            previous = n
        if last is None:
            return
        self.cycles, self.forced, self.missing, self._number = cycles, forced_cycles, missing, previous
        self.pause_units, self.pause_max, self.cpu_units, self.heap_peak = pause_total, pause_max, cpu_total, heap_peak
        self._last_match = last

    def add_cycles(self, cycles: Iterable[GCCycle]) -> None:
        """Add parsed cycles."""
        for c in cycles:
            pause = _units(c.clock_ms[0]) + _units(c.clock_ms[2])  # each printed value exactly
            self.cycles += 1
            self.forced += c.forced
            self.pause_units += pause
            self.pause_max = max(self.pause_max, pause)
            self.cpu_units += sum(map(_units, c.cpu_ms))
            heap = max(c.heap_start_mb, c.heap_end_mb)
            self.heap_peak = heap if self.heap_peak is None else max(self.heap_peak, heap)
            self._follow(c.number)
            self._last, self._last_match = (c.at_s, c.gc_percent, c.live_mb, c.goal_mb, c.procs), None

    def _follow(self, number: int) -> None:
        """Count the cycles missing before ``number``. A number that does not go up starts a new run
        (another process), which is not a gap."""
        if self._number is not None and number > self._number:
            self.missing += number - self._number - 1
        self._number = number

    def result(self, skipped_lines: int) -> GCTraceSummary:
        """The summary so far; None where there is no cycle to take it from."""
        if self._last_match is not None:
            self._last = self._last_match.group("at", "percent", "h2", "goal", "procs")
        at, percent, live, goal, procs = self._last or (None,) * 5
        return GCTraceSummary(
            cycles=self.cycles,
            forced_cycles=self.forced,
            skipped_lines=skipped_lines,
            elapsed_s=None if at is None else float(at),  # type: ignore[arg-type]
            gc_percent_last=_opt_int(percent),
            pause_ms_total=self.pause_units / _UNIT,  # one correctly rounded division
            pause_ms_max=self.pause_max / _UNIT,
            cpu_ms_total=self.cpu_units / _UNIT,
            heap_peak_mb=self.heap_peak,
            live_heap_mb_last=_opt_int(live),
            heap_goal_mb_last=_opt_int(goal),
            procs_last=_opt_int(procs),
            missing_cycles=self.missing,
        )


@dataclass(slots=True)
class GCTraceScanner:
    """Line-by-line state machine behind :func:`iter_gc_cycles`.

    Feed it physical lines in order; it counts skipped lines and remembers a
    pending ``GC forced`` announcement.
    """

    skipped_lines: int = 0
    line_no: int = 0
    periodic: bool = False  # whether the last record :meth:`scan` returned is the periodic GC
    _last: re.Match[str] | None = field(default=None, repr=False)  # its number is read only when needed
    _periodic_after: int | None = field(default=None, repr=False)
    _periodic_pending: bool = field(default=False, repr=False)

    def feed(self, line: str) -> GCCycle | None:
        """Take the next physical line; return its cycle if it holds one."""
        match = self.scan(line)
        return None if match is None else _cycle_from_match(match, self.line_no, self.periodic)

    def scan(self, line: str) -> re.Match[str] | None:
        """Take the next physical line; return the match of its gc record if it holds a complete one
        (:attr:`periodic` then says whether it is the periodic GC)."""
        return next(self.matches((line,)), None)

    def matches(self, lines: Iterable[str]) -> Iterator[re.Match[str]]:
        """Take physical lines in order; yield the match of each complete gc record (:attr:`periodic` and
        :attr:`line_no` describe the one just yielded). One loop with its state in locals: this is
        what a long log costs per line."""
        search, fragment = _GC_LINE.search, _FRAGMENT.search
        line_no = self.line_no
        try:
            for line in lines:
                line_no += 1
                line = line.rstrip("\r\n")
                match = search(line) if "gc " in line else None
                if match is not None:
                    if self._periodic_pending:
                        self.periodic, self._periodic_pending = self._is_periodic(match), False
                    elif self.periodic:
                        self.periodic = False
                    self._last, self.line_no = match, line_no
                    yield match
                elif line.endswith(_PERIODIC_LINE):
                    self._periodic_pending = True
                    self._periodic_after = None if self._last is None else int(self._last["number"])
                elif fragment(line):
                    self.skipped_lines += 1
        finally:
            self.line_no = line_no

    def _is_periodic(self, match: re.Match[str]) -> bool:
        """Whether this line is the cycle a pending ``GC forced`` announced.

        That cycle is never user-forced, never the first of a process, and
        directly follows the last cycle seen before the announcement.
        """
        number = int(match["number"])
        expected = None if self._periodic_after is None else self._periodic_after + 1
        return (
            self._periodic_pending
            and not match["forced"]
            and number > 1
            and expected in (None, number)
        )


def iter_gc_cycles(
    lines: Iterable[str], scanner: GCTraceScanner | None = None
) -> Iterator[GCCycle]:
    """Yield the cycles found in *lines*, one physical line per item.

    Line endings (``\\n``, ``\\r\\n``) may be kept or stripped. Pass a
    *scanner* to read its ``skipped_lines`` afterwards.
    """
    scanner = GCTraceScanner() if scanner is None else scanner
    for match in scanner.matches(lines):
        yield _cycle_from_match(match, scanner.line_no, scanner.periodic)


def parse_gctrace(text: str) -> GCTrace:
    """Parse a whole captured stream of gctrace output, keeping every cycle."""
    scanner = GCTraceScanner()
    cycles = tuple(iter_gc_cycles(text.split("\n"), scanner))
    return GCTrace(cycles=cycles, skipped_lines=scanner.skipped_lines)


def summarize_gctrace(lines: Iterable[str]) -> GCTraceSummary:
    """The summary of gctrace output given as physical lines (an open file will do), keeping no
    cycle: memory does not grow with the log. Equal to ``parse_gctrace(text).summary()``."""
    scanner, running = GCTraceScanner(), RunningSummary()
    running.add_matches(scanner.matches(lines))
    return running.result(scanner.skipped_lines)


def _cycle_from_match(match: re.Match[str], line_no: int, periodic: bool) -> GCCycle:
    g = match.groupdict()
    return GCCycle(
        number=int(g["number"]),
        at_s=float(g["at"]),
        gc_percent=int(g["percent"]),
        clock_ms=(float(g["w1"]), float(g["w2"]), float(g["w3"])),
        cpu_ms=(float(g["c1"]), float(g["c2"]), float(g["c3"]), float(g["c4"]), float(g["c5"])),
        heap_start_mb=int(g["h0"]),
        heap_end_mb=int(g["h1"]),
        live_mb=int(g["h2"]),
        goal_mb=int(g["goal"]),
        stacks_mb=_opt_int(g["stacks"]),
        globals_mb=_opt_int(g["globals"]),
        procs=int(g["procs"]),
        forced=g["forced"] is not None,
        leak_check=g["leak"] is not None,
        periodic=periodic,
        line_no=line_no,
    )


def _opt_int(text: object) -> int | None:
    return None if text is None else int(text)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
