"""The ledger's outbox: what committed is published (at least once, same ids), what rolled back never is.

Each test runs on PostgreSQL (the ledger in AWS) and on SQLite (the local platform's default).
"""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chalicelib.core.errors import Conflict
from chalicelib.events.catalog import DomainEvent
from chalicelib.ledger import outbox
from chalicelib.ledger.bonus import grant_weekly_bonus
from chalicelib.ledger.db import transaction
from chalicelib.ledger.earning import apply_award, apply_event
from chalicelib.ledger.migrate import migrate
from chalicelib.ledger.models import OutboxEvent
from chalicelib.ledger.rewards import create_reward, redeem
from chalicelib.ledger.rules import Award, Rules
from tests.ledger import events as ev
from tests.ledger import workers

RULES = Rules()
DAY = date(2026, 4, 1)
SPAWN = multiprocessing.get_context("spawn")


class Recorder:
    """A publisher that remembers what it was given (thread-safe), optionally slow or failing."""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.events: list[DomainEvent] = []
        self.delay, self.fail = delay, fail
        self._lock = threading.Lock()

    def __call__(self, events: Sequence[DomainEvent]) -> None:
        if self.fail:
            raise RuntimeError("SNS is not answering")
        time.sleep(self.delay)
        with self._lock:
            self.events.extend(events)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.events]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "postgresql":
        return str(request.getfixturevalue("ledger_url"))
    found = f"sqlite:///{tmp_path_factory.mktemp('outbox') / 'ledger.db'}"
    migrate(found)
    return found


@pytest.fixture
def drained(url: str) -> Iterator[str]:
    """The database with nothing pending (earlier tests' events published to nowhere)."""
    outbox.relay(url, Recorder())
    yield url


def _pending(url: str) -> set[str]:
    with transaction(url) as session:
        return set(session.scalars(select(OutboxEvent.id).where(OutboxEvent.published_at.is_(None))))


def _rows(url: str, ids: Sequence[str]) -> int:
    with transaction(url) as session:
        return int(session.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.id.in_(ids))) or 0)


def test_a_committed_award_is_published_on_the_way_out_with_the_contracts_shape(drained: str) -> None:
    sent = Recorder()
    with outbox.publishing(drained, sent) as written:
        apply_event(ev.post("ob-p1", "olga", DAY), RULES, drained)
        apply_event(ev.like("ob-p1", "olga", "oscar", DAY), RULES, drained)
        assert sent.events == []  # nothing before the handler is done
    assert written == ["coins.awarded:post:ob-p1", "coins.awarded:like:ob-p1:oscar"]

    post, like = sent.events
    assert (post.id, post.type, post.actor) == ("coins.awarded:post:ob-p1", "coins.awarded", "olga")
    assert post.data == {"user": "olga", "amount": 10, "reason": "post", "transfer_id": "post:ob-p1", "balance": 10}
    # A like: the liker earned it for the author, and is named as the actor and as ``from``.
    assert (like.id, like.actor) == ("coins.awarded:like:ob-p1:oscar", "oscar")
    assert like.data == {"user": "olga", "amount": 2, "reason": "like_received", "transfer_id": "like:ob-p1:oscar",
                         "balance": 12, "from": "oscar"}
    assert datetime.fromisoformat(like.occurred_at).tzinfo is not None
    assert _pending(drained) == set()
    assert outbox.relay(drained, sent).published == 0 and len(sent.events) == 2  # never twice


def test_a_rolled_back_award_and_a_refused_order_publish_nothing(drained: str) -> None:
    sent = Recorder()
    award = Award("post:ob-rolled-back", "rita", 10, "post", DAY)
    reward = create_reward("Too dear", cost=10_000, stock=3, url=drained)
    with outbox.publishing(drained, sent):
        with pytest.raises(RuntimeError), transaction(drained) as session:
            assert apply_award(session, award, RULES.daily_cap) == 10
            raise RuntimeError("the request died before commit")
        with pytest.raises(Conflict):
            redeem("rita", reward.id, url=drained)  # insufficient balance: the transfer rolled back

    assert sent.events == []
    assert _rows(drained, ["coins.awarded:post:ob-rolled-back"]) == 0
    assert outbox.relay(drained, sent).published == 0 and sent.events == []


def test_a_redemption_publishes_order_created_once_even_when_the_request_is_retried(drained: str) -> None:
    apply_event(ev.post("ob-p2", "ivan", DAY), RULES, drained)  # 10 coins
    reward = create_reward("Sticker", cost=4, stock=2, url=drained)
    sent = Recorder()
    with outbox.publishing(drained, sent):
        order, replayed = redeem("ivan", reward.id, "key-1", url=drained)
    with outbox.publishing(drained, sent):
        again, replayed_now = redeem("ivan", reward.id, "key-1", url=drained)  # the client retried

    assert (replayed, replayed_now, again.id) == (False, True, order.id)
    [created] = sent.events  # the order only: the post's award waits for the relay, outside these handlers
    assert (created.id, created.actor) == (f"order.created:{order.id}", "ivan")
    assert created.data == {"order_id": order.id, "user": "ivan", "reward_id": reward.id, "reward_name": "Sticker",
                            "cost": 4, "status": "placed"}


