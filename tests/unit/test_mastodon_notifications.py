"""The Mastodon face's notifications (v1 and v2 grouped) from the platform's own notification groups: likes,
follows and comments by other users made through the domain, their events through the notifications intake."""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.core.ids import new_id
from chalicelib.core.tokens import Principal
from chalicelib.notifications import intake, publisher, service
from chalicelib.posts import service as posts
from chalicelib.posts.models import PostModel
from chalicelib.users import graph
from tests.unit.mastodon_world import World, dynamodb, world

__all__ = ["dynamodb", "world"]  # fixtures, used by name
T0 = datetime(2026, 11, 30, 10, tzinfo=UTC)
_events = itertools.count()


@pytest.fixture(autouse=True)
def quiet_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    """The notifications topic is not there: every publish succeeds silently."""
    monkeypatch.setattr(publisher, "publish", lambda *args: True)


def _principal(name: str) -> Principal:
    return Principal(user_id=f"sub-{name}", username=name, groups=frozenset(), token_use="access")


def _event(kind: str, actor: str, data: dict[str, Any], at: datetime) -> None:
    intake.handle({"id": f"evt-{next(_events)}", "type": kind, "occurred_at": at.isoformat(), "actor": actor,
                   "data": data})


def _post(author: str, at: datetime) -> str:
    post_id = new_id(at)
    PostModel(post_id, author=author, content="a post", created_at=at).save()
    return post_id


def _like(post_id: str, liker: str, at: datetime) -> None:
    posts.like(_principal(liker), post_id)
    _event("like.created", liker, {"post_id": post_id, "post_author": "ada", "liker": liker}, at)


def _scenario(world: World) -> dict[str, str]:
    """ada's post liked by bob then cy; bob follows ada; cy comments; a coin award (not shown)."""
    for name in ("ada", "bob", "cy"):
        world.user(name)
    post_id = _post("ada", T0)
    _like(post_id, "bob", T0 + timedelta(minutes=1))
    _like(post_id, "cy", T0 + timedelta(minutes=2))
    graph.follow(_principal("bob"), "ada")
    _event("follow.created", "bob", {"follower": "bob", "followee": "ada"}, T0 + timedelta(minutes=3))
    comment = posts.add_comment(_principal("cy"), post_id, "nice one @ada")
    comment_id = comment.sk.removeprefix("comment#")
    _event("comment.created", "cy", {"post_id": post_id, "comment_id": comment_id, "author": "cy",
                                     "post_author": "ada", "content": "nice one @ada"}, T0 + timedelta(minutes=4))
    _event("coins.awarded", "bob", {"user": "ada", "from": "bob", "transfer_id": "t1", "amount": 5,
                                    "reason": "tip"}, T0 + timedelta(minutes=5))
    return {"post": post_id, "comment": f"{post_id}-{comment_id}"}


