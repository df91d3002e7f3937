"""Cron expressions exactly as Debian's cron reads them: validation, next runs, systemd OnCalendar.

Only Vixie cron's syntax is accepted (five fields of ``*``, numbers, names, ``a-b`` ranges, ``/step``
and ``,`` lists, or an ``@daily``-style macro), so that whatever passes here is also accepted by
``crontab`` and means the same thing to cron, to croniter and to systemd. croniter's extensions
(``L``, ``W``, ``#``, ``?``, ``H``, a sixth seconds or year field) are rejected: cron would refuse
them, or worse, read a sixth field as the start of the command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from croniter import croniter

from orchestrator.errors import UsageError

EXPECTED = ("five fields 'MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK', each '*', a number, a range 'a-b', "
            "a step '*/n' or 'a-b/n', or a list 'a,b', with names jan-dec and sun-sat allowed "
            "(e.g. --cron '0 2 * * *' for 02:00 every day, --cron '30 1 * * mon-fri'), "
            "or one of @hourly, @daily, @weekly, @monthly, @yearly")

MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (name, lowest, highest, names for lowest, lowest+1, ...)
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()), ("hour", 0, 23, ()), ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS), ("day-of-week", 0, 7, _DAYS),
)
_ELEMENT = re.compile(r"^(?:(?P<star>\*)|(?P<low>[0-9]+|[a-z]{3})(?:-(?P<high>[0-9]+|[a-z]{3}))?)"
                      r"(?:/(?P<step>[0-9]+))?$", re.IGNORECASE)
_AT = re.compile(r"^(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})$")
_LONGEST = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}
_SYSTEMD_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


@dataclass(frozen=True)
class CronExpr:
    """A validated cron expression and the set of values each of its five fields allows."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday (cron's 7 is folded into 0)
    day_star: bool  # the day-of-month field starts with '*' (cron's DOM_STAR)
    weekday_star: bool  # the day-of-week field starts with '*' (cron's DOW_STAR)

    @property
    def days_either(self) -> bool:
        """True when a day matches on its day of month OR its weekday (both fields restricted)."""
        return not self.day_star and not self.weekday_star

    def _day_rule(self) -> tuple[frozenset[int], frozenset[int], bool]:
        """Days of month, weekdays, and whether a day needs only one of them (else both)."""
        if self.days_either and (len(self.days) == 31 or len(self.weekdays) == 7):
            return frozenset(range(1, 32)), frozenset(range(7)), False  # one side alone matches every day
        return self.days, self.weekdays, self.days_either

    def next_runs(self, count: int = 3, after: datetime | None = None) -> tuple[datetime, ...]:
        """The next ``count`` run times in local time, computed by croniter with cron's day rule."""
        start = after or datetime.now().astimezone()
        iterator = croniter(_numeric(self), start, day_or=self._day_rule()[2])
        return tuple(iterator.get_next(datetime) for _ in range(count))

    def on_calendar(self) -> str:
        """The same schedule as a systemd ``OnCalendar=`` value (``*-*-* 02:00:00`` for ``0 2 * * *``)."""
        days, weekdays, either = self._day_rule()
        if either:
            raise UsageError(
                f"cron expression {self.text!r}: cron runs it on days that match the day of month OR "
                f"the day of week, which a systemd OnCalendar cannot express; restrict only one of the "
                f"two (e.g. '{' '.join(self.text.split()[:2])} * * mon') or use --backend cron")
        weekday_part = "" if len(weekdays) == 7 else _render_weekdays(weekdays) + " "
        month_part = _render_calendar(self.months, 1, 12)
        day_part = _render_calendar(days, 1, 31)
        return (f"{weekday_part}*-{month_part}-{day_part} "
                f"{_render_calendar(self.hours, 0, 23)}:{_render_calendar(self.minutes, 0, 59)}:00")


def parse_cron(text: str) -> CronExpr:
    """Validate ``text`` as Debian's cron would; raise UsageError naming it and the valid form."""
    expression = " ".join(str(text).split())
    source = MACROS.get(expression.lower(), expression)
    if expression.lower() == "@reboot":
        _invalid(text, "@reboot runs at boot, not on a schedule")
    if expression.startswith("@") and expression.lower() not in MACROS:
        _invalid(text, f"unknown macro {expression!r}")
    fields = source.split(" ")
    if len(fields) != 5 or not source:
        _invalid(text, f"it has {len(fields) if source else 0} fields")
    sets: list[frozenset[int]] = []
    for field, (name, low, high, names) in zip(fields, _FIELDS):
        sets.append(_parse_field(text, field, name, low, high, names))
    weekdays = frozenset(0 if day == 7 else day for day in sets[4])
    expr = CronExpr(expression, sets[0], sets[1], sets[2], sets[3], weekdays,
                    day_star=fields[2].startswith("*"), weekday_star=fields[4].startswith("*"))
    if not croniter.is_valid(_numeric(expr)):  # a second opinion; never expected to disagree
        _invalid(text, "croniter rejects it")
    if not _can_happen(expr):
        _invalid(text, "no date ever matches it")
    return expr


