"""Scalar value parsers: each returns the parsed value or raises ValueError saying what is valid.

The messages read ``must be <what is valid>, got <what was given>`` so that, prefixed with the file,
line and field path, they tell the user exactly how to fix their spec.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from orchestrator.units import (
    DURATION_HELP, SIZE_HELP, format_bytes, format_go_duration, format_number, parse_duration, parse_size)

T = TypeVar("T")
Parser = Callable[[Any], T]

_INT_RE = re.compile(r"^\s*[+-]?[0-9]+\s*$")
_PERCENT_RE = re.compile(r"^\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*%\s*$")
# Every C0 control character and DEL except tab: NUL cannot reach a program at all, and the others
# only garble what the program reads and what gctune prints.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# Bounds on values that YAML and pydantic accept but that would crash a run or mean nothing.
MAX_SHOWN_CHARS = 80  # of a value echoed in an error message
MAX_NUMBER_CHARS = 100  # of a number written as text; longer is no number anyone means
MAX_TEXT_CHARS = 4096  # of a string: an argument, an image, a path, an env value
MAX_DURATION_S = 24 * 3600.0  # of a warm-up, a measurement, a timeout: a trial is not a day long
MAX_DURATION_TEXT = "24h"
MAX_BYTES = 2**50  # of a memory size (1024TiB): far above any machine, far below Go's int64


@dataclass(frozen=True, order=True)
class Percent:
    """A share of the container's memory limit, e.g. ``GOMEMLIMIT: 80%``."""

    value: float

    def of(self, total_bytes: int) -> int:
        """The number of bytes this percentage of ``total_bytes`` is."""
        return int(total_bytes * self.value / 100)

    def __str__(self) -> str:
        return f"{format_number(self.value)}%"

    def to_plain(self) -> str:
        """As written in a spec: ``80%``."""
        return str(self)


def show(value: Any) -> str:
    """Render a user's value in YAML terms for an error message, cut to a readable length."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _cut_repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, int) and value.bit_length() > 3 * MAX_NUMBER_CHARS:
        return f"an integer of about {int(value.bit_length() * math.log10(2)):,} digits"
    return clip(str(value))


def clip(text: str, limit: int = MAX_SHOWN_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was: no message echoes a megabyte."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def _cut_repr(text: str) -> str:
    if len(text) <= MAX_SHOWN_CHARS:
        return repr(text)
    return f"{text[:MAX_SHOWN_CHARS]!r}... ({len(text):,} characters)"


def plain_text(value: Any, *, max_chars: int = MAX_TEXT_CHARS, what: str = "a string") -> str:
    """A string without control characters (tab allowed) and at most ``max_chars`` long: a value
    that must reach a program (argv, environment) or a file name intact."""
    if not isinstance(value, str):
        raise ValueError(f"must be {what}, got {show(value)}")
    if len(value) > max_chars:
        raise ValueError(f"must be at most {max_chars:,} characters, got {len(value):,}: {show(value)}")
    control = _CONTROL_RE.search(value)
    if control:
        raise ValueError(f"must not hold control characters, got U+{ord(control.group()):04X} at character "
                         f"{control.start() + 1} of {show(value)}")
    return value
def _bounds_text(gt: float | None, ge: float | None, le: float | None, unit: Callable[[float], str]) -> str:
    if ge is not None and le is not None:
        return f" from {unit(ge)} to {unit(le)}"
    lower = f" > {unit(gt)}" if gt is not None else (f" >= {unit(ge)}" if ge is not None else "")
    upper = f" <= {unit(le)}" if le is not None else ""
    return f"{lower} and{upper}" if lower and upper else lower or upper


def _check_bounds(x: float, gt: float | None, ge: float | None, le: float | None) -> bool:
    return not ((gt is not None and x <= gt) or (ge is not None and x < ge) or (le is not None and x > le))


def to_number(value: Any) -> float | None:
    """A finite number from an int, float or numeric string; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str) and len(value) <= MAX_NUMBER_CHARS:
        try:
            result = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return result if math.isfinite(result) else None


