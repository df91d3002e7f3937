"""Parse ``go test -bench`` output (the Go benchmark data format).

Pure: text in, records out; this module does no I/O.

A result line is ``<name>[-<procs>] <iterations> (<value> <unit>)+``, fields
separated by spaces and tabs; Go 1.27 prints (tabs shown as spaces)::

    BenchmarkAlloc-2   233776   1075 ns/op   3811.34 MB/s   4120 B/op   2 allocs/op

Configuration lines are ``key: value`` (``goos: linux``, ``pkg: ...``);
``PASS``, ``FAIL``, ``ok <pkg> <time>`` and ``FAIL <pkg> <time>`` give the
verdict; ``--- FAIL: <name>`` lines name failures. Everything else (``--- BENCH:``
log blocks, program output, ``GODEBUG=gctrace=1`` lines) is skipped.

The testing package writes a result line in two writes: the padded name and a
tab first, the figures after the benchmark has run. When stderr is merged into
stdout, whatever the run printed meanwhile (gctrace lines from the
``runtime.GC()`` before each run) sits between the two, so the name ends up at
the start of one line and the figures alone on a later line. A name followed
by something else is therefore held until figures come alone on a later line
(they may also close a line that other output began); a ``--- FAIL`` or
``--- SKIP`` line or the next name drops it. Figures on the name's own line
after other output are not taken.

The ``-<procs>`` suffix (GOMAXPROCS) is absent when GOMAXPROCS is 1; a
sub-benchmark name that itself ends in ``-<digits>`` is then misread as
carrying one, as with every reader of this format.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BenchOutput",
    "BenchResult",
    "bench_metrics",
    "metric_name",
    "parse_bench",
]

# A value as strconv.ParseFloat reads it; Go prints plain decimals.
_NUM = r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?Inf|NaN"
# A unit: no spaces; never starts like a number, so pairs cannot slip.
_UNIT = r"[^\s0-9.+-]\S*"
# "Benchmark" followed by a non-lower-case character, as the testing package
# requires of benchmark function names.
_NAME = r"Benchmark(?![a-z])\S*?"

_RESULT = re.compile(
    rf"""
    (?:
        \A(?P<name>{_NAME})(?:-(?P<procs>[0-9]+))?   # name, -GOMAXPROCS if not 1
        [ \t]+
      | (?:\A|(?<=\s))                                # or the figures alone
    )
    (?P<iterations>[0-9]+)
    (?P<pairs>(?:[ \t]+(?:{_NUM})[ \t]+{_UNIT})+)     # value unit, at least one
    [ \t]*\Z
    """,
    re.VERBOSE | re.ASCII,
)

# A name whose figures have not come yet: anything but figures may follow.
_NAME_START = re.compile(
    rf"(?P<name>{_NAME})(?:-(?P<procs>[0-9]+))?(?:[ \t]|\Z)", re.ASCII
)
# Key starts lower case, holds no space, upper case or colon (format spec);
# not the runtime's own "panic: ..." and "runtime: ..." crash lines.
_CONFIG = re.compile(
    r"(?!(?:panic|runtime):)(?P<key>[a-z][^\sA-Z:]*):(?:[ \t]+(?P<value>.*?))?[ \t]*\Z",
    re.ASCII,
)
_MARK = re.compile(r"--- (?P<tag>FAIL|SKIP|BENCH): (?P<name>\S+)", re.ASCII)
_PASS = re.compile(r"(?:PASS|ok[ \t]+\S+.*)\Z", re.ASCII)
_FAIL = re.compile(r"FAIL(?:[ \t]+\S+.*)?\Z", re.ASCII)

# Units with a name of their own; other "X/op" become "x_per_op".
_KNOWN_UNITS = {
    "ns/op": "ns_per_op",
    "B/op": "bytes_per_op",
    "allocs/op": "allocs_per_op",
    "MB/s": "mb_per_s",
}


@dataclass(frozen=True)
class BenchResult:
    """One result line."""

    name: str  # as printed, without the -<procs> suffix: "BenchmarkSort/n=10"
    procs: int | None  # GOMAXPROCS suffix; None when there is none
    iterations: int
    values: dict[str, float]  # unit -> value, e.g. {"ns/op": 36.74, "B/op": 0.0}


@dataclass(frozen=True)
class BenchOutput:
    """Everything read from one run's output, in stream order."""

    results: tuple[BenchResult, ...]
    config: dict[str, str]  # last value of each key: goos, goarch, pkg, cpu, ...
    passed: bool | None  # None when there is no PASS / ok / FAIL verdict
    failures: tuple[str, ...]  # names from "--- FAIL: <name>", as printed


