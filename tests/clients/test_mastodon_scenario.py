"""The issue's done-when, driven by Mastodon.py 2.3.3 unchanged on ``python -m local``, every answer validated
against Mastodon's entity definitions (``tests.clients.mastodon_schemas``).

Each test is one part of a client's life, with its own users, so a missing route fails its part only: apps and
both sign-ins, media and posting, following and favouriting with the notifications they make, the home
timeline's pages, search, edit and delete, revocation.
"""

from __future__ import annotations

import io
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from mastodon import Mastodon
from mastodon.errors import MastodonNotFoundError, MastodonUnauthorizedError
from PIL import Image

from tests.clients.mastodon_client import ALL_SCOPES, Client, ConsentForm, Recorder, create_app, sign_in
from tests.clients.mastodon_schemas import assert_entity
from tests.e2e.conftest import RunningPlatform, register_and_login

REDIRECT = "https://client.example/callback"
T = TypeVar("T")


def eventually(read: Callable[[], T], done: Callable[[T], bool], seconds: float = 30) -> T:
    """``read()`` again until ``done`` holds (fan-out, notifications and indexing are asynchronous)."""
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 90)).save(out, "PNG")
    return out.getvalue()


def ids(page: list[Any]) -> list[str]:
    return [str(item["id"]) for item in page]


@pytest.fixture
def ada(platform: RunningPlatform) -> Client:
    return sign_in(platform, register_and_login(platform, "ada"))


@pytest.fixture
def bob(platform: RunningPlatform) -> Client:
    return sign_in(platform, register_and_login(platform, "bob"))


def test_an_app_signs_in_with_a_password_and_the_answers_are_mastodon_entities(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "pw")
    recorder = Recorder()
    session = recorder.session()
    client_id, client_secret = create_app(platform, "scenario", session=session)
    assert_entity("CredentialApplication", recorder.json_of("POST", "/api/v1/apps"))
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url, session=session)
    api.log_in(user.username, user.password, scopes=ALL_SCOPES, allow_http=True)
    assert_entity("Token", recorder.json_of("POST", "/oauth/token"))

    me = api.account_verify_credentials()
    assert_entity("CredentialAccount", recorder.answers[-1][3])
    assert me["username"] == user.username
    api.app_verify_credentials()
    assert_entity("Application", recorder.answers[-1][3])
    api.preferences()
    assert_entity("Preferences", recorder.answers[-1][3])
    api.instance_v2()
    assert_entity("Instance", recorder.answers[-1][3])
    api.instance_v1()
    assert_entity("V1Instance", recorder.answers[-1][3])


def test_the_authorization_code_flow_through_the_consent_page(platform: RunningPlatform) -> None:
    user = register_and_login(platform, "code")
    recorder = Recorder()
    session = recorder.session()
    client_id, client_secret = create_app(platform, "scenario-code", redirect_uris=REDIRECT, session=session)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=platform.url, session=session)
    url = api.auth_request_url(redirect_uris=REDIRECT, scopes=["read", "write"], state="s1", allow_http=True)
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    form = ConsentForm()
    form.feed(page.text)
    answer = requests.post(platform.url + form.action, timeout=10, allow_redirects=False,
                           data={**form.fields, "username": user.username, "password": user.password})
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["state"] == ["s1"]

    api.log_in(code=query["code"][0], redirect_uri=REDIRECT, scopes=["read", "write"], allow_http=True)
    assert_entity("Token", recorder.json_of("POST", "/oauth/token"))
    assert api.account_verify_credentials()["username"] == user.username
    assert_entity("CredentialAccount", recorder.answers[-1][3])


def test_an_image_is_uploaded_processed_and_posted_with_a_status(ada: Client) -> None:
    media = ada.api.media_post(io.BytesIO(png()), mime_type="image/png", description="a pink square",
                               synchronous=True)
    assert_entity("MediaAttachment", ada.last_json())
    assert media["type"] == "image" and media["url"], media
    assert media["description"] == "a pink square"
    uploads = [(m, s, b) for m, s, b in [(a[0], a[2], a[3]) for a in ada.recorder.answers] if m == "POST"]
    assert uploads[-1][1] in (200, 202)  # /api/v2/media: 202 while processing, 200 once done

    status = ada.api.status_post("with a picture", media_ids=[media["id"]])
    assert_entity("ViewerStatus", ada.last_json())
    assert [m["id"] for m in status["media_attachments"]] == [media["id"]]
    assert status["account"]["username"] == ada.user.username
    fetched = ada.api.status(status["id"])
    assert_entity("ViewerStatus", ada.last_json())
    assert fetched["media_attachments"][0]["url"] == media["url"]


