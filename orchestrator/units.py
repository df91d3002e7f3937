"""Sizes and durations: every way gctune reads and writes them, in one place.

Read: ``256MiB``, ``1.5GiB``, ``512MB`` (SI), a number of bytes; ``500ms``, ``2s``, ``1m``.
Written, by audience:
- ``format_size``: a person reading a table (``192.0MiB``);
- ``format_mib``: a report (``197.4MiB``, whole MiB without decimals);
- ``format_bytes``: exact, for a spec or a value that must round-trip (``256MiB``, ``1000B``);
- ``format_docker_size`` / ``format_k8s_memory``: what ``docker run -m`` and Kubernetes accept;
- ``format_number`` / ``format_go_duration``: plain numbers and Go duration strings for flags.
"""

from __future__ import annotations

import re

MIB = 2**20
_SIZE_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
    "k": 2**10, "m": 2**20, "g": 2**30,  # docker's shorthand: binary units
}
_BINARY = (("TiB", 2**40), ("GiB", 2**30), ("MiB", MIB), ("KiB", 2**10))
_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_DURATION_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_DURATION_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|min|h)?\s*$")

SIZE_HELP = "a size such as 256MiB, 1.5GiB, 512MB or a number of bytes"
DURATION_HELP = "a duration such as 500ms, 10s or 2m"


def parse_size(value: str | int | float) -> int:
    """Return a size in bytes; raise ValueError naming what would be valid."""
    if isinstance(value, bool):
        raise ValueError(f"expected {SIZE_HELP}, got {value!r}")
    if isinstance(value, (int, float)):
        return int(value)
    match = _SIZE_RE.match(str(value))
    unit = match.group(2).lower() if match else None
    if not match or unit not in _SIZE_UNITS:
        raise ValueError(f"expected {SIZE_HELP}, got {value!r}")
    return int(float(match.group(1)) * _SIZE_UNITS[unit])


def parse_duration(value: str | int | float) -> float:
    """Return a duration in seconds; a bare number means seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    match = _DURATION_RE.match(str(value))
    if not match:
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2) or "s"]


def format_size(num_bytes: float) -> str:
    """Bytes with a binary unit and one decimal, for a person: ``192.0MiB``."""
    value = float(num_bytes)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f}{unit}" if unit == "B" else f"{value:.1f}{unit}"
        value /= 1024
    return f"{value:.1f}TiB"  # pragma: no cover


def format_mib(num_bytes: float) -> str:
    """Bytes in MiB for a report: ``197.4MiB``, or ``256MiB`` when whole."""
    value = num_bytes / MIB
    return f"{value:.0f}MiB" if float(value).is_integer() else f"{value:.1f}MiB"


def format_bytes(num_bytes: int) -> str:
    """Bytes exactly, in the largest binary unit that divides them: ``256MiB``, ``1000B``."""
    for unit, scale in _BINARY:
        if num_bytes >= scale and num_bytes % scale == 0:
            return f"{num_bytes // scale}{unit}"
    return f"{num_bytes}B" if num_bytes else "0"


def format_docker_size(num_bytes: float) -> str:
    """A size ``docker run --memory`` accepts exactly: ``256m``, else bytes ``268435457b``."""
    return f"{int(num_bytes) // MIB}m" if int(num_bytes) % MIB == 0 else f"{int(num_bytes)}b"


def format_k8s_memory(num_bytes: float) -> str:
    """A Kubernetes memory quantity: ``256Mi`` when whole MiB (or Gi, Ki), else plain bytes."""
    value = int(num_bytes)
    for suffix, scale in (("Gi", 2**30), ("Mi", MIB), ("Ki", 2**10)):
        if value % scale == 0 and value >= scale:
            return f"{value // scale}{suffix}"
    return str(value)


def format_number(value: float) -> str:
    """A number without a trailing ``.0`` or an exponent: ``2``, ``0.25``, ``1000000``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def format_go_duration(seconds: float) -> str:
    """Seconds as a Go duration string in milliseconds, e.g. ``2000ms``."""
    return f"{format_number(round(seconds * 1000, 3))}ms"