def _links(answer: Any) -> dict[str, str]:
    return {rel: "/" + url.split("://", 1)[1].split("/", 1)[1]
            for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', answer.headers.get("Link", ""))}


def test_likes_follows_and_comments_become_mastodon_notifications(world: World) -> None:
    ids = _scenario(world)
    assert "coins" in {row.kind for row in service.page("ada", 10, None, None, False)[0]}  # there, not shown
    status, body = world.call("GET", "/api/v1/notifications", as_user="ada")
    assert status == 200
    assert [(n["type"], n["account"]["id"]) for n in body] == [("mention", "cy"), ("follow", "bob"),
                                                                ("favourite", "cy")]
    mention, follow, favourite = body
    assert mention["status"]["id"] == ids["comment"] and mention["status"]["in_reply_to_id"] == ids["post"]
    assert "status" not in follow and favourite["status"]["id"] == ids["post"]
    assert favourite["created_at"] == "2026-11-30T10:02:00.000Z" and set(favourite) >= {"id", "group_key"}
    assert [n["id"] for n in body] == sorted((n["id"] for n in body), reverse=True)  # ids sort by time
    # Filters by Mastodon type; types the platform lacks match nothing.
    assert [n["type"] for n in world.call("GET", "/api/v1/notifications?types[]=favourite&types[]=follow",
                                          as_user="ada")[1]] == ["follow", "favourite"]
    assert [n["type"] for n in world.call("GET", "/api/v1/notifications?exclude_types[]=mention",
                                          as_user="ada")[1]] == ["follow", "favourite"]
    assert world.call("GET", "/api/v1/notifications?types[]=reblog", as_user="ada") == (200, [])
    assert world.call("GET", "/api/v1/notifications?account_id=bob", as_user="ada")[1][0]["type"] == "follow"
    assert world.call("GET", "/api/v1/notifications/unread_count", as_user="ada") == (200, {"count": 3})
    # One by id; someone else's id, or none, is a 404.
    assert world.call("GET", f"/api/v1/notifications/{follow['id']}", as_user="ada") == (200, follow)
    assert world.call("GET", f"/api/v1/notifications/{follow['id']}", as_user="bob")[0] == 404
    assert world.call("GET", "/api/v1/notifications/nope", as_user="ada") == (404, {"error": "Record not found"})
    # Scopes: reading needs read:notifications, dismissing write:notifications.
    assert world.call("GET", "/api/v1/notifications", as_user="ada", scopes="write")[0] == 403
    assert world.call("POST", f"/api/v1/notifications/{follow['id']}/dismiss", as_user="ada",
                      scopes="read")[0] == 403
    assert world.call("GET", "/api/v1/notifications?limit=x", as_user="ada")[0] == 422


def test_notifications_page_with_link_headers_forward_and_back(world: World) -> None:
    _scenario(world)
    first = world.request("GET", "/api/v1/notifications?limit=2", as_user="ada")
    assert [n["type"] for n in json.loads(first.body)] == ["mention", "follow"]
    second = world.request("GET", _links(first)["next"], as_user="ada")
    assert [n["type"] for n in json.loads(second.body)] == ["favourite"] and "next" not in _links(second)
    back = world.request("GET", _links(second)["prev"], as_user="ada")
    assert [n["type"] for n in json.loads(back.body)] == ["mention", "follow"]


def test_dismiss_and_clear_empty_the_list_and_news_brings_a_group_back(world: World) -> None:
    ids = _scenario(world)
    _, body = world.call("GET", "/api/v1/notifications", as_user="ada")
    assert world.call("POST", f"/api/v1/notifications/{body[0]['id']}/dismiss", as_user="ada") == (200, {})
    assert [n["type"] for n in world.call("GET", "/api/v1/notifications", as_user="ada")[1]] == [
        "follow", "favourite"]
    assert world.call("POST", f"/api/v1/notifications/{body[0]['id']}/dismiss", as_user="ada")[0] == 404
    assert world.call("POST", "/api/v1/notifications/clear", as_user="ada") == (200, {})
    assert world.call("GET", "/api/v1/notifications", as_user="ada") == (200, [])
    world.user("dan")
    _like(ids["post"], "dan", T0 + timedelta(minutes=9))
    [back] = world.call("GET", "/api/v1/notifications", as_user="ada")[1]
    assert (back["type"], back["account"]["id"]) == ("favourite", "dan")


def test_v2_groups_carry_counts_samples_and_each_account_and_status_once(world: World) -> None:
    ids = _scenario(world)
    status, body = world.call("GET", "/api/v2/notifications", as_user="ada")
    assert status == 200 and set(body) == {"accounts", "statuses", "notification_groups"}
    groups = body["notification_groups"]
    assert [g["type"] for g in groups] == ["mention", "follow", "favourite"]
    favourite = groups[2]
    assert (favourite["notifications_count"], favourite["sample_account_ids"], favourite["status_id"]) == (
        2, ["cy", "bob"], ids["post"])
    assert favourite["group_key"] == f"like-{ids['post']}" and groups[0]["group_key"].startswith("ungrouped-")
    assert set(favourite) == {"group_key", "notifications_count", "type", "most_recent_notification_id",
                              "page_min_id", "page_max_id", "latest_page_notification_at", "sample_account_ids",
                              "status_id"}
    assert sorted(a["id"] for a in body["accounts"]) == ["bob", "cy"]
    assert sorted(s["id"] for s in body["statuses"]) == sorted([ids["post"], ids["comment"]])
    assert world.call("GET", "/api/v2/notifications/unread_count", as_user="ada") == (200, {"count": 3})



def test_v2_one_group_its_accounts_and_dismissing_it(world: World) -> None:
    ids = _scenario(world)
    groups = world.call("GET", "/api/v2/notifications", as_user="ada")[1]["notification_groups"]
    mention, follow, favourite = (g["group_key"] for g in groups)
    status, one = world.call("GET", f"/api/v2/notifications/{favourite}", as_user="ada")
    assert status == 200 and one["notification_groups"][0]["status_id"] == ids["post"]
    assert [s["id"] for s in one["statuses"]] == [ids["post"]]
    assert world.call("GET", f"/api/v2/notifications/{mention}", as_user="ada")[1]["notification_groups"][0][
        "type"] == "mention"
    assert [a["id"] for a in world.call("GET", f"/api/v2/notifications/{favourite}/accounts",
                                        as_user="ada")[1]] == ["cy", "bob"]
    for missing in (f"{favourite}x", "ungrouped-", "coins-2026-11-30", "nonsense"):
        assert world.call("GET", f"/api/v2/notifications/{missing}", as_user="ada")[0] == 404, missing
    assert world.call("GET", f"/api/v2/notifications/{favourite}", as_user="bob")[0] == 404
    assert world.call("POST", f"/api/v2/notifications/{follow}/dismiss", as_user="ada") == (200, {})
    assert [g["type"] for g in world.call("GET", "/api/v2/notifications", as_user="ada")[1][
        "notification_groups"]] == ["mention", "favourite"]
    assert world.call("GET", f"/api/v2/notifications/{follow}", as_user="ada")[0] == 404


def test_the_notifications_marker_moves_the_platforms_read_state(world: World) -> None:
    _scenario(world)
    _, (mention, follow, favourite) = world.call("GET", "/api/v1/notifications", as_user="ada")
    assert world.call("GET", "/api/v1/markers?timeline[]=notifications", as_user="ada") == (200, {})
    status, saved = world.call("POST", "/api/v1/markers", as_user="ada",
                               form={"notifications[last_read_id]": follow["id"], "home[last_read_id]": "x"})
    assert status == 200 and saved["notifications"]["last_read_id"] == follow["id"]
    assert world.call("GET", "/api/v1/notifications/unread_count", as_user="ada")[1] == {"count": 1}
    marker = world.call("GET", "/api/v1/markers?timeline[]=notifications&timeline[]=home", as_user="ada")[1]
    assert set(marker) == {"notifications"} and marker["notifications"]["last_read_id"] == follow["id"]
    assert marker["notifications"]["updated_at"].endswith("Z")
    assert world.call("POST", "/api/v1/markers", as_user="ada", scopes="read",
                      form={"notifications[last_read_id]": mention["id"]})[0] == 403
    assert world.call("POST", "/api/v1/markers", as_user="ada",
                      form={"notifications[last_read_id]": "x" * 200})[0] == 422
    assert favourite["type"] == "favourite"
