"""What a client shows beside a post or a profile, and signing out, end to end over HTTP on the local platform.

Posts name their author as the profile does (display name, avatar) and say whether the caller liked them;
profiles say whether the caller and that person follow each other. ``POST /auth/logout`` revokes a refresh
token and always answers 204 for a well-formed body.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests import media_samples as samples
from tests.e2e.conftest import RunningPlatform, register_and_login
from tests.e2e.test_media import settled, upload
from tests.e2e.test_social import Api, eventually


@pytest.fixture(scope="module")
def ada(platform: RunningPlatform) -> Api:
    return Api(platform, register_and_login(platform, "ada", display_name="Ada Lovelace"))


@pytest.fixture(scope="module")
def bob(platform: RunningPlatform) -> Api:
    return Api(platform, register_and_login(platform, "bob", display_name="Bob"))


def _in(page: dict[str, Any], post_id: str) -> dict[str, Any] | None:
    return next((item for item in page["items"] if item["id"] == post_id), None)


def test_a_followers_feed_shows_the_authors_name_and_avatar_and_its_own_like(ada: Api, bob: Api) -> None:
    avatar = settled(ada, upload(ada, samples.png_with_alpha(300, 200), "image/png"))
    assert avatar["status"] == "ready", avatar
    profile = ada.ok("PATCH", "/users/me", json={"avatar_media_id": avatar["id"]})
    bob.ok("PUT", f"/users/{ada.user.username}/follow")
    tag = f"t{uuid.uuid4().hex[:12]}"
    post = ada.ok("POST", "/posts", 201, json={"content": f"hello from Ada #{tag}"})
    assert (post["author_display_name"], post["author_avatar"], post["liked"]) == (
        "Ada Lovelace", profile["avatar"], False)

    seen = eventually(lambda: _in(bob.ok("GET", "/feed"), post["id"]), lambda item: item is not None)
    assert seen is not None
    assert (seen["author"], seen["author_display_name"], seen["author_avatar"]) == (
        ada.user.username, "Ada Lovelace", profile["avatar"])
    assert seen["liked"] is False

    bob.ok("PUT", f"/posts/{post['id']}/like")
    liked = _in(bob.ok("GET", "/feed"), post["id"])
    assert liked is not None and liked["liked"] is True and liked["likes_count"] == 1
    # The like is Bob's: Ada sees her post unliked, everywhere it shows.
    assert ada.ok("GET", f"/posts/{post['id']}")["liked"] is False
    assert bob.ok("GET", f"/posts/{post['id']}")["liked"] is True
    bobs_view = _in(bob.ok("GET", f"/users/{ada.user.username}/posts"), post["id"])
    assert bobs_view is not None and bobs_view["liked"] is True
    tagged = eventually(lambda: _in(bob.ok("GET", f"/tags/{tag}/posts"), post["id"]), lambda item: item is not None)
    assert tagged is not None and (tagged["liked"], tagged["author_display_name"]) == (True, "Ada Lovelace")
    found = eventually(lambda: _in(bob.ok("GET", "/search", params={"q": tag}), post["id"]),
                       lambda item: item is not None)
    assert found is not None and found["liked"] is True

    bob.ok("DELETE", f"/posts/{post['id']}/like")
    unliked = _in(bob.ok("GET", "/feed"), post["id"])
    assert unliked is not None and unliked["liked"] is False

    ada.ok("PATCH", "/users/me", json={"display_name": "Countess Lovelace", "avatar_media_id": None})
    renamed = _in(bob.ok("GET", "/feed"), post["id"])
    assert renamed is not None and (renamed["author_display_name"], renamed["author_avatar"]) == (
        "Countess Lovelace", None)
    ada.ok("PATCH", "/users/me", json={"display_name": "Ada Lovelace"})


def test_a_profile_says_who_follows_whom(platform: RunningPlatform) -> None:
    cy, di = (Api(platform, register_and_login(platform, prefix)) for prefix in ("cy", "di"))
    c, d = cy.user.username, di.user.username

    def relation(viewer: Api, username: str) -> tuple[bool, bool]:
        profile = viewer.ok("GET", f"/users/{username}")
        return profile["following"], profile["follows_you"]

    assert relation(cy, d) == relation(di, c) == (False, False)
    cy.ok("PUT", f"/users/{d}/follow")
    assert relation(cy, d) == (True, False)
    assert relation(di, c) == (False, True)
    di.ok("PUT", f"/users/{c}/follow")
    assert relation(cy, d) == relation(di, c) == (True, True)
    assert relation(cy, c) == (False, False)  # yourself
    assert cy.ok("GET", "/users/me")["following"] is False

    # The lists say it too, for each person listed, as the caller sees them.
    followers = {p["username"]: p for p in di.ok("GET", f"/users/{d}/followers")["items"]}
    assert (followers[c]["following"], followers[c]["follows_you"]) == (True, True)
    seen_by_cy = {p["username"]: p for p in cy.ok("GET", f"/users/{c}/following")["items"]}
    assert (seen_by_cy[d]["following"], seen_by_cy[d]["follows_you"]) == (True, True)
    found = eventually(lambda: cy.ok("GET", "/search", params={"q": d, "type": "users"})["items"],
                       lambda items: any(p["username"] == d for p in items))
    assert [(p["following"], p["follows_you"]) for p in found if p["username"] == d] == [(True, True)]

    cy.ok("DELETE", f"/users/{d}/follow")
    assert relation(cy, d) == (False, True)
    assert relation(di, c) == (True, False)
    seen_by_di = {p["username"]: p for p in di.ok("GET", f"/users/{d}/following")["items"]}
    assert (seen_by_di[c]["following"], seen_by_di[c]["follows_you"]) == (True, False)


def _logout(platform: RunningPlatform, body: Any) -> requests.Response:
    return requests.post(platform.api("/auth/logout"), json=body, timeout=20)


def test_logout_answers_204_whatever_the_token_and_needs_no_access_token(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "eve")
    signed_out = _logout(platform, {"refresh_token": user.tokens["refresh_token"]})  # no Authorization header
    assert (signed_out.status_code, signed_out.content) == (204, b"")
    assert _logout(platform, {"refresh_token": user.tokens["refresh_token"]}).status_code == 204  # twice
    for garbage in ("garbage", "not a token at all!", "x" * 8000, user.tokens["access_token"]):
        assert _logout(platform, {"refresh_token": garbage}).status_code == 204, garbage


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": 42}, {"token": "x"},
                                  {"refresh_token": "x", "extra": 1}, {"refresh_token": "x" * 8193}, ["x"]])
def test_a_malformed_logout_body_is_a_422(platform: RunningPlatform, body: Any) -> None:
    refused = _logout(platform, body)
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["code"]


def test_a_refresh_token_refreshes_no_more_after_logout(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "fay")
    assert _logout(platform, {"refresh_token": user.tokens["refresh_token"]}).status_code == 204
    again = requests.post(platform.api("/auth/refresh"), json={"refresh_token": user.tokens["refresh_token"]},
                          timeout=20)
    assert again.status_code == 401