def at_to_cron(at: str) -> str:
    """``--at HH:MM`` (24-hour) as a daily cron expression: ``02:00`` -> ``0 2 * * *``."""
    match = _AT.match(str(at).strip())
    hour = int(match["hour"]) if match else -1
    minute = int(match["minute"]) if match else -1
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise UsageError(f"--at {at!r}: expected a time of day HH:MM on the 24-hour clock, 00:00 to 23:59 "
                         f"(e.g. --at 02:00)")
    return f"{minute} {hour} * * *"


def _parse_field(text: str, field: str, name: str, low: int, high: int, names: tuple[str, ...]) -> frozenset[int]:
    values: set[int] = set()
    for element in field.split(","):
        match = _ELEMENT.match(element)
        if not match:
            _invalid(text, f"{name} {element or field!r} is not '*', a number, a range 'a-b' or a step '/n'")
        if match["star"]:
            first, last = low, high
            if name == "day-of-week":
                last = 6  # '*' is Sunday to Saturday; 7 is only another name for Sunday
        else:
            first = _value(text, match["low"], name, low, high, names)
            last = _value(text, match["high"], name, low, high, names) if match["high"] else first
            if match["step"] and not match["high"]:
                _invalid(text, f"{name} {element!r}: a step needs '*' or a range before it, e.g. '*/{match['step']}' "
                               f"or '{match['low']}-{high}/{match['step']}'")
            if first > last:
                sunday = "; Sunday is 0 or 7, so write e.g. 'fri-sat,sun' or '5-7'" if name == "day-of-week" else ""
                _invalid(text, f"{name} range {element!r} runs backwards; write the lower bound first{sunday}")
        step = 1
        if match["step"]:
            step = int(match["step"])
            if not 1 <= step <= last - first + 1:
                _invalid(text, f"{name} step {element!r} must be between 1 and {last - first + 1}")
        values.update(range(first, last + 1, step))
    return frozenset(values)


def _value(text: str, token: str, name: str, low: int, high: int, names: tuple[str, ...]) -> int:
    token = token.lower()
    if token.isdigit():
        number = int(token)
        if not low <= number <= high:
            _invalid(text, f"{name} {number} is out of range {low}-{high}")
        return number
    if token in names:
        return low + names.index(token)
    hint = f" or a name {names[0]}-{names[-1]}" if names else ""
    _invalid(text, f"{name} {token!r} is not a number {low}-{high}{hint}")


def _invalid(text: str, why: str) -> NoReturn:
    raise UsageError(f"invalid cron expression {text!r}: {why}; expected {EXPECTED}")


def _can_happen(expr: CronExpr) -> bool:
    """False for dates that never come, such as '0 0 31 2 *' (cron would accept it and never run it)."""
    if expr.days_either:  # any day of a listed weekday will do
        return True
    return any(day <= _LONGEST[month] for day in expr.days for month in expr.months)


def _numeric(expr: CronExpr) -> str:
    """The expression with every field as '*' or a plain list of numbers, for croniter."""
    days, weekdays, _ = expr._day_rule()
    fields = (expr.minutes, expr.hours, days, expr.months, weekdays)
    return " ".join(_render_numeric(values, low, high) for values, (_, low, high, _) in zip(fields, _FIELDS))


def _render_numeric(values: frozenset[int], low: int, high: int) -> str:
    if len(values) == min(high, 6 if high == 7 else high) - low + 1:  # every value (day-of-week: 0-6)
        return "*"
    return ",".join(str(value) for value in sorted(values))


def _runs(values: list[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for value in values:
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    return runs


def _render_calendar(values: frozenset[int], low: int, high: int) -> str:
    if len(values) == high - low + 1:
        return "*"
    parts = []
    for first, last in _runs(sorted(values)):
        if last - first >= 2:
            parts.append(f"{first:02d}..{last:02d}")
        else:
            parts.extend(f"{value:02d}" for value in range(first, last + 1))
    return ",".join(parts)


def _render_weekdays(weekdays: frozenset[int]) -> str:
    ordered = sorted(weekdays, key=lambda day: (day + 6) % 7)  # Monday first, as systemd counts
    positions = [(day + 6) % 7 for day in ordered]
    parts = []
    for first, last in _runs(positions):
        name = _SYSTEMD_DAYS[(first + 1) % 7]
        if last - first >= 2:
            parts.append(f"{name}..{_SYSTEMD_DAYS[(last + 1) % 7]}")
        else:
            parts.extend(_SYSTEMD_DAYS[(position + 1) % 7] for position in range(first, last + 1))
    return ",".join(parts)
