"""Notifications from domain events, against DynamoDB (moto, in-process): grouping, dedupe, undo, reading.

The channels are a recorder standing in for the notifications topic (``publisher.publish``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws
from pynamodb.models import Model

from chalicelib.core import transactions
from chalicelib.core.errors import Forbidden, NotFound
from chalicelib.core.ids import new_id
from chalicelib.notifications import cleanup, intake, preferences, publisher, service, store
from chalicelib.notifications.models import NotificationModel, PreferencesModel
from chalicelib.notifications.views import Notification, notification_id
from chalicelib.posts.models import COMMENT, LIKE, InteractionModel, PostModel
from chalicelib.users.models import FollowModel, UserModel

MODELS: tuple[type[Model], ...] = (NotificationModel, PreferencesModel, InteractionModel, PostModel, FollowModel,
                                   UserModel)
T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@dataclass
class Channels:
    """What the notifications topic was asked to carry, and a switch to make it fail."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    failing: bool = False

    def publish(self, recipient: str, notification: Notification, event_id: str, channels: Any) -> bool:
        if self.failing:
            raise ConnectionError("SNS is unreachable")
        arguments = publisher.message(recipient, notification, event_id, channels)
        if arguments:
            self.sent.append({"recipient": recipient, "notification": notification.model_dump(mode="json"),
                              "event_id": event_id, "channels": sorted(channels)})
        return bool(arguments)


