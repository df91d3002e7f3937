"""Tests for orchestrator.parsers.escape against real ``go build -gcflags=-m`` output.

The fixtures in tests/data/escape/ were captured from Go 1.27.3 (see the
README there). Expected values are computed here with plain string methods,
independently of the parser's regular expressions.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from orchestrator.parsers.escape import KINDS, EscapeSite, parse_escape

DATA = Path(__file__).parent / "data" / "escape"
M1 = "go1.27.3.txt"
M2 = "go1.27.3-m2.txt"


def read(name: str) -> str:
    return (DATA / name).read_text()


# --------------------------------------------------------------------------
# An independent reading: splits on ":" and prefix/suffix tests.

def kind_of(message: str) -> str | None:
    if message.endswith(" escapes to heap"):
        return "escapes"
    if message.startswith("moved to heap: "):
        return "moved"
    if message.startswith("leaking param content: "):
        return "leaking param content"
    if message.startswith("leaking param: "):
        return "leaking param to result" if " to result " in message else "leaking param"
    return None


def read_diagnostics(text: str) -> list[tuple[str, int, int, str]]:
    rows = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        file, line_no, col, message = line.split(":", 3)
        rows.append((file, int(line_no), int(col), message[1:]))
    return rows


def expected_sites(text: str) -> list[tuple[str, int, int, str, str]]:
    return [
        (f, ln, col, kind, msg)
        for f, ln, col, msg in read_diagnostics(text)
        if (kind := kind_of(msg)) is not None
    ]


def as_rows(sites: tuple[EscapeSite, ...]) -> list[tuple[str, int, int, str, str]]:
    return [(s.file, s.line, s.column, s.kind, s.message) for s in sites]


# --------------------------------------------------------------------------
# Real captures.

def test_capture_matches_independent_reading():
    text = read(M1)
    report = parse_escape(text)
    expected = expected_sites(text)
    assert as_rows(report.sites) == expected
    assert report.ignored == len(read_diagnostics(text)) - len(expected)
    assert report.packages == ("example.com/escpkg/sub", "example.com/escpkg")


def test_capture_has_every_kind():
    report = parse_escape(read(M1))
    counts = report.counts_by_kind
    assert list(counts) == list(KINDS)
    assert counts == dict(Counter(kind for *_, kind, _ in expected_sites(read(M1))))
    assert sum(counts.values()) == len(report.sites)


@pytest.mark.parametrize(
    ("file", "line", "column", "kind", "what"),
    [
        ("./esc.go", 16, 2, "moved", "p"),
        ("./esc.go", 21, 12, "leaking param", "q"),
        ("./esc.go", 26, 15, "leaking param to result", "r"),
        ("./esc.go", 31, 12, "leaking param content", "s"),
        ("./esc.go", 37, 13, "escapes", "make([]byte, n)"),
        ("./esc.go", 49, 14, "escapes", "x"),
        ("./esc.go", 55, 9, "escapes", "func literal"),
        ("./esc.go", 63, 9, "escapes", "&point{...}"),
        ("sub/sub.go", 17, 9, "escapes", "v"),
        ("sub/sub.go", 22, 2, "moved", "s"),
        ("sub/sub.go", 22, 11, "escapes", "make([]int, n)"),
        (
            "sub/sub.go", 10, 17, "escapes",
            '"strings: illegal use of non-zero Builder copied by value"',
        ),
    ],
)
def test_known_sites(file, line, column, kind, what):
    report = parse_escape(read(M1))
    here = (file, line, column)
    at = [(s.kind, s.what) for s in report.sites if (s.file, s.line, s.column) == here]
    assert at.count((kind, what)) == 1


def test_what_for_leak_to_result_and_message():
    report = parse_escape(read(M1))
    site = next(s for s in report.sites if s.kind == "leaking param to result")
    assert site.what == "r"
    assert site.message == "leaking param: r to result ~r0 level=0"


def test_no_site_from_ignored_diagnostics():
    text = read(M1)
    report = parse_escape(text)
    ignored = [m for *_, m in read_diagnostics(text) if kind_of(m) is None]
    assert any(m.endswith(" does not escape") for m in ignored)
    assert any(m.startswith("can inline ") for m in ignored)
    assert any(m.startswith("inlining call to ") for m in ignored)
    assert report.ignored == len(ignored)
    positions = {(s.file, s.line, s.column) for s in report.sites}
    assert ("./esc.go", 42, 11) not in positions  # make([]byte, 16) does not escape


def test_generic_instantiations_repeat_sites():
    report = parse_escape(read(M1))
    repeated = [s for s in report.sites if (s.file, s.line, s.column) == ("./gen.go", 5, 38)]
    assert len(repeated) == 2
    assert {s.what for s in repeated} == {"v"}


def test_counts_by_file_and_top_files():
    text = read(M1)
    report = parse_escape(text)
    counts = Counter(f for f, *_ in expected_sites(text))
    assert report.counts_by_file == dict(counts)
    ranked = report.top_files(None)
    assert [c for _, c in ranked] == sorted(counts.values(), reverse=True)
    assert list(report.counts_by_file) == [f for f, _ in ranked]
    assert report.top_files(1) == [counts.most_common(1)[0]]
    assert report.top_files(1) == [("./esc.go", 11)]
    assert report.top_files(0) == []
    assert report.top_files(100) == ranked
    assert report.top_files() == ranked[:10]


def test_m2_gives_the_same_sites_as_m():
    m1 = parse_escape(read(M1))
    m2 = parse_escape(read(M2))
    assert m2.sites == tuple(s for s in m1.sites if s.file == "sub/sub.go")
    assert m2.packages == ("example.com/escpkg/sub",)
    # The explanation headers end in "escapes to heap in Join:" and stay out.
    assert any(line.endswith(" in Join:") for line in read(M2).splitlines())
    assert m2.ignored == len(read(M2).splitlines()) - 1 - len(m2.sites)


# --------------------------------------------------------------------------
# Other shapes.

def test_positions_without_column_and_with_drive_letter():
    text = (
        "<autogenerated>:1: .this does not escape\n"
        "<autogenerated>:1: leaking param: .this\n"
        "C:\\src\\x\\main.go:7:3: moved to heap: buf\n"
        "/abs/path/y.go:12:20: ... argument escapes to heap\n"
    )
    report = parse_escape(text)
    assert [(s.file, s.line, s.column, s.kind, s.what) for s in report.sites] == [
        ("<autogenerated>", 1, 0, "leaking param", ".this"),
        ("C:\\src\\x\\main.go", 7, 3, "moved", "buf"),
        ("/abs/path/y.go", 12, 20, "escapes", "... argument"),
    ]
    assert report.ignored == 1


def test_crlf_and_compile_errors():
    text = (
        "# example.com/broken\r\n"
        "./a.go:3:2: undefined: foo\r\n"
        "./a.go:4:9: new(int) escapes to heap\r\n"
    )
    report = parse_escape(text)
    assert as_rows(report.sites) == [("./a.go", 4, 9, "escapes", "new(int) escapes to heap")]
    assert report.ignored == 1
    assert report.packages == ("example.com/broken",)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n",
        "hello world\n",
        "escapes to heap\n",
        "moved to heap: x\n",
        "./x.go:1: \n",
        "./x.go:ab:cd: moved to heap: x\n",
        "./x.go:3:4:moved to heap: x\n",
        "\x00\xff binary \x1b[31m junk\n",
        "gc 1 @0.005s 2%: 0.016+0.41+0.003 ms clock, 0.033+0.11/0.17/0+0.007 ms cpu\n",
    ],
)
def test_garbage_gives_nothing(text):
    report = parse_escape(text)
    assert report.sites == ()
    assert report.counts_by_kind == {}
    assert report.counts_by_file == {}
    assert report.top_files(3) == []
    assert report.packages == ()
    assert report.ignored == (1 if text == "./x.go:1: \n" else 0)


def test_records_are_frozen():
    report = parse_escape(read(M1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.sites[0].kind = "moved"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.ignored = 0  # type: ignore[misc]