def test_following_and_favouriting_notify_the_other_account(ada: Client, bob: Client) -> None:
    found = ada.api.account_lookup(bob.user.username)
    assert_entity("Account", ada.last_json())
    relationship = ada.api.account_follow(found["id"])
    assert_entity("Relationship", ada.last_json())
    assert relationship["following"] is True and relationship["id"] == found["id"]
    ada.api.account_relationships([found["id"]])
    assert_entity("Relationship[]", ada.last_json())

    post = bob.api.status_post(f"favourite me {uuid.uuid4().hex[:6]}")
    favourited = ada.api.status_favourite(post["id"])
    assert_entity("ViewerStatus", ada.last_json())
    assert favourited["favourited"] is True and favourited["favourites_count"] == 1

    def kinds(page: list[Any]) -> set[tuple[str, str]]:
        return {(n["type"], n["account"]["username"]) for n in page}

    wanted = {("follow", ada.user.username), ("favourite", ada.user.username)}
    notifications = eventually(bob.api.notifications, lambda page: wanted <= kinds(page))
    assert_entity("Notification[]", bob.last_json())
    assert wanted <= kinds(notifications)
    favourite = next(n for n in notifications if n["type"] == "favourite")
    assert favourite["status"]["id"] == post["id"]

    grouped = bob.api.grouped_notifications()
    assert_entity("GroupedNotificationsResults", bob.last_json())
    assert {g["type"] for g in grouped["notification_groups"]} >= {"follow", "favourite"}


def test_the_home_timeline_pages_forward_and_back_without_gaps(ada: Client, bob: Client) -> None:
    ada.api.account_follow(bob.api.account_verify_credentials()["id"])
    posted = [str(bob.api.status_post(f"post {n}")["id"]) for n in range(12)]
    expected = sorted(posted, reverse=True)  # newest first: ids sort by time

    whole = eventually(lambda: ada.api.timeline_home(limit=40), lambda page: set(posted) <= set(ids(page)))
    assert_entity("ViewerStatus[]", ada.last_json())
    assert ids(whole) == expected

    first = ada.api.timeline_home(limit=4)
    second = ada.api.fetch_next(first)
    assert second is not None
    assert_entity("ViewerStatus[]", ada.last_json())
    third = ada.api.fetch_next(second)
    assert third is not None
    assert [ids(first), ids(second), ids(third)] == [expected[0:4], expected[4:8], expected[8:12]]

    back = ada.api.fetch_previous(third)
    assert back is not None and ids(back) == expected[4:8]
    assert_entity("ViewerStatus[]", ada.last_json())
    back = ada.api.fetch_previous(back)
    assert back is not None and ids(back) == expected[0:4]
    newest = ada.api.fetch_previous(back)
    assert not newest  # nothing newer than the newest


def test_search_finds_an_account_by_prefix_a_hashtag_and_a_status(ada: Client, bob: Client) -> None:
    word = f"zebra{uuid.uuid4().hex[:8]}"
    tag = f"tag{uuid.uuid4().hex[:8]}"
    post = bob.api.status_post(f"a {word} with #{tag}")

    accounts = ada.api.search_v2(bob.user.username[:7], result_type="accounts")
    assert_entity("Search", ada.last_json())
    assert bob.user.username in [a["username"] for a in accounts["accounts"]]

    tags = eventually(lambda: ada.api.search_v2(f"#{tag}", result_type="hashtags"),
                      lambda found: bool(found["hashtags"]))
    assert_entity("Search", ada.last_json())
    assert [t["name"].lower() for t in tags["hashtags"]] == [tag]

    statuses = eventually(lambda: ada.api.search_v2(word, result_type="statuses"),
                          lambda found: bool(found["statuses"]))
    assert_entity("Search", ada.last_json())
    assert ids(statuses["statuses"]) == [str(post["id"])]


def test_a_status_is_edited_then_deleted(ada: Client) -> None:
    status = ada.api.status_post("first words")
    edited = ada.api.status_update(status["id"], status="second words")
    assert_entity("ViewerStatus", ada.last_json())
    assert "second words" in edited["content"] and edited["edited_at"] is not None
    ada.api.status(status["id"])
    assert_entity("ViewerStatus", ada.last_json())

    deleted = ada.api.status_delete(status["id"])
    assert_entity("Status", ada.last_json())
    assert deleted["text"] == "second words"  # the source, for a redraft
    with pytest.raises(MastodonNotFoundError):
        ada.api.status(status["id"])
    assert_entity("Error", ada.last_json())


def test_a_revoked_token_is_refused(ada: Client) -> None:
    token = ada.api.access_token
    ada.api.revoke_access_token(allow_http=True)
    recorder = Recorder()
    stale = Mastodon(access_token=token, api_base_url=ada.api.api_base_url, session=recorder.session())
    for call in (stale.account_verify_credentials, stale.timeline_home):
        with pytest.raises(MastodonUnauthorizedError):
            call()
        assert recorder.answers[-1][2] == 401
        assert_entity("Error", recorder.answers[-1][3])