def parse_bench(text: str) -> BenchOutput:
    """Parse a whole captured stream of benchmark output.

    ``passed`` is False when there is a ``FAIL`` verdict or a ``--- FAIL``
    line, True when there is a ``PASS`` or ``ok`` line and neither, else None.
    """
    results: list[BenchResult] = []
    config: dict[str, str] = {}
    failures: list[str] = []
    verdicts: set[bool] = set()
    pending: re.Match[str] | None = None  # a name still waiting for its figures
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        start = _NAME_START.match(line)
        match = _RESULT.search(line)
        if match is not None and match["name"] is not None:
            results.append(_result(match, match))
            pending = None
            continue
        if match is not None and pending is not None and start is None:
            results.append(_result(pending, match))
            pending = None
            continue
        mark = _MARK.search(line)
        if mark is not None:
            if mark["tag"] == "FAIL":
                failures.append(mark["name"])
            if mark["tag"] != "BENCH":
                pending = None
        elif start is not None:
            pending = start
        elif _PASS.match(line):
            verdicts.add(True)
        elif _FAIL.match(line):
            verdicts.add(False)
        elif (conf := _CONFIG.match(line)) is not None:
            config[conf["key"]] = conf["value"] or ""
    if failures:
        verdicts.add(False)
    return BenchOutput(
        results=tuple(results),
        config=config,
        passed=None if not verdicts else min(verdicts),
        failures=tuple(failures),
    )


def metric_name(unit: str) -> str:
    """gctune's metric name for a unit.

    ``ns/op`` -> ``ns_per_op``, ``B/op`` -> ``bytes_per_op``, ``allocs/op``
    -> ``allocs_per_op``, ``MB/s`` -> ``mb_per_s``, other ``X/op`` ->
    ``x_per_op``; anything else is lower-cased with each run of characters
    other than ASCII letters and digits turned into ``_`` (``p99-ns`` ->
    ``p99_ns``). A unit with no letter or digit becomes ``value``.
    """
    if unit in _KNOWN_UNITS:
        return _KNOWN_UNITS[unit]
    if unit.endswith("/op") and len(unit) > 3:
        return f"{_snake(unit[:-3])}_per_op"
    return _snake(unit)


def bench_metrics(output: BenchOutput) -> dict[str, float]:
    """Sum the results up as gctune metrics, like benchstat's geomean row.

    Each metric (see :func:`metric_name`; units with the same name are pooled)
    is the geometric mean of its values over every result line that has it,
    so every benchmark and every ``-count`` repetition weighs the same.

    Zeros (benchstat prints no geomean then): a geometric mean with a zero
    in it is zero whatever the rest, so zeros are left out and the mean is
    over the positive values (0 B/op for one benchmark and 4120 and 40 B/op
    for two others gives 406); a metric whose values are all zero is 0.0.
    So a value that moves between 0 and positive changes which lines count. A metric with a negative value (possible
    with ``b.ReportMetric``) has no geometric mean and is left out, and so is
    one with no finite value; NaN and infinite values are skipped.

    ``benchmarks`` is the number of distinct benchmarks (name and procs),
    not of result lines; 0 when there were no results.
    """
    pooled: dict[str, list[float]] = {}
    for result in output.results:
        for unit, value in result.values.items():
            pooled.setdefault(metric_name(unit), []).append(value)
    metrics: dict[str, float] = {}
    for name, values in pooled.items():
        mean = _geomean(v for v in values if math.isfinite(v))
        if mean is not None:
            metrics[name] = mean
    metrics["benchmarks"] = len({(r.name, r.procs) for r in output.results})
    return metrics


def _result(head: re.Match[str], figures: re.Match[str]) -> BenchResult:
    """The result named by *head* (``name``, ``procs``) with *figures*."""
    fields = figures["pairs"].split()
    values = {unit: float(value) for value, unit in zip(fields[::2], fields[1::2], strict=True)}
    return BenchResult(
        name=head["name"],
        procs=_opt_int(head["procs"]),
        iterations=int(figures["iterations"]),
        values=values,
    )


def _geomean(values: Iterable[float]) -> float | None:
    """Geometric mean of the positive values; 0.0 if all are 0; else None."""
    values = list(values)
    if not values or min(values) < 0:
        return None
    positive = [v for v in values if v > 0]
    if not positive:
        return 0.0
    if min(positive) == max(positive):
        return positive[0]  # exact, without the rounding of exp(log(x))
    return math.exp(math.fsum(math.log(v) for v in positive) / len(positive))


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "value"


def _opt_int(text: str | None) -> int | None:
    return None if text is None else int(text)
