"""Who is told what: the notification rules as pure functions, no AWS."""

from __future__ import annotations

from typing import Any

from chalicelib.notifications.rules import Change, Contribution, Probe, Withdrawal, changes_for


def event(kind: str, actor: str, data: dict[str, Any],
          occurred_at: str = "2026-11-30T10:00:00+00:00") -> dict[str, Any]:
    return {"id": f"e-{kind}-{actor}", "type": kind, "occurred_at": occurred_at, "actor": actor, "data": data}


def contributions(changes: list[Change]) -> list[Contribution]:
    assert all(isinstance(c, Contribution) for c in changes)
    return [c for c in changes if isinstance(c, Contribution)]


def test_a_like_tells_the_author_in_the_posts_group_and_needs_the_like_to_exist_still() -> None:
    [change] = changes_for(event("like.created", "ben", {"post_id": "P1", "post_author": "ann", "liker": "ben"}))
    assert isinstance(change, Contribution)
    assert (change.recipient, change.type, change.group, change.contributor, change.actor) == (
        "ann", "like", "like#P1", "ben", "ben")
    assert change.requires == Probe("like", ("P1", "ben")) and change.grouped


def test_an_undone_like_withdraws_the_liker_unless_the_like_is_back() -> None:
    [change] = changes_for(event("like.deleted", "ben", {"post_id": "P1", "post_author": "ann", "liker": "ben"}))
    assert change == Withdrawal("ann", "like#P1", "ben", unless=Probe("like", ("P1", "ben")))


def test_nobody_is_told_of_their_own_actions() -> None:
    assert changes_for(event("like.created", "ann", {"post_id": "P1", "post_author": "ann", "liker": "ann"})) == []
    assert changes_for(event("like.deleted", "ann", {"post_id": "P1", "post_author": "ann", "liker": "ann"})) == []
    own_comment = contributions(changes_for(event("comment.created", "ann", {
        "post_id": "P1", "post_author": "ann", "comment_id": "C1", "author": "ann", "mentions": ["ann", "cat"]})))
    assert [(c.recipient, c.type) for c in own_comment] == [("cat", "mention")]
    assert changes_for(event("post.created", "ann", {"post_id": "P1", "author": "ann", "mentions": ["ann"]})) == []
    own_post_coins = {"user": "ann", "amount": 10, "reason": "post", "transfer_id": "post:P1", "balance": 10}
    assert changes_for(event("coins.awarded", "ann", own_post_coins)) == []
    order = {"order_id": "O1", "user": "ann", "reward_id": "R1", "reward_name": "Mug", "cost": 5, "status": "placed"}
    assert changes_for(event("order.created", "ann", order)) == []


def test_follows_group_by_the_day_they_happened() -> None:
    morning = contributions(changes_for(event("follow.created", "ben", {"follower": "ben", "followee": "ann"},
                                "2026-11-30T00:00:01+00:00")))
    night = contributions(changes_for(event("follow.created", "cat", {"follower": "cat", "followee": "ann"},
                              "2026-11-30T23:59:59+00:00")))
    next_day = contributions(changes_for(event("follow.created", "dan", {"follower": "dan", "followee": "ann"},
                                 "2026-12-01T00:00:00+00:00")))
    assert {c.group for c in morning + night} == {"follow#2026-11-30"}
    assert [c.group for c in next_day] == ["follow#2026-12-01"]
    assert morning[0].requires == Probe("follow", ("ben", "ann"))


def test_a_comment_tells_the_author_once_and_the_others_it_names_as_mentions() -> None:
    changes = contributions(changes_for(event("comment.created", "ben", {
        "post_id": "P1", "post_author": "ann", "comment_id": "C1", "author": "ben",
        "mentions": ["ann", "cat", "ben", "cat"]})))
    assert [(c.recipient, c.type, c.group) for c in changes] == [
        ("ann", "comment", "comment#P1#C1"), ("cat", "mention", "mention#P1#C1")]
    assert all(c.requires == Probe("comment", ("P1", "C1")) for c in changes)


def test_mentions_in_a_post_need_the_post_to_exist_still() -> None:
    changes = contributions(changes_for(event("post.created", "ann", {
        "post_id": "P1", "author": "ann", "mentions": ["ben", "cat"]})))
    needs = Probe("post", ("P1",))
    assert [(c.recipient, c.type, c.group, c.requires) for c in changes] == [
        ("ben", "mention", "mention#P1", needs), ("cat", "mention", "mention#P1", needs)]


def test_coins_from_someone_elses_like_and_bonuses_are_news_grouped_by_day() -> None:
    [like] = changes_for(event("coins.awarded", "ben", {
        "user": "ann", "amount": 2, "reason": "like_received", "transfer_id": "like:P1:ben", "balance": 12,
        "from": "ben"}))
    [bonus] = changes_for(event("coins.awarded", "ann", {
        "user": "ann", "amount": 50, "reason": "weekly_bonus", "transfer_id": "bonus:2026-W48", "balance": 62}))
    assert isinstance(like, Contribution) and isinstance(bonus, Contribution)
    assert (like.recipient, like.group, like.contributor, like.actor, like.amount) == (
        "ann", "coins#2026-11-30", "like:P1:ben", "ben", 2)
    assert (bonus.actor, bonus.amount, bonus.group) == (None, 50, "coins#2026-11-30")


def test_an_order_changed_by_someone_else_and_a_message_are_single_notifications() -> None:
    [order] = contributions(changes_for(event("order.updated", "admin", {
        "order_id": "O1", "user": "ann", "reward_id": "R1", "reward_name": "Mug", "cost": 5, "status": "shipped"})))
    assert (order.recipient, order.group, order.fields["status"]) == ("ann", "order#O1#shipped", "shipped")
    [message] = changes_for(event("message.created", "ben", {
        "conversation_id": "K1", "message_id": "M1", "sender": "ben", "recipient": "ann", "preview": "x" * 300}))
    assert isinstance(message, Contribution) and not message.grouped
    assert (message.recipient, message.actor, len(str(message.fields["preview"]))) == ("ann", "ben", 140)


def test_other_events_make_nothing() -> None:
    assert changes_for(event("post.deleted", "ann", {"post_id": "P1", "author": "ann"})) == []
    assert changes_for(event("follow.deleted", "ben", {"follower": "ben", "followee": "ann"})) == []
