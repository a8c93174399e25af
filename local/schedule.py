"""EventBridge schedule expressions, evaluated at minute resolution.

``rate(N unit)`` is due every N minutes (hours, days) counted from when the
pump started, as a rule's rate counts from its creation; ``cron(...)`` takes
AWS's six fields (minutes hours day-of-month month day-of-week year, in UTC)
with ``* , - /``, ``?``, ``L``, ``W`` and ``#``, and month and day names.

Usage::

    schedule = parse_schedule("cron(0/15 8-18 ? * MON-FRI *)")
    schedule.is_due(datetime(2024, 5, 6, 8, 30, tzinfo=UTC), started=...)   # True
    parse_schedule("rate(5 minutes)").is_due(started + timedelta(minutes=10), started)  # True
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.IGNORECASE)
_CRON = re.compile(r"cron\((.*)\)", re.IGNORECASE)
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440}
_MONTHS = {name: i for i, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: i for i, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}

DayTest = Callable[[datetime], bool]


class Schedule(Protocol):
    expression: str

    def is_due(self, moment: datetime, started: datetime) -> bool:
        """Whether the minute containing ``moment`` is one this schedule fires in."""


def _minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Rate:
    expression: str
    minutes: int

    def is_due(self, moment: datetime, started: datetime) -> bool:
        elapsed = int((_minute(moment) - _minute(started)).total_seconds() // 60)
        return elapsed > 0 and elapsed % self.minutes == 0


@dataclass(frozen=True)
class Cron:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int] | None  # None: every year
    day: DayTest

    def is_due(self, moment: datetime, started: datetime) -> bool:
        at = _minute(moment)
        return (at.minute in self.minutes and at.hour in self.hours and at.month in self.months
                and (self.years is None or at.year in self.years) and self.day(at))


def parse_schedule(expression: str) -> Rate | Cron:
    """A schedule from an EventBridge expression; ``ValueError`` if it is not one."""
    text = expression.strip()
    rate = _RATE.fullmatch(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if value < 1:
            raise ValueError(f"{expression!r}: a rate must be at least 1")
        return Rate(text, value * _UNIT_MINUTES[unit])
    cron = _CRON.fullmatch(text)
    if not cron:
        raise ValueError(f"{expression!r} is neither rate(...) nor cron(...)")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ValueError(f"{expression!r}: cron takes 6 fields, got {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ValueError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    day = _day_of_month(dom) if dow == "?" else _day_of_week(dow)
    return Cron(
        expression=text,
        minutes=_values(minute, 0, 59),
        hours=_values(hour, 0, 23),
        months=_values(month, 1, 12, _MONTHS),
        years=None if year == "*" else _values(year, 1970, 2199),
        day=day,
    )


def _number(token: str, names: dict[str, int] | None) -> int:
    if names and token.upper() in names:
        return names[token.upper()]
    if not token.isdigit():
        raise ValueError(f"{token!r} is not a number")
    return int(token)


def _values(field: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """The values a plain field (``*``, lists, ranges, steps, names) selects."""
    selected: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"{field!r}: step must be at least 1")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(base, names)
            end = high if step_text else start
        if not low <= start <= high or not low <= end <= high:
            raise ValueError(f"{field!r}: values must be within {low}..{high}")
        if start <= end:
            selected.update(range(start, end + 1, step))
        else:  # a wrapping range such as FRI-MON
            selected.update(v for i, v in enumerate([*range(start, high + 1), *range(low, end + 1)]) if i % step == 0)
    return frozenset(selected)


def _last_day(at: datetime) -> int:
    return calendar.monthrange(at.year, at.month)[1]


def _aws_weekday(at: datetime) -> int:
    return (at.weekday() + 1) % 7 + 1  # SUN=1 ... SAT=7


def _nearest_weekday(at: datetime, day: int) -> int:
    """The weekday (Mon-Fri) nearest to ``day`` within the month, as ``W`` means."""
    day = min(day, _last_day(at))
    weekday = calendar.weekday(at.year, at.month, day)  # MON=0
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday after, unless that leaves the month
        return day + 1 if day < _last_day(at) else day - 2
    return day


def _day_of_month(field: str) -> DayTest:
    if field == "*":
        return lambda at: True
    if field.upper() == "L":
        return lambda at: at.day == _last_day(at)
    if field.upper() == "LW":
        return lambda at: at.day == _nearest_weekday(at, _last_day(at))
    if field.upper().endswith("W"):
        target = int(field[:-1])
        return lambda at: at.day == _nearest_weekday(at, target)
    days = _values(field, 1, 31)
    return lambda at: at.day in days


def _day_of_week(field: str) -> DayTest:
    upper = field.upper()
    if "#" in upper:
        day_text, _, nth_text = upper.partition("#")
        weekday, nth = _number(day_text, _DAYS), int(nth_text)
        return lambda at: _aws_weekday(at) == weekday and (at.day - 1) // 7 + 1 == nth
    if upper == "L":
        return lambda at: _aws_weekday(at) == 7
    if upper.endswith("L"):
        weekday = _number(upper[:-1], _DAYS)
        return lambda at: _aws_weekday(at) == weekday and at.day + 7 > _last_day(at)
    days = _values(upper, 1, 7, _DAYS)
    return lambda at: _aws_weekday(at) in days