def to_int(value: Any) -> int | None:
    """An int from an int, an integral float or a string of digits; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) <= MAX_NUMBER_CHARS and _INT_RE.match(value):
        return int(value)
    return None


def number(*, gt: float | None = None, ge: float | None = None, le: float | None = None) -> Parser[float]:
    """A parser of floats within the given bounds."""
    return _bounded(to_number, "a number" + _bounds_text(gt, ge, le, format_number), gt, ge, le)


def integer(*, ge: int | None = None, le: int | None = None) -> Parser[int]:
    """A parser of ints within the given bounds."""
    return _bounded(to_int, "an integer" + _bounds_text(None, ge, le, str), None, ge, le)


def _bounded(convert: Callable[[Any], Any], expected: str, gt: float | None, ge: float | None,
             le: float | None) -> Parser[Any]:
    def parse(value: Any) -> Any:
        x = convert(value)
        if x is None or not _check_bounds(x, gt, ge, le):
            raise ValueError(f"must be {expected}, got {show(value)}")
        return x

    return parse


def size(*, gt: int | None = None, ge: int | None = None, le: int | None = None, why: str = "",
         cap: int | None = MAX_BYTES) -> Parser[int]:
    """A parser of sizes in bytes (``256MiB``, ``1.5GiB``, ``512MB``, plain bytes) within bounds, and
    not above ``cap`` (by default :data:`MAX_BYTES`; None leaves the cap to the caller)."""
    bounds = _bounds_text(gt, ge, le, lambda b: format_bytes(int(b)))
    expected = f"a size{bounds}{why}" if bounds else SIZE_HELP

    def parse(value: Any) -> int:
        try:
            x = parse_size(value) if _short(value) else None
        except (ValueError, OverflowError):  # OverflowError: a size too large for a float
            x = None
        if x is None:
            raise ValueError(f"must be {SIZE_HELP}, got {show(value)}")
        if not _check_bounds(x, gt, ge, le):
            raise ValueError(f"must be {expected}, got {show(value)}")
        return x if cap is None else _capped(x, cap, format_bytes(cap), value)

    return parse


def duration(*, gt: float = 0.0, ge: float | None = None) -> Parser[float]:
    """A parser of durations in seconds (``500ms``, ``2s``, ``1m``; a bare number is seconds), at most
    :data:`MAX_DURATION_S`."""
    bound = f">= {format_go_duration(ge)}" if ge is not None else f"> {format_number(gt)}s"

    def parse(value: Any) -> float:
        try:
            x = parse_duration(value) if _short(value) else None
        except (ValueError, OverflowError):
            x = None
        if x is None or math.isnan(x):
            raise ValueError(f"must be {DURATION_HELP}, got {show(value)}")
        if x <= gt or (ge is not None and x < ge):
            raise ValueError(f"must be a duration {bound}, got {show(value)}")
        return _capped(x, MAX_DURATION_S, f"{MAX_DURATION_TEXT} (no trial runs that long)", value)

    return parse


def at_most(parse: Parser[T], cap: float, why: str = "", unit: Callable[[Any], str] = format_number) -> Parser[T]:
    """``parse``, refusing a number above ``cap``: a sanity bound on top of what is valid, named in the
    message only when it is exceeded (words such as ``off`` and percentages pass through)."""

    def parse_value(value: Any) -> T:
        x = parse(value)
        if isinstance(x, (int, float)) and not isinstance(x, bool):
            _capped(x, cap, f"{unit(cap)}{why}", value)
        return x

    return parse_value


def _capped(x: Any, cap: float, cap_text: str, value: Any) -> Any:
    if x > cap:
        raise ValueError(f"must be at most {cap_text}, got {show(value)}")
    return x


def _short(value: Any) -> bool:
    """A scalar that is worth handing to a unit parser (not a megabyte of digits)."""
    return isinstance(value, (int, float)) or (isinstance(value, str) and len(value) <= MAX_NUMBER_CHARS)


def one_of(options: Sequence[str]) -> Parser[str]:
    """A parser accepting exactly one of ``options``."""

    def parse(value: Any) -> str:
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"must be one of {', '.join(options)}, got {show(value)}")
        return value

    return parse


def boolean(value: Any) -> bool:
    """A strict boolean: only YAML's ``true`` and ``false``."""
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {show(value)}")
    return value


def optional(parse: Parser[T]) -> Parser[T | None]:
    """Wrap a parser so that null stays None."""
    return lambda value: None if value is None else parse(value)


def percent(value: Any) -> Percent:
    """A percentage of the container memory in (0%, 100%], written ``80%``."""
    match = _PERCENT_RE.match(value) if isinstance(value, str) else None
    if not match and not isinstance(value, Percent):
        raise ValueError(f"must be a percentage such as 80%, got {show(value)}")
    result = Percent(float(match.group(1))) if match else value
    if not 0 < result.value <= 100:
        raise ValueError(f"must be a percentage in (0%, 100%] of the container memory, got {show(value)}; "
                         "a memory limit above the container's limit makes no sense")
    return result


def is_percent_text(value: Any) -> bool:
    """Whether ``value`` is a percentage: written with a ``%`` or already parsed."""
    return isinstance(value, Percent) or (isinstance(value, str) and value.strip().endswith("%"))

