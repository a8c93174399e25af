"""The weekly bonus pays each active user once per ISO week; reconciliation catches a tampered balance."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from chalicelib.core.settings import get_settings
from chalicelib.ledger.bonus import grant_weekly_bonus
from chalicelib.ledger.db import transaction
from chalicelib.ledger.reconcile import reconcile
from tests.ledger import events as ev
from tests.ledger import workers
from tests.ledger.test_concurrency import _balances

MONDAY = datetime(2026, 3, 16, 0, 0, 1, tzinfo=UTC)  # the week before: 2026-03-09 .. 2026-03-15


def test_the_weekly_bonus_is_paid_once_to_each_user_active_last_week(ledger_url: str) -> None:
    workers.apply_events(ledger_url, [
        ev.post("wb1", "active_poster", date(2026, 3, 10)),
        ev.like("wb1", "active_poster", "active_liker", date(2026, 3, 15)),  # liking earns nothing, but counts
        ev.post("wb2", "too_early", date(2026, 3, 8)),
        ev.post("wb3", "too_late", date(2026, 3, 16)),
    ])
    before = _balances(ledger_url, ["active_poster", "active_liker", "too_early", "too_late"])

    assert grant_weekly_bonus(MONDAY, 50, ledger_url) == 2
    assert grant_weekly_bonus(MONDAY, 50, ledger_url) == 0  # the schedule retried: nobody is paid twice

    after = _balances(ledger_url, ["active_poster", "active_liker", "too_early", "too_late"])
    assert after == {**before, "active_poster": before["active_poster"] + 50, "active_liker": 50}
    assert reconcile(ledger_url).ok


def test_reconciliation_reports_a_balance_that_does_not_match_its_entries(ledger_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    workers.apply_events(ledger_url, [ev.post("rc1", "tampered", date(2026, 3, 20))])
    assert reconcile(ledger_url).ok
    with transaction(ledger_url) as session:  # someone edits a balance behind the ledger's back
        session.execute(text("UPDATE accounts SET balance = balance + 7 WHERE id = 'user:tampered'"))

    report = reconcile(ledger_url)
    assert not report.ok
    assert report.total == 7 and report.mismatches == [("user:tampered", 17, 10)]

    monkeypatch.setenv("DATABASE_URL", ledger_url)
    get_settings.cache_clear()
    from chalicelib.ledger.handlers import reconcile_ledger

    answer = reconcile_ledger.func(None)  # the handler itself, as its schedule calls it
    metric = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert answer["ok"] is False and metric["LedgerMismatches"] == 2  # one account, and the total
    assert metric["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Social/Ledger"
    with transaction(ledger_url) as session:
        session.execute(text("UPDATE accounts SET balance = balance - 7 WHERE id = 'user:tampered'"))
    get_settings.cache_clear()
