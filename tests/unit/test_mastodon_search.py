"""The Mastodon face's search, trends and tags over the embedded search backend and moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import flags
from chalicelib.core.ids import new_id
from chalicelib.posts.models import PostModel
from chalicelib.search import backends
from chalicelib.search.port import PostDocument, Put, UserDocument
from tests.unit.mastodon_world import World, dynamodb, world

__all__ = ["dynamodb", "world"]  # fixtures, used by name
_versions = iter(range(1, 10_000))


def _post(author: str, text: str, tags: tuple[str, ...], minutes_ago: float) -> str:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    post_id = new_id(at)
    PostModel(post_id, author=author, content=text, hashtags=list(tags), created_at=at).save()
    backends.backend().bulk([Put("posts", post_id, next(_versions), PostDocument(post_id, author, text, tags, at))])
    return post_id


def _people(world: World) -> None:
    for name in ("ada", "teabot", "tealover"):
        world.user(name)
        backends.backend().bulk([Put("users", name, next(_versions), UserDocument(name, name.title(), 0))])


def test_v2_search_answers_accounts_statuses_and_hashtags(world: World) -> None:
    _people(world)
    kept = _post("teabot", "green tea at noon #tea", ("tea",), 5)
    _post("tealover", "more tea please #teatime", ("teatime",), 6)
    gone = _post("tealover", "tea gone cold", (), 7)
    PostModel(gone).delete()  # deleted before the index heard: never shown
    status, body = world.call("GET", "/api/v2/search?q=tea", as_user="ada")
    assert status == 200 and set(body) == {"accounts", "statuses", "hashtags"}
    assert {a["id"] for a in body["accounts"]} == {"teabot", "tealover"}
    assert kept in {s["id"] for s in body["statuses"]} and gone not in {s["id"] for s in body["statuses"]}
    assert {t["name"] for t in body["hashtags"]} == {"tea", "teatime"}
    tag = next(t for t in body["hashtags"] if t["name"] == "tea")
    assert tag["url"].endswith("/tags/tea") and tag["history"][0]["uses"] == "1" and tag["following"] is False
    only = world.call("GET", "/api/v2/search?q=%23tea&type=hashtags&limit=1", as_user="ada")[1]
    assert (only["accounts"], only["statuses"], len(only["hashtags"])) == ([], [], 1)
    by_author = world.call("GET", "/api/v2/search?q=tea&type=statuses&account_id=teabot", as_user="ada")[1]
    assert [s["id"] for s in by_author["statuses"]] == [kept]
    assert world.call("GET", "/api/v2/search?q=tea&type=accounts&offset=1&limit=1", as_user="ada")[1][
        "accounts"][0]["id"] in {"teabot", "tealover"}
    assert world.call("GET", "/api/v2/search?q=", as_user="ada")[1] == {"accounts": [], "statuses": [],
                                                                         "hashtags": []}


def test_v2_search_errors_and_the_flag(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    _people(world)
    assert world.call("GET", "/api/v2/search", as_user="ada")[0] == 422
    assert world.call("GET", "/api/v2/search?q=x&type=polls", as_user="ada")[0] == 422
    assert world.call("GET", "/api/v2/search?q=x&offset=-1", as_user="ada")[0] == 422
    assert world.call("GET", "/api/v2/search?q=x", as_user="ada", scopes="write")[0] == 403
    assert world.call("GET", "/api/v2/search?q=x")[0] == 401
    monkeypatch.setattr(flags, "enabled", lambda *args: False)
    assert world.call("GET", "/api/v2/search?q=tea", as_user="ada")[1]["accounts"] == []


def test_trends_and_tags_carry_mastodons_history(world: World) -> None:
    _people(world)
    for author in ("ada", "teabot"):
        _post(author, "#wide", ("wide",), 0.01)
    _post("tealover", "#narrow", ("narrow",), 0.02)
    status, trends = world.call("GET", "/api/v1/trends/tags")
    assert status == 200 and [t["name"] for t in trends] == ["wide", "narrow"]
    today = trends[0]["history"][0]
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert today == {"day": str(int(midnight.timestamp())), "uses": "2", "accounts": "2"}
    assert len(trends[0]["history"]) == 7 and int(trends[0]["history"][1]["day"]) < int(today["day"])
    assert [t["name"] for t in world.call("GET", "/api/v1/trends/tags?limit=1&offset=1")[1]] == ["narrow"]
    assert world.call("GET", "/api/v1/trends/statuses") == (200, [])
    assert world.call("GET", "/api/v1/trends/links") == (200, [])
    status, wide = world.call("GET", "/api/v1/tags/Wide")
    assert status == 200 and wide["name"] == "wide" and wide["history"][0]["uses"] == "2"
    assert world.call("GET", "/api/v1/tags/unused")[1]["history"] == []
    assert world.call("GET", "/api/v1/tags/no%20tag") == (404, {"error": "Record not found"})
    assert world.call("POST", "/api/v1/tags/wide/follow", as_user="ada")[0] == 422
    assert world.call("GET", "/api/v1/followed_tags", as_user="ada") == (200, [])