def test_two_relays_at_once_publish_each_committed_event_exactly_once(drained: str) -> None:
    workers.apply_events(drained, [ev.comment(f"ob-c{n}", f"ob-cp{n}", "x", f"rel{n % 40}", DAY)
                                   for n in range(300)])
    assert len(_pending(drained)) == 300
    relays = [Recorder(delay=0.005), Recorder(delay=0.005)]  # SNS takes a few ms: the relays overlap
    start = threading.Barrier(2)

    def run(publish: Recorder) -> None:
        start.wait()
        outbox.relay(drained, publish, batch=20)

    threads = [threading.Thread(target=run, args=(r,)) for r in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    published = Counter(relays[0].ids + relays[1].ids)
    assert len(published) == 300 and set(published.values()) == {1}
    if drained.startswith("postgresql"):  # SKIP LOCKED: side by side (SQLite's one writer may let one do it all)
        assert all(r.events for r in relays), "both relays should have found work"
    assert _pending(drained) == set()


def test_publishing_that_fails_leaves_the_events_to_the_next_relay(drained: str) -> None:
    with outbox.publishing(drained, Recorder(fail=True)):  # SNS down: the handler still succeeds
        paid = apply_event(ev.post("ob-p3", "nina", DAY), RULES, drained)
    assert paid == 10 and _pending(drained) == {"coins.awarded:post:ob-p3"}

    sent = Recorder()
    report = outbox.relay(drained, sent)
    assert (report.published, report.failed, sent.ids) == (1, 0, ["coins.awarded:post:ob-p3"])


def test_a_crash_between_commit_and_publish_is_recovered_by_the_scheduled_relay(drained: str, tmp_path: Path,
                                                                                monkeypatch: pytest.MonkeyPatch,
                                                                                capsys: pytest.CaptureFixture[str]
                                                                                ) -> None:
    events = [ev.post(f"ob-crash{n}", "carl", DAY) for n in range(3)]
    died = SPAWN.Process(target=workers.apply_then_die_publishing, args=(drained, events, str(tmp_path / "died")))
    died.start()
    died.join(120)
    assert died.exitcode == 17 and (tmp_path / "died").read_text() == "3"  # killed after its three commits
    crashed = {f"coins.awarded:post:ob-crash{n}" for n in range(3)}
    assert _pending(drained) == crashed

    sent = Recorder()
    monkeypatch.setattr(outbox, "_sns_publish", sent)  # the schedule's own publisher, recorded
    monkeypatch.setenv("DATABASE_URL", drained)
    from chalicelib.core.settings import get_settings
    from chalicelib.ledger.handlers import relay_ledger_events

    get_settings.cache_clear()
    answer = relay_ledger_events.func(None)  # the handler itself, as its schedule calls it
    get_settings.cache_clear()

    assert set(sent.ids) == crashed and len(sent.ids) == 3
    assert answer == {"published": 3, "failed": 0, "pruned": 0, "pending": 0}
    metric = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (metric["OutboxPublished"], metric["OutboxPending"]) == (3, 0)
    assert relay_ledger_events.func(None)["published"] == 0  # the next minute: nothing twice


def test_a_replay_publishes_the_same_ids_and_a_redelivered_event_records_nothing(drained: str) -> None:
    since = datetime.now(UTC)
    first = Recorder()
    with outbox.publishing(drained, first):
        apply_event(ev.comment("ob-c-r", "ob-pr", "x", "rosa", DAY), RULES, drained)
        apply_event(ev.comment("ob-c-r", "ob-pr", "x", "rosa", DAY), RULES, drained)  # the queue delivered it twice
    assert first.ids == ["coins.awarded:comment:ob-c-r"]

    assert outbox.replay(since, drained) == 1
    again = Recorder()
    assert outbox.relay(drained, again).published == 1
    assert [e.to_json() for e in again.events] == [e.to_json() for e in first.events]  # same id, same body


def test_the_weekly_bonus_publishes_one_event_per_user_paid(drained: str) -> None:
    monday = datetime(2026, 4, 13, 0, 0, 1, tzinfo=UTC)
    workers.apply_events(drained, [ev.post("ob-wb", "wanda", date(2026, 4, 8)),
                                   ev.like("ob-wb", "wanda", "walt", date(2026, 4, 9))])
    outbox.relay(drained, Recorder())
    assert grant_weekly_bonus(monday, 50, drained) == 2
    assert grant_weekly_bonus(monday, 50, drained) == 0

    sent = Recorder()
    outbox.relay(drained, sent)
    assert sorted((e.id, e.actor, e.data["amount"], e.data["reason"]) for e in sent.events) == [
        ("coins.awarded:weekly:walt:2026-W15", "walt", 50, "weekly_bonus"),
        ("coins.awarded:weekly:wanda:2026-W15", "wanda", 50, "weekly_bonus")]
    assert {e.data["user"]: e.data["balance"] for e in sent.events} == {"walt": 50, "wanda": 62}


def test_published_rows_are_pruned_after_the_retention_and_pending_ones_never(drained: str) -> None:
    workers.apply_events(drained, [ev.post("ob-old", "pat", DAY)])
    outbox.relay(drained, Recorder())
    workers.apply_events(drained, [ev.post("ob-waiting", "pat", DAY)])
    ids = ["coins.awarded:post:ob-old", "coins.awarded:post:ob-waiting"]

    assert outbox.prune(datetime.now(UTC) - outbox.RETENTION, drained) == 0  # published moments ago: kept
    report = outbox.relay(drained, Recorder(fail=True), prune_before=datetime.now(UTC) + timedelta(seconds=1))
    assert report.failed >= 1 and report.pruned >= 1
    assert _pending(drained) >= {"coins.awarded:post:ob-waiting"}
    assert _rows(drained, ids) == 1


def test_the_backlog_counts_pending_events_and_ages_the_oldest(drained: str) -> None:
    assert outbox.backlog(drained) == outbox.Backlog(0, 0.0)
    workers.apply_events(drained, [ev.post("ob-bl", "bea", DAY)])
    time.sleep(0.05)
    waiting = outbox.backlog(drained)
    assert waiting.pending == 1 and 0.05 <= waiting.oldest_seconds < 60

