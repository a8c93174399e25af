"""EventBridge rate and cron expressions, as the pump evaluates them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from local.schedule import parse_schedule

START = datetime(2024, 5, 6, 9, 30, 20, tzinfo=UTC)  # a Monday


def _due(expression: str, *moments: datetime) -> list[bool]:
    schedule = parse_schedule(expression)
    return [schedule.is_due(moment, START) for moment in moments]


def test_rate_counts_from_the_start() -> None:
    assert _due("rate(5 minutes)", START, START + timedelta(minutes=4), START + timedelta(minutes=5),
                START + timedelta(minutes=10, seconds=30)) == [False, False, True, True]
    assert _due("rate(1 hour)", START + timedelta(minutes=59), START + timedelta(minutes=60)) == [False, True]
    assert _due("rate(1 day)", START + timedelta(days=1)) == [True]


@pytest.mark.parametrize(("expression", "moment", "due"), [
    ("cron(0 12 * * ? *)", datetime(2024, 5, 6, 12, 0, 59, tzinfo=UTC), True),
    ("cron(0 12 * * ? *)", datetime(2024, 5, 6, 12, 1, tzinfo=UTC), False),
    ("cron(0/15 8-18 ? * MON-FRI *)", datetime(2024, 5, 6, 8, 45, tzinfo=UTC), True),
    ("cron(0/15 8-18 ? * MON-FRI *)", datetime(2024, 5, 4, 8, 45, tzinfo=UTC), False),  # Saturday
    ("cron(0/15 8-18 ? * MON-FRI *)", datetime(2024, 5, 6, 8, 50, tzinfo=UTC), False),
    ("cron(30 2 L * ? *)", datetime(2024, 2, 29, 2, 30, tzinfo=UTC), True),  # last day of a leap February
    ("cron(30 2 L * ? *)", datetime(2024, 2, 28, 2, 30, tzinfo=UTC), False),
    ("cron(0 9 ? * 2#1 *)", datetime(2024, 5, 6, 9, 0, tzinfo=UTC), True),  # first Monday
    ("cron(0 9 ? * 2#1 *)", datetime(2024, 5, 13, 9, 0, tzinfo=UTC), False),
    ("cron(0 9 ? * 6L *)", datetime(2024, 5, 31, 9, 0, tzinfo=UTC), True),  # last Friday
    ("cron(0 9 ? * 6L *)", datetime(2024, 5, 24, 9, 0, tzinfo=UTC), False),
    ("cron(0 9 15W * ? *)", datetime(2024, 6, 14, 9, 0, tzinfo=UTC), True),  # the 15th is a Saturday
    ("cron(0 9 1 JAN,JUL ? 2024)", datetime(2024, 7, 1, 9, 0, tzinfo=UTC), True),
    ("cron(0 9 1 JAN,JUL ? 2024)", datetime(2025, 7, 1, 9, 0, tzinfo=UTC), False),
    ("cron(0 9 ? * SUN *)", datetime(2024, 5, 5, 9, 0, tzinfo=UTC), True),
])
def test_cron(expression: str, moment: datetime, due: bool) -> None:
    assert parse_schedule(expression).is_due(moment, START) is due


@pytest.mark.parametrize("expression", [
    "cron(0 12 * * * *)",  # neither day field is '?'
    "cron(0 12 * *)",
    "cron(61 12 * * ? *)",
    "rate(0 minutes)",
    "every day",
])
def test_invalid_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ValueError):
        parse_schedule(expression)
