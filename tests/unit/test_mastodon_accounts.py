"""The Mastodon face's accounts and relationships over the real app, moto and the embedded search backend."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.core.ids import new_id
from chalicelib.posts.models import PostModel
from chalicelib.search.port import Put, UserDocument
from tests.unit.mastodon_world import World, dynamodb, world

__all__ = ["dynamodb", "world"]  # fixtures, used by name

RELATIONSHIP_KEYS = {"id", "following", "showing_reblogs", "notifying", "languages", "followed_by", "blocking",
                     "blocked_by", "muting", "muting_notifications", "requested", "requested_by", "domain_blocking",
                     "endorsed", "note"}


def _links(answer: Any) -> dict[str, str]:
    """rel -> URL of a Link header."""
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', answer.headers.get("Link", ""))}


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_lookup_and_get_find_an_account_by_username_and_know_nobody_else(world: World) -> None:
    world.user("bob", display_name="Bob B", bio="likes <tea>")
    status, body = world.call("GET", "/api/v1/accounts/lookup?acct=@bob")
    assert status == 200 and (body["id"], body["acct"], body["display_name"]) == ("bob", "bob", "Bob B")
    assert body["note"] == "<p>likes &lt;tea&gt;</p>" and body["created_at"] == "2026-01-02T00:00:00.000Z"
    assert world.call("GET", "/api/v1/accounts/bob")[1] == body
    assert world.call("GET", "/api/v1/accounts/lookup?acct=bob@localhost")[0] == 200
    for path in ("/api/v1/accounts/lookup?acct=bob@elsewhere.example", "/api/v1/accounts/lookup?acct=nobody",
                 "/api/v1/accounts/nobody", "/api/v1/accounts/..%2F..", "/api/v1/accounts/nobody/followers"):
        assert world.call("GET", path) == (404, {"error": "Record not found"}), path
    assert world.call("GET", "/api/v1/accounts/lookup")[0] == 422
    world.user("cyn")
    assert [a["id"] for a in world.call("GET", "/api/v1/accounts?id[]=cyn&id[]=ghost&id[]=bob&id[]=..")[1]] == [
        "cyn", "bob"]


def test_follow_and_unfollow_answer_the_relationship_and_move_the_counts(world: World) -> None:
    world.user("ada"), world.user("bob")
    status, body = world.call("POST", "/api/v1/accounts/bob/follow", as_user="ada")
    assert status == 200 and set(body) == RELATIONSHIP_KEYS
    assert (body["id"], body["following"], body["followed_by"], body["blocking"], body["note"]) == (
        "bob", True, False, False, "")
    world.call("POST", "/api/v1/accounts/ada/follow", as_user="bob")
    _, [seen] = world.call("GET", "/api/v1/accounts/relationships?id[]=bob&id[]=ghost", as_user="ada")
    assert (seen["id"], seen["following"], seen["followed_by"]) == ("bob", True, True)
    assert world.call("GET", "/api/v1/accounts/bob")[1]["followers_count"] == 1
    _, body = world.call("POST", "/api/v1/accounts/bob/unfollow", as_user="ada")
    assert (body["following"], body["followed_by"]) == (False, True)
    assert world.call("GET", "/api/v1/accounts/bob")[1]["followers_count"] == 0
    _, [single] = world.call("GET", "/api/v1/accounts/relationships?id=bob", as_user="ada")
    assert single["following"] is False
    # Errors: a stranger's id, yourself, a token without the scope, no token.
    assert world.call("POST", "/api/v1/accounts/ghost/follow", as_user="ada") == (404, {"error": "Record not found"})
    assert world.call("POST", "/api/v1/accounts/ada/follow", as_user="ada")[0] == 422
    assert world.call("POST", "/api/v1/accounts/bob/follow", as_user="ada", scopes="read")[0] == 403
    assert world.call("POST", "/api/v1/accounts/bob/follow")[0] == 401


def test_followers_page_forward_and_back_by_the_link_header(world: World) -> None:
    world.user("star")
    fans = [f"fan{n}" for n in range(5)]
    for fan in fans:
        world.user(fan)
        world.call("POST", "/api/v1/accounts/star/follow", as_user=fan)
    first = world.request("GET", "/api/v1/accounts/star/followers?limit=2")
    assert first.status_code == 200
    assert [a["id"] for a in _json(first)] == fans[:2] and set(_links(first)) == {"next", "prev"}
    second = world.request("GET", _path(_links(first)["next"]))
    assert [a["id"] for a in _json(second)] == fans[2:4]
    third = world.request("GET", _path(_links(second)["next"]))
    assert [a["id"] for a in _json(third)] == fans[4:] and "next" not in _links(third)
    back = world.request("GET", _path(_links(third)["prev"]))
    assert [a["id"] for a in _json(back)] == fans[2:4] and "limit=2" in _links(third)["prev"]
    assert [a["id"] for a in _json(world.request("GET", "/api/v1/accounts/fan0/following"))] == ["star"]
    assert world.call("GET", "/api/v1/accounts/star/followers?limit=many")[0] == 422
    assert len(world.call("GET", "/api/v1/accounts/star/followers?limit=500")[1]) == 5  # clamped, as Mastodon does


def _json(answer: Any) -> Any:
    return json.loads(answer.body)


def test_update_credentials_changes_name_and_note_under_the_platforms_rules(world: World) -> None:
    world.user("ada")
    status, body = world.call("PATCH", "/api/v1/accounts/update_credentials", as_user="ada",
                              form={"display_name": "Ada L", "note": "maths\nengines", "locked": "true",
                                    "source[privacy]": "public"})
    assert status == 200 and body["display_name"] == "Ada L" and body["source"]["note"] == "maths\nengines"
    assert body["note"] == "<p>maths<br>engines</p>" and body["locked"] is False
    assert world.call("GET", "/api/v1/accounts/verify_credentials", as_user="ada")[1]["display_name"] == "Ada L"
    assert world.call("PATCH", "/api/v1/accounts/update_credentials", as_user="ada",
                      form={"display_name": "x" * 51})[0] == 422
    assert world.call("PATCH", "/api/v1/accounts/update_credentials", as_user="ada",
                      form={"display_name": "  "})[0] == 422
    boundary = "b0undary"
    multipart = (f'--{boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\n'
                 f"Content-Type: text/plain\r\n\r\nnot an image\r\n--{boundary}--\r\n").encode()
    status, body = world.call("PATCH", "/api/v1/accounts/update_credentials", as_user="ada", body=multipart,
                              headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 422 and "Avatar" in body["error"]  # an image goes through: tests/unit/test_mastodon_avatar.py
    assert world.call("PATCH", "/api/v1/accounts/update_credentials", as_user="ada", scopes="read",
                      form={"note": "x"})[0] == 403


def test_account_search_finds_by_name_and_pages_by_offset(world: World) -> None:
    from chalicelib.search import backends

    for n, name in enumerate(("carla", "carlos", "carmen")):
        world.user(name)
        backends.backend().bulk([Put("users", name, n + 1, UserDocument(name, name.title(), 0))])
    world.user("ada")
    status, found = world.call("GET", "/api/v1/accounts/search?q=car&limit=2", as_user="ada")
    assert status == 200 and len(found) == 2 and {a["id"] for a in found} <= {"carla", "carlos", "carmen"}
    _, rest = world.call("GET", "/api/v1/accounts/search?q=car&limit=2&offset=2", as_user="ada")
    assert len(rest) == 1 and rest[0]["id"] not in {a["id"] for a in found}
    world.call("POST", "/api/v1/accounts/carmen/follow", as_user="ada")
    _, followed = world.call("GET", "/api/v1/accounts/search?q=car&following=true", as_user="ada")
    assert [a["id"] for a in followed] == ["carmen"]
    assert world.call("GET", "/api/v1/accounts/search?q=" + "x" * 1001, as_user="ada")[0] == 422


def test_features_the_platform_lacks_answer_empty_or_refuse_plainly(world: World) -> None:
    world.user("ada"), world.user("bob")
    for path in ("/api/v1/blocks", "/api/v1/mutes", "/api/v1/follow_requests", "/api/v1/endorsements",
                 "/api/v1/domain_blocks", "/api/v1/accounts/bob/featured_tags", "/api/v1/accounts/bob/lists",
                 "/api/v2/suggestions"):
        assert world.call("GET", path, as_user="ada") == (200, []), path
    status, body = world.call("POST", "/api/v1/accounts/bob/block", as_user="ada")
    assert status == 422 and "blocking" in body["error"]
    assert world.call("POST", "/api/v1/accounts/ghost/mute", as_user="ada")[0] == 404
    status, body = world.call("POST", "/api/v1/accounts/bob/unblock", as_user="ada")
    assert status == 200 and (body["id"], body["blocking"]) == ("bob", False)
    assert world.call("GET", "/api/v1/accounts/familiar_followers?id[]=bob", as_user="ada") == (
        200, [{"id": "bob", "accounts": []}])


def _posts(author: str, count: int) -> list[str]:
    """``count`` posts a minute apart, their ids oldest first."""
    start = datetime(2026, 11, 30, 9, tzinfo=UTC)
    made = []
    for n in range(count):
        at = start + timedelta(minutes=n)
        post_id = new_id(at)
        PostModel(post_id, author=author, content=f"post {n} #tea" if n % 2 else f"post {n}",
                  hashtags=["tea"] if n % 2 else [], media_ids=[], created_at=at).save()
        made.append(post_id)
    return made


def test_account_statuses_page_by_max_id_and_min_id_with_link_headers(world: World) -> None:
    world.user("ada"), world.user("bob")
    ids = _posts("bob", 5)
    newest = ids[::-1]
    first = world.request("GET", "/api/v1/accounts/bob/statuses?limit=2", as_user="ada")
    body = _json(first)
    assert first.status_code == 200 and [s["id"] for s in body] == newest[:2]
    assert body[0]["account"]["id"] == "bob" and body[0]["favourited"] is False
    second = world.request("GET", _path(_links(first)["next"]), as_user="ada")
    assert [s["id"] for s in _json(second)] == newest[2:4]
    third = world.request("GET", _path(_links(second)["next"]), as_user="ada")
    assert [s["id"] for s in _json(third)] == newest[4:] and "next" not in _links(third)
    back = world.request("GET", _path(_links(third)["prev"]), as_user="ada")
    assert [s["id"] for s in _json(back)] == newest[2:4]
    since = world.call("GET", f"/api/v1/accounts/bob/statuses?since_id={ids[1]}&limit=2", as_user="ada")[1]
    assert [s["id"] for s in since] == newest[:2]
    between = world.call("GET", f"/api/v1/accounts/bob/statuses?max_id={ids[4]}&since_id={ids[1]}",
                         as_user="ada")[1]
    assert [s["id"] for s in between] == [ids[3], ids[2]]
    tagged = world.call("GET", "/api/v1/accounts/bob/statuses?tagged=%23Tea", as_user="ada")[1]
    assert [s["id"] for s in tagged] == [ids[3], ids[1]]
    assert [s["id"] for s in world.call("GET", "/api/v1/accounts/bob/statuses?limit=1")[1]] == newest[:1]
    assert world.call("GET", "/api/v1/accounts/bob/statuses?pinned=true", as_user="ada") == (200, [])
    assert world.call("GET", "/api/v1/accounts/bob/statuses?only_media=true", as_user="ada") == (200, [])
    assert world.call("GET", "/api/v1/accounts/ghost/statuses", as_user="ada")[0] == 404
    assert world.call("GET", "/api/v1/accounts/bob/statuses?only_media=maybe", as_user="ada")[0] == 422