@pytest.fixture(scope="module")
def dynamodb() -> Iterator[None]:
    """The tables, made once per module (each model's first call costs a botocore client, ~1 s)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            transactions._connections.clear()
            for model in MODELS:
                model._connection = None  # a connection made before mock_aws would bypass it
                model.create_table(read_capacity_units=1, write_capacity_units=1)  # moto: ACTIVE at once
            yield
            for model in MODELS:
                model._connection = None
            transactions._connections.clear()


@pytest.fixture()
def tables(dynamodb: None) -> None:
    """Empty tables for each test."""
    for model in MODELS:
        with model.batch_write() as batch:
            for item in model.scan():
                batch.delete(item)


@pytest.fixture()
def channels(tables: None, monkeypatch: pytest.MonkeyPatch) -> Channels:
    recorder = Channels()
    monkeypatch.setattr(publisher, "publish", recorder.publish)
    return recorder


_ids = itertools.count()


def ev(kind: str, actor: str, data: dict[str, Any], at: datetime = T0) -> dict[str, Any]:
    return {"id": f"evt-{next(_ids)}", "type": kind, "occurred_at": at.isoformat(), "actor": actor, "data": data}


def post(author: str, mentions: tuple[str, ...] = ()) -> str:
    post_id = new_id()
    PostModel(post_id, author=author, content="hello", mentions=list(mentions), created_at=T0).save()
    return post_id


def like(post_id: str, liker: str, author: str, at: datetime = T0) -> dict[str, Any]:
    """A like as the posts domain stores it, and its event."""
    InteractionModel(post_id, f"{LIKE}{liker}", author=liker, post_author=author, created_at=at).save()
    return ev("like.created", liker, {"post_id": post_id, "post_author": author, "liker": liker}, at)


def unlike(post_id: str, liker: str, author: str, at: datetime = T0) -> dict[str, Any]:
    InteractionModel(post_id, f"{LIKE}{liker}").delete()
    return ev("like.deleted", liker, {"post_id": post_id, "post_author": author, "liker": liker}, at)


def listed(username: str, **filters: Any) -> list[Notification]:
    rows, _ = service.page(username, 100, None, filters.get("types"), filters.get("unread", False))
    return [Notification.of(row) for row in rows]


def test_25_likes_on_one_post_are_one_notification_with_count_25_and_the_latest_actors(channels: Channels) -> None:
    post_id = post("ann")
    likers = [f"fan{n:02}" for n in range(25)]
    for n, liker in enumerate(likers):
        intake.handle(like(post_id, liker, "ann", T0 + timedelta(seconds=n)))

    [entry] = listed("ann")
    assert (entry.type, entry.count, entry.post_id, entry.read) == ("like", 25, post_id, False)
    assert entry.actors == ["fan24", "fan23", "fan22", "fan21", "fan20"] and entry.actor == "fan24"
    assert entry.updated_at == T0 + timedelta(seconds=24) and entry.created_at == T0
    assert service.unread_count("ann") == 1
    # Each like updates the group in place and the channels hear of each new count, under one id.
    assert [s["notification"]["count"] for s in channels.sent] == list(range(1, 26))
    assert {s["notification"]["id"] for s in channels.sent} == {entry.id}


def test_replaying_every_event_changes_nothing(channels: Channels) -> None:
    post_id, other = post("ann"), post("ann", mentions=("ben",))
    events = [like(post_id, "ben", "ann"), like(post_id, "cat", "ann"),
              ev("post.created", "ann", {"post_id": other, "author": "ann", "mentions": ["ben"]})]
    FollowModel("cat", "ann").save()
    events.append(ev("follow.created", "cat", {"follower": "cat", "followee": "ann"}))
    events.append(ev("coins.awarded", "ben", {"user": "ann", "amount": 2, "reason": "like_received",
                                              "transfer_id": f"like:{post_id}:ben", "balance": 2, "from": "ben"}))
    for event in events:
        intake.handle(event)
    before = [n.model_dump() for n in listed("ann") + listed("ben")]
    sent = len(channels.sent)

    for event in events + list(reversed(events)):
        intake.handle(event)

    assert [n.model_dump() for n in listed("ann") + listed("ben")] == before
    assert len(channels.sent) == sent
    assert {(n["type"], n["count"]) for n in before} == {("like", 2), ("follow", 1), ("coins", 1), ("mention", 1)}


def test_a_like_undone_before_delivery_makes_nothing_whichever_event_comes_first(channels: Channels) -> None:
    post_id = post("ann")
    liked = like(post_id, "ben", "ann")
    undone = unlike(post_id, "ben", "ann")
    intake.handle(liked)
    intake.handle(undone)
    other = post("ann")
    liked_other, undone_other = like(other, "cat", "ann"), unlike(other, "cat", "ann")
    intake.handle(undone_other)
    intake.handle(liked_other)

    assert listed("ann") == [] and channels.sent == [] and service.unread_count("ann") == 0


def test_an_undone_like_leaves_its_group_and_the_last_one_takes_the_entry_with_it(channels: Channels) -> None:
    post_id = post("ann")
    for n, liker in enumerate(["ben", "cat", "dan"]):
        intake.handle(like(post_id, liker, "ann", T0 + timedelta(seconds=n)))
    intake.handle(unlike(post_id, "dan", "ann"))
    [entry] = listed("ann")
    assert (entry.count, entry.actors) == (2, ["cat", "ben"])

    intake.handle(unlike(post_id, "ben", "ann"))
    intake.handle(unlike(post_id, "cat", "ann"))
    assert listed("ann") == []


def test_like_unlike_like_again_delivered_out_of_order_still_counts_once(channels: Channels) -> None:
    post_id = post("ann")
    first = like(post_id, "ben", "ann")
    undone = unlike(post_id, "ben", "ann")
    again = like(post_id, "ben", "ann", T0 + timedelta(seconds=5))
    for event in (first, again, undone):
        intake.handle(event)
    [entry] = listed("ann")
    assert (entry.count, entry.actors) == (1, ["ben"])


def test_a_comment_or_follow_gone_before_delivery_makes_nothing(channels: Channels) -> None:
    post_id = post("ann")
    intake.handle(ev("comment.created", "ben", {"post_id": post_id, "post_author": "ann", "comment_id": new_id(),
                                                "author": "ben", "mentions": ["cat"]}))
    intake.handle(ev("follow.created", "ben", {"follower": "ben", "followee": "ann"}))
    assert listed("ann") == listed("cat") == []


def test_comments_and_mentions_arrive_for_the_right_people(channels: Channels) -> None:
    post_id, comment_id = post("ann"), new_id()
    InteractionModel(post_id, f"{COMMENT}{comment_id}", author="ben", post_author="ann", content="hi @cat",
                     created_at=T0).save()
    intake.handle(ev("comment.created", "ben", {"post_id": post_id, "post_author": "ann", "comment_id": comment_id,
                                                "author": "ben", "mentions": ["cat", "ann"]}))
    [to_ann] = listed("ann")
    [to_cat] = listed("cat")
    assert (to_ann.type, to_ann.actor, to_ann.comment_id, to_ann.post_id) == ("comment", "ben", comment_id, post_id)
    assert (to_cat.type, to_cat.actor, to_cat.comment_id) == ("mention", "ben", comment_id)
    assert listed("ben") == []


def test_follows_of_one_day_are_one_entry(channels: Channels) -> None:
    for n, follower in enumerate(["ben", "cat", "dan"]):
        FollowModel(follower, "ann").save()
        intake.handle(ev("follow.created", follower, {"follower": follower, "followee": "ann"},
                         T0 + timedelta(hours=n)))
    FollowModel("eve", "ann").save()
    intake.handle(ev("follow.created", "eve", {"follower": "eve", "followee": "ann"}, T0 + timedelta(days=1)))
    today, yesterday = listed("ann")
    assert (today.count, today.actors) == (1, ["eve"])
    assert (yesterday.type, yesterday.count, yesterday.actors) == ("follow", 3, ["dan", "cat", "ben"])


def test_news_in_a_group_moves_it_to_the_top_and_makes_it_unread_again(channels: Channels) -> None:
    first, second = post("ann"), post("ann")
    intake.handle(like(first, "ben", "ann", T0))
    intake.handle(like(second, "ben", "ann", T0 + timedelta(minutes=1)))
    assert [n.post_id for n in listed("ann")] == [second, first]
    service.mark_read("ann")
    assert service.unread_count("ann") == 0

    intake.handle(like(first, "cat", "ann", T0 + timedelta(minutes=2)))
    top, below = listed("ann")
    assert (top.post_id, top.count, top.read, below.read) == (first, 2, False, True)
    assert top.id == notification_id("ann", f"like#{first}")  # updated in place: same id
    assert service.unread_count("ann") == 1


def test_a_publish_that_failed_is_retried_and_then_never_again(channels: Channels) -> None:
    post_id = post("ann")
    liked = like(post_id, "ben", "ann")
    channels.failing = True
    with pytest.raises(ConnectionError):
        intake.handle(liked)
    assert [n.count for n in listed("ann")] == [1]  # stored; the channels have not heard
    channels.failing = False
    intake.handle(liked)  # SQS delivers it again
    intake.handle(liked)
    assert [(s["event_id"], s["notification"]["count"]) for s in channels.sent] == [(liked["id"], 1)]


def test_preferences_hide_from_the_app_and_choose_the_channels(channels: Channels) -> None:
    assert preferences.channels_for("ann", "like") == {"in_app", "push", "realtime"}
    assert preferences.channels_for("ann", "comment") == {"in_app", "email", "push", "realtime"}
    assert preferences.digest_enabled("ann") is False
    preferences.update("ann", {"like": {"in_app": False, "push": False}}, digest=True)
    post_id = post("ann")
    intake.handle(like(post_id, "ben", "ann"))
    assert listed("ann") == [] and service.unread_count("ann") == 0
    assert [s["channels"] for s in channels.sent] == [["realtime"]]

    preferences.update("ann", {"like": {"realtime": False}})
    intake.handle(like(post_id, "cat", "ann"))
    assert len(channels.sent) == 1  # no channel left: nothing published
    assert preferences.digest_enabled("ann") is True


def test_email_off_for_every_type_turns_the_digest_off(tables: None) -> None:
    preferences.update("ann", {}, digest=True)
    preferences.set_channel("ann", "email", False)
    assert preferences.digest_enabled("ann") is False
    assert all("email" not in preferences.channels_for("ann", kind) for kind in preferences.TYPES)
    preferences.set_channel("ann", "email", True)
    assert preferences.channels_for("ann", "like") == {"in_app", "email", "push", "realtime"}


def test_pages_filters_and_marking_read(channels: Channels) -> None:
    posts = [post("ann") for _ in range(5)]
    for n, post_id in enumerate(posts):
        intake.handle(like(post_id, "ben", "ann", T0 + timedelta(minutes=n)))
    FollowModel("cat", "ann").save()
    intake.handle(ev("follow.created", "cat", {"follower": "cat", "followee": "ann"}, T0 + timedelta(minutes=10)))

    first, last = service.page("ann", 4, None, None, False)
    rest, end = service.page("ann", 4, last, None, False)
    assert [r.kind for r in first + rest] == ["follow"] + ["like"] * 5 and end is None and len(first) == 4
    assert [r.post_id for r in first[1:] + rest] == posts[::-1]
    [follow] = listed("ann", types=frozenset({"follow"}))
    assert follow.actors == ["cat"]

    ids = [n.id for n in listed("ann")]
    assert service.mark_read("ann", ids=[ids[0]]) == 1
    assert service.mark_read("ann", up_to=ids[3]) == 3  # ids[1:4]: up_to marks it and everything older
    assert [n.read for n in listed("ann")] == [True, False, False, True, True, True]
    unread = listed("ann", unread=True)
    assert [n.id for n in unread] == ids[1:3]
    since = service.unread_since("ann", T0 + timedelta(minutes=4), limit=10)
    assert [n["id"] for n in since] == [ids[1]]
    assert service.mark_read("ann") == 2 and service.unread_count("ann") == 0

    with pytest.raises(Forbidden):
        service.mark_read("ann", ids=[notification_id("ben", f"like#{posts[0]}")])
    with pytest.raises(NotFound):
        service.mark_read("ann", ids=[notification_id("ann", "like#nothing-here")])
    with pytest.raises(NotFound):
        service.mark_read("ann", ids=["not-an-id!"])


def test_the_sweep_removes_what_is_past_retention_and_notifications_about_deleted_posts(channels: Channels) -> None:
    kept, deleted = post("ann"), post("ann")
    intake.handle(like(kept, "ben", "ann"))
    intake.handle(like(deleted, "ben", "ann"))
    intake.handle(like(deleted, "cat", "ann"))
    PostModel(deleted).delete()
    assert cleanup.sweep(T0 + timedelta(days=1)) == 3  # the entry and its two contributions
    assert [n.post_id for n in listed("ann")] == [kept]

    assert cleanup.sweep(T0 + timedelta(days=91)) == 2  # past 90 days: the entry and its contribution
    assert listed("ann") == [] and list(NotificationModel.scan()) == []


def test_two_likes_landing_on_one_group_at_once_both_count(channels: Channels, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another contribution commits between this one's read and its write: the write fails its check, reads again."""
    post_id = post("ann")
    cat_likes = like(post_id, "cat", "ann", T0 + timedelta(seconds=1))
    ben_likes = like(post_id, "ben", "ann")
    original = store._joined
    interfered: list[bool] = []

    def joined_after_cat(entry: Any, c: Any, shown: bool) -> Any:
        if not interfered:
            interfered.append(True)
            intake.handle(cat_likes)  # lands first, on the entry this call has just read
        return original(entry, c, shown)

    monkeypatch.setattr(store, "_joined", joined_after_cat)
    intake.handle(ben_likes)
    [entry] = listed("ann")
    assert (entry.count, entry.actors) == (2, ["cat", "ben"])
