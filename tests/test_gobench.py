"""Tests for orchestrator.parsers.gobench against real ``go test -bench`` captures.

The fixtures in tests/data/gobench/ were captured from Go 1.27.3 (see the
README there). Expected values are computed here with plain ``str.split``,
independently of the parser's regular expressions.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from orchestrator.parsers.gobench import (
    BenchOutput,
    BenchResult,
    bench_metrics,
    metric_name,
    parse_bench,
)

DATA = Path(__file__).parent / "data" / "gobench"
PLAIN = "go1.27.3.txt"
MERGED = "go1.27.3-gctrace-merged.txt"
FAIL = "go1.27.3-fail.txt"
GOTEST = "go1.27.3-gotest.txt"
CONFIG_KEYS = ["goos", "goarch", "pkg", "cpu"]
PKG_NAMES = ["BenchmarkSort/n=10", "BenchmarkSort/n=1000", "BenchmarkAlloc", "BenchmarkJoin"]


def read(name: str) -> str:
    return (DATA / name).read_text()


# --------------------------------------------------------------------------
# An independent reading: whitespace splits, no regular expression.

def split_name(field: str) -> tuple[str, int | None]:
    head, dash, tail = field.rpartition("-")
    if dash and tail.isdigit():
        return head, int(tail)
    return field, None


def figures(fields: list[str]) -> tuple[int, dict[str, float]]:
    return int(fields[0]), {u: float(v) for v, u in zip(fields[1::2], fields[2::2])}


def read_whole_lines(text: str) -> list[tuple[str, int | None, int, dict[str, float]]]:
    """Result lines with name and figures on one line (unmerged output)."""
    rows = []
    for line in text.splitlines():
        fields = line.split()
        if (
            line.startswith("Benchmark") and len(fields) >= 4 and len(fields) % 2 == 0
            and fields[1].isdigit()
        ):
            rows.append((*split_name(fields[0]), *figures(fields[1:])))
    return rows


def read_merged(text: str) -> list[tuple[str, int | None, int, dict[str, float]]]:
    """Names from lines starting with Benchmark, figures from the later lines
    that start with blanks and an iteration count, paired in order."""
    names, rows = [], []
    for line in text.splitlines():
        fields = line.split()
        if line.startswith("Benchmark"):
            names.append(split_name(fields[0]))
        elif line[:1] in (" ", "\t") and fields and fields[0].isdigit() and "ns/op" in fields:
            rows.append((*names.pop(0), *figures(fields)))
    assert not names
    return rows


def as_rows(output: BenchOutput) -> list[tuple[str, int | None, int, dict[str, float]]]:
    return [(r.name, r.procs, r.iterations, r.values) for r in output.results]


def geomean(values: list[float]) -> float:
    return math.prod(values) ** (1 / len(values))


# --------------------------------------------------------------------------
# Real captures.

def test_plain_capture_matches_independent_reading():
    text = read(PLAIN)
    out = parse_bench(text)
    expected = read_whole_lines(text)
    assert len(expected) == 8  # 4 benchmarks, -test.count=2
    assert as_rows(out) == expected
    assert [r.name for r in out.results[::2]] == PKG_NAMES
    assert {r.procs for r in out.results} == {2}
    assert out.passed is True
    assert out.failures == ()
    assert list(out.config) == CONFIG_KEYS
    assert out.config["goos"] == "linux"
    assert out.config["pkg"] == "example.com/benchpkg"
    assert out.config["cpu"] == next(
        line[len("cpu: "):] for line in text.splitlines() if line.startswith("cpu: ")
    )


def test_plain_capture_units():
    out = parse_bench(read(PLAIN))
    by_name = {r.name: r for r in out.results}
    assert list(by_name["BenchmarkSort/n=10"].values) == ["ns/op", "B/op", "allocs/op"]
    assert list(by_name["BenchmarkAlloc"].values) == ["ns/op", "MB/s", "B/op", "allocs/op"]
    assert list(by_name["BenchmarkJoin"].values) == [
        "ns/op", "items/op", "zero/op", "B/op", "allocs/op",
    ]
    assert by_name["BenchmarkJoin"].values["items/op"] == 4.0
    assert by_name["BenchmarkJoin"].values["zero/op"] == 0.0
    assert by_name["BenchmarkAlloc"].values["B/op"] >= 4096


def test_merged_gctrace_capture_splits_names_from_figures():
    text = read(MERGED)
    lines = text.splitlines()
    # The surprise this fixture shows: no result line is whole; each name is
    # followed by a gc line and the figures stand alone further down.
    assert not read_whole_lines(text)
    assert all("\tgc " in line for line in lines if line.startswith("Benchmark"))
    assert sum(line.startswith("gc ") for line in lines) > 100
    out = parse_bench(text)
    assert as_rows(out) == read_merged(text)
    assert [r.name for r in out.results[::2]] == PKG_NAMES
    assert out.passed is True
    assert list(out.config) == CONFIG_KEYS


def test_merged_capture_gives_same_metrics_shape_as_plain():
    plain = bench_metrics(parse_bench(read(PLAIN)))
    merged = bench_metrics(parse_bench(read(MERGED)))
    assert plain.keys() == merged.keys()
    for key in ("bytes_per_op", "allocs_per_op", "items_per_op", "benchmarks"):
        assert merged[key] == pytest.approx(plain[key])


def test_fail_capture():
    text = read(FAIL)
    out = parse_bench(text)
    assert out.passed is False
    assert out.failures == tuple(
        line.split("--- FAIL: ")[1] for line in text.splitlines() if "--- FAIL: " in line
    )
    assert out.failures == (
        "BenchmarkBroken", "BenchmarkLate-2", "BenchmarkSub/bad", "BenchmarkSub",
    )
    assert as_rows(out) == read_whole_lines(text)
    assert [r.name for r in out.results] == ["BenchmarkOK", "BenchmarkLogs", "BenchmarkSub/good"]
    # "--- BENCH:" log lines (indented "bench_test.go:19: b.N=1") are no config.
    assert list(out.config) == CONFIG_KEYS


def test_go_test_capture_without_procs_suffix():
    text = read(GOTEST)
    out = parse_bench(text)
    assert as_rows(out) == read_whole_lines(text)
    assert [(r.name, r.procs) for r in out.results] == [
        ("BenchmarkSort/n=10", None), ("BenchmarkSort/n=10", 2),
        ("BenchmarkSort/n=1000", None), ("BenchmarkSort/n=1000", 2),
    ]
    assert text.splitlines()[-1].startswith("ok ")
    assert out.passed is True
    assert bench_metrics(out)["benchmarks"] == 4


def test_metrics_are_geometric_means_of_the_capture():
    out = parse_bench(read(PLAIN))
    rows = read_whole_lines(read(PLAIN))
    metrics = bench_metrics(out)
    assert set(metrics) == {
        "ns_per_op", "bytes_per_op", "allocs_per_op", "mb_per_s",
        "items_per_op", "zero_per_op", "benchmarks",
    }
    assert metrics["benchmarks"] == 4
    assert metrics["ns_per_op"] == pytest.approx(geomean([r[3]["ns/op"] for r in rows]))
    assert metrics["mb_per_s"] == pytest.approx(
        geomean([r[3]["MB/s"] for r in rows if "MB/s" in r[3]])
    )
    # B/op: 0 for Sort (4 lines), 4120 for Alloc, 40 for Join -> zeros left out.
    positive = [r[3]["B/op"] for r in rows if r[3]["B/op"] > 0]
    assert len(positive) == 4
    assert metrics["bytes_per_op"] == pytest.approx(geomean(positive))
    assert metrics["allocs_per_op"] == 2.0
    assert metrics["items_per_op"] == 4.0
    assert metrics["zero_per_op"] == 0.0


# --------------------------------------------------------------------------
# Units and means.

@pytest.mark.parametrize(
    ("unit", "name"),
    [
        ("ns/op", "ns_per_op"),
        ("B/op", "bytes_per_op"),
        ("allocs/op", "allocs_per_op"),
        ("MB/s", "mb_per_s"),
        ("items/op", "items_per_op"),
        ("KB/op", "kb_per_op"),
        ("gc-pause-ns/op", "gc_pause_ns_per_op"),
        ("p99-ns", "p99_ns"),
        ("req/s", "req_s"),
        ("ns/GC", "ns_gc"),
        ("%", "value"),
        ("/op", "op"),
    ],
)
def test_metric_name(unit, name):
    assert metric_name(unit) == name


def result(values: dict[str, float], name: str = "BenchmarkX") -> BenchResult:
    return BenchResult(name=name, procs=2, iterations=1, values=values)


def output(*results: BenchResult) -> BenchOutput:
    return BenchOutput(results=results, config={}, passed=True, failures=())


def test_geomean_of_several_benchmarks():
    out = output(result({"ns/op": 10.0}, "BenchmarkA"), result({"ns/op": 1000.0}, "BenchmarkB"))
    assert bench_metrics(out) == {"ns_per_op": pytest.approx(100.0), "benchmarks": 2}


def test_geomean_counts_each_repetition():
    out = output(result({"ns/op": 2.0}), result({"ns/op": 2.0}), result({"ns/op": 16.0}))
    assert bench_metrics(out) == {"ns_per_op": pytest.approx(4.0), "benchmarks": 1}


def test_geomean_leaves_zeros_out_unless_all_are_zero():
    out = output(
        result({"B/op": 0.0, "allocs/op": 0.0}, "BenchmarkA"),
        result({"B/op": 8.0, "allocs/op": 0.0}, "BenchmarkB"),
        result({"B/op": 32.0, "allocs/op": 0.0}, "BenchmarkC"),
    )
    metrics = bench_metrics(out)
    assert metrics["bytes_per_op"] == pytest.approx(16.0)
    assert metrics["allocs_per_op"] == 0.0
    assert metrics["benchmarks"] == 3


def test_equal_values_give_that_value_exactly():
    out = output(*(result({"B/op": 7.0}) for _ in range(3)))
    assert bench_metrics(out)["bytes_per_op"] == 7.0


def test_negative_and_non_finite_values():
    out = output(
        result({"delta/op": -1.0, "x/op": math.nan, "y/op": 4.0}),
        result({"delta/op": 3.0, "x/op": math.nan, "y/op": math.inf}),
    )
    assert bench_metrics(out) == {"y_per_op": 4.0, "benchmarks": 1}


def test_units_with_the_same_metric_name_are_pooled():
    out = output(result({"Items/op": 1.0}), result({"items/op": 4.0}))
    assert bench_metrics(out)["items_per_op"] == pytest.approx(2.0)


def test_no_results():
    assert bench_metrics(parse_bench("")) == {"benchmarks": 0}


# --------------------------------------------------------------------------
# Formats seen elsewhere (quoted from the format proposal and Go's output).

def test_format_proposal_example():
    text = (
        "commit: 7cd9055\n"
        "commit-time: 2016-02-11T13:25:45-0500\n"
        "goos: darwin\n"
        "goarch: amd64\n"
        "cpu: Intel(R) Core(TM) i7-4980HQ CPU @ 2.80GHz\n"
        "cpucount: 8\n"
        "BenchmarkDecodeDigits     \t     200\t   8.55e+06 ns/op\t   1.17 MB/s\n"
        "BenchmarkDecodeTwain      \t     100\t   2.0e7 ns/op\t   4.88 MB/s\n"
        "note:\n"
    )
    out = parse_bench(text)
    assert [(r.name, r.procs, r.iterations) for r in out.results] == [
        ("BenchmarkDecodeDigits", None, 200), ("BenchmarkDecodeTwain", None, 100),
    ]
    assert out.results[0].values == {"ns/op": 8.55e6, "MB/s": 1.17}
    assert out.config["commit-time"] == "2016-02-11T13:25:45-0500"
    assert out.config["cpucount"] == "8"
    assert out.config["note"] == ""
    assert out.passed is None


def test_chatty_output_gives_one_result():
    text = (
        "BenchmarkJoin\n"
        "BenchmarkJoin-2   \t      10\t      1825 ns/op\t         4.000 items/op\n"
        "PASS\n"
    )
    out = parse_bench(text)
    assert as_rows(out) == [("BenchmarkJoin", 2, 10, {"ns/op": 1825.0, "items/op": 4.0})]


def test_figures_closing_a_line_that_other_output_began():
    text = (
        "BenchmarkAlloc-2   \tgc 4 @0.010s 13%: 2.1+0.37+0.002 ms clock, ...\n"
        "gc 5 @0.02s 3%: 0.1+0.2+0.003 ms clock, 0.2+  116300\t      1086 ns/op\t    4120 B/op\n"
        "0/0.1/0+0.1 ms cpu, 4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
    )
    out = parse_bench(text)
    assert as_rows(out) == [("BenchmarkAlloc", 2, 116300, {"ns/op": 1086.0, "B/op": 4120.0})]


def test_figures_without_a_name_are_dropped():
    out = parse_bench("   116300\t  1086 ns/op\nPASS\n")
    assert out.results == ()
    assert out.passed is True


def test_skip_line_drops_the_pending_name():
    text = (
        "BenchmarkSkip-2   \t--- SKIP: BenchmarkSkip-2\n"
        "    x_test.go:9: not here\n"
        "   1000\t  5 ns/op\n"
    )
    out = parse_bench(text)
    assert out.results == ()
    assert out.failures == ()


def test_go_test_fail_verdict_and_crlf():
    text = (
        "BenchmarkA-4 \t 100\t 12 ns/op\r\n"
        "--- FAIL: TestOther (0.00s)\r\n"
        "FAIL\r\n"
        "FAIL\texample.com/x\t0.012s\r\n"
        "ok  \texample.com/y\t0.3s\r\n"
    )
    out = parse_bench(text)
    assert as_rows(out) == [("BenchmarkA", 4, 100, {"ns/op": 12.0})]
    assert out.failures == ("TestOther",)
    assert out.passed is False


def test_sub_benchmark_name_with_dashes():
    out = parse_bench("BenchmarkX/size-10-8 \t 5\t 1.5 ns/op\n")
    assert [(r.name, r.procs) for r in out.results] == [("BenchmarkX/size-10", 8)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "hello world\nBenchmarking is fun 3 4 ns/op\n",
        "Benchmark\n",
        "BenchmarkX-2 \t 12 ns/op\n",  # odd field count
        "BenchmarkX-2 \t 10 3 ns/op 4\n",  # a value without unit
        "BenchmarkX-2 \t 10 3 4 ns/op\n",  # a unit that is a number
        "BenchmarkX-2 \t ten 3 ns/op\n",
        "gc 1 @0.005s 2%: 0.016+0.41+0.003 ms clock, 0.033+0.11/0.17/0+0.007 ms cpu, "
        "4->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n",
        "\x00\xff binary \x1b[31m junk\n",
        "    bench_test.go:19: b.N=1\n",
        "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\n",
    ],
)
def test_garbage_gives_nothing(text):
    out = parse_bench(text)
    assert out.results == ()
    assert out.config == {}
    assert out.passed is None
    assert out.failures == ()
    assert bench_metrics(out) == {"benchmarks": 0}


def test_records_are_frozen():
    out = parse_bench(read(PLAIN))
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.results[0].iterations = 1  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        out.passed = False  # type: ignore[misc]
