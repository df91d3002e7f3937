"""The small commands: check a spec, summarise a gctrace log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from orchestrator.parsers.gctrace import summarize_gctrace
from orchestrator.spec import Spec, load_spec

# A gc record is under 300 characters and always ends its line, so a longer line is judged by its
# end: a workload that writes a gigabyte without a newline does not make gctune hold it.
MAX_LINE_CHARS = 1 << 20


def validate_spec(path: Path) -> Spec:
    """The validated spec; SpecError naming file, line and field otherwise."""
    return load_spec(path)


def gctrace_summary(path: Path) -> dict[str, Any]:
    """The summary of a ``GODEBUG=gctrace=1`` log of any Go release 1.19-1.27, read as a stream."""
    with Path(path).open(encoding="utf-8", errors="replace") as stream:
        return summarize_gctrace(bounded_lines(stream)).to_dict()


def bounded_lines(stream: IO[str], limit: int = MAX_LINE_CHARS, chunk: int = 1 << 18) -> Iterator[str]:
    """The stream's lines, without their ``\\n``, each line longer than ``limit`` cut to its last
    ``limit`` characters. Read in 256 KiB chunks and split in C: a long log costs no Python call per line to read."""
    carry = ""
    while piece := stream.read(chunk):
        lines = (carry + piece).split("\n")
        carry = lines.pop()[-limit:]
        if max(map(len, lines), default=0) > limit:
            lines = [line[-limit:] for line in lines]
        yield from lines
    if carry:
        yield carry