def test_every_read_a_client_makes_answers_mastodon_entities(ada: Client, bob: Client) -> None:
    """Beyond the scenario: each other read route, through Mastodon.py, against the entity it documents."""
    tag = f"tag{uuid.uuid4().hex[:8]}"
    bob_id = bob.api.account_verify_credentials()["id"]
    ada.api.account_follow(bob_id)
    post = bob.api.status_post(f"about #{tag}")
    reply = ada.api.status_post("a reply", in_reply_to_id=post["id"])
    assert_entity("ViewerStatus", ada.last_json())
    ada.api.status_favourite(post["id"])
    bob.api.status_update(post["id"], status=f"about #{tag}, edited")

    reads: list[tuple[str, Client, Callable[[], Any]]] = [
        ("Account", ada, lambda: ada.api.account(bob_id)),
        ("Account[]", ada, lambda: ada.api.accounts([bob_id])),
        ("ViewerStatus[]", ada, lambda: ada.api.account_statuses(bob_id)),
        ("Account[]", ada, lambda: ada.api.account_followers(bob_id)),
        ("Account[]", ada, lambda: ada.api.account_following(ada.api.account_verify_credentials()["id"])),
        ("Account[]", ada, lambda: ada.api.account_search(bob.user.username[:8])),
        ("Context", ada, lambda: ada.api.status_context(post["id"])),
        ("Context", ada, lambda: ada.api.status_context(reply["id"])),
        ("Account[]", ada, lambda: ada.api.status_favourited_by(post["id"])),
        ("StatusEdit[]", ada, lambda: ada.api.status_history(post["id"])),
        ("StatusSource", bob, lambda: bob.api.status_source(post["id"])),
        ("Tag", ada, lambda: ada.api.tag(tag)),
        ("Tag[]", ada, lambda: ada.api.trending_tags()),
        ("ViewerStatus[]", ada, lambda: ada.api.timeline_hashtag(tag)),
        ("ViewerStatus[]", ada, lambda: ada.api.timeline_public()),
        ("Relationship", ada, lambda: ada.api.account_unmute(bob_id)),
        ("Markers", bob, lambda: bob.api.markers_get(["notifications"])),
    ]
    for kind, client, read in reads:
        read()
        assert_entity(kind, client.last_json())

    notifications = eventually(bob.api.notifications, lambda page: len(page) >= 3)
    one = bob.api.notifications(id=notifications[0]["id"])
    assert_entity("Notification", bob.last_json())
    assert one["id"] == notifications[0]["id"]
    groups = bob.api.grouped_notifications()["notification_groups"]
    bob.api.grouped_notification(groups[0]["group_key"])
    assert_entity("GroupedNotificationsResults", bob.last_json())
    bob.api.grouped_notification_accounts(groups[0]["group_key"])
    assert_entity("Account[]", bob.last_json())
    bob.api.markers_set(["notifications"], [notifications[0]["id"]])
    assert_entity("Markers", bob.last_json())


def _pages_forth_and_back(api: Mastodon, first: Any, expected: list[str], size: int) -> None:
    """``first`` is a page of ``size``: ``fetch_next`` walks ``expected`` to its end, then ``fetch_previous`` walks
    back from the last page to the first, through the same pages."""
    pages = [first]
    while (page := api.fetch_next(pages[-1])):
        pages.append(page)
    assert [ids(page) for page in pages] == [expected[at:at + size] for at in range(0, len(expected), size)]
    back = [pages[-1]]
    while len(back) < len(pages) and (page := api.fetch_previous(back[-1])):
        back.append(page)
    assert [ids(page) for page in reversed(back)] == [ids(page) for page in pages]


def test_account_statuses_followers_and_notifications_page_with_link_headers(platform: RunningPlatform, ada: Client,
                                                                            bob: Client) -> None:
    bob_id = bob.api.account_verify_credentials()["id"]
    posted = [str(bob.api.status_post(f"page {n}")["id"]) for n in range(7)]
    _pages_forth_and_back(ada.api, ada.api.account_statuses(bob_id, limit=3), sorted(posted, reverse=True), 3)

    fans = [sign_in(platform, register_and_login(platform, f"fan{n}")) for n in range(3)]
    for fan in [*fans, ada]:
        fan.api.account_follow(bob_id)
    followers = ids(ada.api.account_followers(bob_id, limit=40))
    assert sorted(followers) == sorted([ada.user.username, *(fan.user.username for fan in fans)])
    _pages_forth_and_back(ada.api, ada.api.account_followers(bob_id, limit=2), followers, 2)

    for post in posted:
        ada.api.status_favourite(post)
    favourites = eventually(lambda: bob.api.notifications(types=["favourite"], limit=40),
                            lambda page: len(page) >= len(posted))
    assert sorted(str(n["status"]["id"]) for n in favourites) == sorted(posted)
    _pages_forth_and_back(bob.api, bob.api.notifications(types=["favourite"], limit=3), ids(favourites), 3)


def test_a_retried_post_with_the_same_idempotency_key_posts_once(ada: Client) -> None:
    key = uuid.uuid4().hex
    first = ada.api.status_post("only once", idempotency_key=key)
    again = ada.api.status_post("only once", idempotency_key=key)
    assert again["id"] == first["id"]
    assert ada.api.status_post("only once", idempotency_key=uuid.uuid4().hex)["id"] != first["id"]
    assert_entity("ViewerStatus", ada.last_json())
