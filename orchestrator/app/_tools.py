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


def bounded_lines(stream: IO[str], limit: int = MAX_LINE_CHARS) -> Iterator[str]:
    """The stream's lines, each line longer than ``limit`` cut to its last ``limit`` characters."""
    while piece := stream.readline(limit):
        if len(piece) == limit and not piece.endswith("\n"):
            piece = _line_end(stream, piece, limit)
        yield piece


def _line_end(stream: IO[str], tail: str, limit: int) -> str:
    while not tail.endswith("\n") and (more := stream.readline(limit)):
        tail = (tail + more)[-limit:]
    return tail
