"""The admin coin report, from the ledger's transfers, on PostgreSQL and on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from chalicelib.ledger.accounts import POOL, REDEMPTIONS, ensure_user, system_account, transfer
from chalicelib.ledger.db import transaction
from chalicelib.ledger.migrate import migrate
from chalicelib.ledger.reports import CoinDay, as_csv, coins_per_day


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        # A session far from UTC (UTC+14): a UTC day must still be a UTC day.
        return f"{request.getfixturevalue('ledger_url')}?options=-c%20TimeZone%3DPacific%2FKiritimati"
    found = f"sqlite:///{tmp_path_factory.mktemp('report') / 'ledger.db'}"
    migrate(found)
    return found


def _at(day: int, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=UTC)


def _issue(url: str, transfer_id: str, username: str, amount: int, at: datetime) -> None:
    with transaction(url) as session:
        account = ensure_user(session, username)
        transfer(session, transfer_id, system_account(POOL, username), account, amount, "post", at=at)


def _redeem(url: str, transfer_id: str, username: str, amount: int, at: datetime) -> None:
    with transaction(url) as session:
        transfer(session, transfer_id, ensure_user(session, username), system_account(REDEMPTIONS, username),
                 amount, "redemption", at=at)


@pytest.fixture(scope="module")
def january(url: str) -> str:
    _issue(url, "r:1", "rep_ann", 100, _at(1))  # before the report's range: carried in
    _redeem(url, "r:2", "rep_ann", 30, _at(2))  # before too
    _issue(url, "r:3", "rep_ann", 10, _at(3, 0, 0, 0))  # the first second of the 3rd
    _issue(url, "r:4", "rep_ben", 5, _at(3, 23, 59, 59))  # the last second of the 3rd
    _redeem(url, "r:5", "rep_ann", 50, _at(4, 0, 0, 0))
    _issue(url, "r:6", "rep_ben", 2, _at(6, 8))  # the 5th has nothing
    _issue(url, "r:7", "rep_ben", 1000, _at(8))  # after the range
    return url


def test_each_day_says_what_was_issued_redeemed_and_held_at_its_end(january: str) -> None:
    assert coins_per_day(date(2026, 1, 3), date(2026, 1, 6), january) == [
        CoinDay(date(2026, 1, 3), issued=15, redeemed=0, outstanding=85),
        CoinDay(date(2026, 1, 4), issued=0, redeemed=50, outstanding=35),
        CoinDay(date(2026, 1, 5), issued=0, redeemed=0, outstanding=35),
        CoinDay(date(2026, 1, 6), issued=2, redeemed=0, outstanding=37),
    ]


def test_outstanding_is_what_users_hold(january: str) -> None:
    [last] = coins_per_day(date(2026, 1, 8), date(2026, 1, 8), january)
    with transaction(january) as session:
        from sqlalchemy import func, select

        from chalicelib.ledger.models import Account

        held = session.scalar(select(func.sum(Account.balance)).where(Account.id.like("user:rep_%")))
    assert last.outstanding == held == 1037


def test_a_range_before_any_coins_is_all_zeros(january: str) -> None:
    assert coins_per_day(date(2025, 12, 30), date(2025, 12, 31), january) == [
        CoinDay(date(2025, 12, 30), 0, 0, 0), CoinDay(date(2025, 12, 31), 0, 0, 0)]


@pytest.mark.parametrize(("first", "last"), [(date(2026, 1, 2), date(2026, 1, 1)),
                                             (date(2025, 1, 1), date(2026, 1, 2))])
def test_a_backwards_or_too_long_range_is_refused(first: date, last: date) -> None:
    with pytest.raises(ValueError):
        coins_per_day(first, last, "sqlite://")


def test_the_csv_has_a_header_and_one_line_per_day() -> None:
    text = as_csv([CoinDay(date(2026, 1, 3), 15, 0, 85), CoinDay(date(2026, 1, 4), 0, 50, 35)])
    assert text == "day,issued,redeemed,outstanding\r\n2026-01-03,15,0,85\r\n2026-01-04,0,50,35\r\n"
