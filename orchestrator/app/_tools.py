"""The small commands: check a spec, summarise a gctrace log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from orchestrator.parsers.gctrace import parse_gctrace
from orchestrator.spec import Spec, load_spec


def validate_spec(path: Path) -> Spec:
    """The validated spec; SpecError naming file, line and field otherwise."""
    return load_spec(path)


def gctrace_summary(path: Path) -> dict[str, Any]:
    """The summary of a ``GODEBUG=gctrace=1`` log of any Go release 1.19-1.27."""
    return parse_gctrace(Path(path).read_text(encoding="utf-8", errors="replace")).summary().to_dict()
