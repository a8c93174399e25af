"""Domain events built from stream records carry what subscribers need, with stable ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.events.catalog import follow_events, interaction_events, post_events
from chalicelib.feed.models import TimelineModel
from chalicelib.posts.models import InteractionModel, PostModel
from chalicelib.users.models import FollowModel

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Record:
    event_name: str
    new_image: Any = None
    old_image: Any = None
    event_id: str = "evt-1"
    timestamp: datetime = datetime(2025, 3, 1, 12, 0)


def image(item: PostModel | InteractionModel | FollowModel | TimelineModel) -> dict[str, Any]:
    return dict(item.serialize())


POST = PostModel("01JNQ0000000000000000000AA", author="ada", content="hi #x @bob", hashtags=["x"],
                 mentions=["bob"], likes_count=0, comments_count=0, created_at=NOW)


def test_a_new_post_is_post_created_with_its_tags() -> None:
    [event] = post_events(Record("INSERT", new_image=image(POST)))
    assert (event.id, event.type, event.actor) == ("evt-1", "post.created", "ada")
    assert event.data["post_id"] == POST.post_id and event.data["mentions"] == ["bob"]


def test_a_counter_change_is_not_a_post_update() -> None:
    liked = PostModel(**{**POST.attribute_values, "likes_count": 1})
    assert post_events(Record("MODIFY", new_image=image(liked), old_image=image(POST))) == []
    edited = PostModel(**{**POST.attribute_values, "content": "changed"})
    assert [e.type for e in post_events(Record("MODIFY", new_image=image(edited), old_image=image(POST)))] == [
        "post.updated"]


def test_a_removed_post_is_post_deleted_from_its_old_image() -> None:
    [event] = post_events(Record("REMOVE", old_image=image(POST)))
    assert event.type == "post.deleted" and event.data == {"post_id": POST.post_id, "author": "ada"}


def test_likes_name_the_post_author_and_the_liker() -> None:
    like = InteractionModel(POST.post_id, "like#bob", author="bob", post_author="ada", created_at=NOW)
    [event] = interaction_events(Record("INSERT", new_image=image(like)))
    assert event.type == "like.created"
    assert event.data == {"post_id": POST.post_id, "post_author": "ada", "liker": "bob"}


def test_comments_carry_their_id_and_mentions() -> None:
    comment = InteractionModel(POST.post_id, "comment#01JNQ0000000000000000000BB", author="bob", post_author="ada",
                               content="@ada thanks", created_at=NOW)
    [event] = interaction_events(Record("INSERT", new_image=image(comment)))
    assert event.type == "comment.created"
    assert event.data["comment_id"] == "01JNQ0000000000000000000BB" and event.data["mentions"] == ["ada"]


def test_follows_name_both_ends() -> None:
    edge = FollowModel("bob", "ada", created_at=NOW)
    [event] = follow_events(Record("REMOVE", old_image=image(edge)))
    assert (event.type, event.actor, event.data) == ("follow.deleted", "bob", {"follower": "bob", "followee": "ada"})


def test_actions_in_one_second_keep_their_order_and_a_removal_takes_the_records_time() -> None:
    # DynamoDB rounds a stream record's time down to the second: a like and then a comment in that second
    # would tie, and which is newest (notifications, the digest) would be chance.
    second = datetime(2025, 3, 1, 12, 0, 7)
    like = InteractionModel(POST.post_id, "like#bob", author="bob", post_author="ada",
                            created_at=datetime(2025, 3, 1, 12, 0, 7, 120_000, tzinfo=UTC))
    comment = InteractionModel(POST.post_id, "comment#01JNQ0000000000000000000CC", author="bob", post_author="ada",
                               content="nice", created_at=datetime(2025, 3, 1, 12, 0, 7, 480_000, tzinfo=UTC))
    [liked] = interaction_events(Record("INSERT", new_image=image(like), timestamp=second))
    [commented] = interaction_events(Record("INSERT", new_image=image(comment), timestamp=second))
    assert datetime.fromisoformat(liked.occurred_at) < datetime.fromisoformat(commented.occurred_at)
    assert liked.occurred_at == "2025-03-01T12:00:07.120000+00:00"
    [unliked] = interaction_events(Record("REMOVE", old_image=image(like), timestamp=datetime(2025, 3, 1, 12, 5)))
    assert unliked.occurred_at == "2025-03-01T12:05:00+00:00"  # when it was undone, not when it was made
