"""Mastodon.py 2.3.3, unchanged, against the Mastodon face of the local platform."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNotFoundError,
    MastodonUnauthorizedError,
)

from tests.clients.mastodon_client import ConsentForm
from tests.e2e.conftest import RunningPlatform, register_and_login
from tests.media_samples import png_with_alpha

REDIRECT = "https://client.example/callback"
T = TypeVar("T")


def test_an_app_signs_in_with_a_password_reads_the_instance_and_loses_access_once_revoked(
        platform: RunningPlatform) -> None:
    user = register_and_login(platform, "masto")
    client_id, client_secret = Mastodon.create_app("pytest", api_base_url=platform.url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url)
    token = api.log_in(user.username, user.password, allow_http=True)
    assert token

    me = api.account_verify_credentials()
    assert (me["username"], me["acct"], me["statuses_count"]) == (user.username, user.username, 0)
    assert me["source"]["privacy"] == "public"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT00:00:00(\.000)?(Z|\+00:00)?", str(me["created_at"]).replace(" ", "T")) \
        or me["created_at"].hour == 0
    assert api.ratelimit_limit == 300 and api.ratelimit_remaining < 300

    instance = api.instance()
    assert instance["version"].startswith("4.3.0 (compatible; Social")
    assert instance["configuration"]["statuses"]["max_characters"] == 2000
    assert instance["api_versions"]["mastodon"] == 2

    api.revoke_access_token(allow_http=True)
    with pytest.raises(MastodonUnauthorizedError):
        Mastodon(access_token=token, api_base_url=platform.url).account_verify_credentials()


def test_the_authorization_code_flow_through_the_consent_page(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "maco")
    client_id, client_secret = Mastodon.create_app("pytest-code", api_base_url=platform.url,
                                                   redirect_uris=REDIRECT)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url)
    url = api.auth_request_url(redirect_uris=REDIRECT, state="xyz", allow_http=True)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200 and "pytest-code" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    form = ConsentForm()
    form.feed(page.text)
    answer = requests.post(platform.url + form.action, timeout=10, allow_redirects=False,
                           data={**form.fields, "username": user.username, "password": user.password})
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]

    api.log_in(code=query["code"][0], redirect_uri=REDIRECT, allow_http=True)
    assert api.account_verify_credentials()["username"] == user.username
    with pytest.raises(MastodonIllegalArgumentError, match="invalid_grant"):  # a code works once
        Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url).log_in(
            code=query["code"][0], redirect_uri=REDIRECT, allow_http=True)

    requests.post(platform.url + "/oauth/revoke", timeout=10,
                  data={"client_id": client_id, "client_secret": client_secret, "token": api.access_token})
    with pytest.raises(MastodonUnauthorizedError):
        api.account_verify_credentials()


def _wait_for(check: Callable[[], T | None], seconds: float = 60.0) -> T:
    """Poll until ``check`` answers something (the platform's queues run asynchronously)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.5)


def test_statuses_media_and_the_home_timeline_through_mastodon_py(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "mstat")
    client_id, client_secret = Mastodon.create_app("pytest-statuses", api_base_url=platform.url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url)
    api.log_in(user.username, user.password, allow_http=True)

    media = api.media_post(png_with_alpha(64, 32), mime_type="image/png", description="a gradient", focus=(0.5, 0.5))
    assert media["url"] is None and media["type"] == "image"
    def processed() -> Any:
        found = api.media(media)
        return found if found["url"] else None

    ready = _wait_for(processed)
    assert ready["meta"]["original"]["width"] == 64 and ready["description"] == "a gradient"
    with_media = api.status_post("look at #this", media_ids=[media])
    assert with_media["media_attachments"][0]["id"] == media["id"]
    assert 'rel="tag"' in with_media["content"]
    with pytest.raises(MastodonAPIError, match="character limit"):
        api.status_post("x" * 2001)

    posted = [api.status_post(f"status {n}") for n in range(4)]
    newest_first = [s["id"] for s in posted[::-1]] + [with_media["id"]]
    def fanned_out() -> Any:
        page = api.timeline_home(limit=2)
        return page if [s["id"] for s in page] == newest_first[:2] else None

    first = _wait_for(fanned_out)
    second = api.fetch_next(first)
    assert second is not None
    third = api.fetch_next(second)
    assert third is not None and api.fetch_next(third) is None
    assert [[s["id"] for s in p] for p in (first, second, third)] == [
        newest_first[:2], newest_first[2:4], newest_first[4:]]
    back = api.fetch_previous(third)
    assert back is not None and [s["id"] for s in back] == newest_first[2:4]
    top = api.fetch_previous(back)
    assert top is not None and [s["id"] for s in top] == newest_first[:2]

    liked = api.status_favourite(posted[0])
    assert liked["favourited"] and liked["favourites_count"] == 1
    assert [a["username"] for a in api.status_favourited_by(posted[0])] == [user.username]
    reply = api.status_post("a reply", in_reply_to_id=posted[0])
    assert reply["in_reply_to_id"] == posted[0]["id"]
    assert [s["id"] for s in api.status_context(posted[0])["descendants"]] == [reply["id"]]
    edited = api.status_update(posted[1], "status one, edited")
    assert edited["content"] == "<p>status one, edited</p>" and edited["edited_at"] is not None
    deleted = api.status_delete(posted[1])
    assert deleted["text"] == "status one, edited"
    with pytest.raises(MastodonNotFoundError):
        api.status(posted[1])
