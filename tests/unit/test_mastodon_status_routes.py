"""The Mastodon face's statuses, media and timelines through Chalice's test client, on moto (in-process): each
route's answer and its errors in Mastodon's codes, paging with Link headers, and the home timeline's DynamoDB
calls against /v1/feed's."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws
from pynamodb.models import Model

from app import app
from chalicelib.auth.identity import Challenge, Tokens
from chalicelib.core import errors
from chalicelib.core.idempotency_model import IdempotencyModel
from chalicelib.core.ids import new_id
from chalicelib.core.routes import use_idempotency_store
from chalicelib.core.settings import get_settings
from chalicelib.core.tokens import Principal
from chalicelib.feed import recent
from chalicelib.feed.models import STARS, TimelineModel
from chalicelib.feed.timeline import add_posts
from chalicelib.mastodon import oauth, routing, timeline_routes
from chalicelib.mastodon.models import MastodonAppModel, MastodonCodeModel, MastodonTokenModel
from chalicelib.mastodon.oauth import Authority
from chalicelib.mastodon.store import DynamoOAuthStore
from chalicelib.media.models import MediaModel
from chalicelib.posts import service
from chalicelib.posts.models import InteractionModel, PostModel
from chalicelib.resources import MEDIA_FILES, UPLOADS
from chalicelib.users.models import FollowModel, UserModel
from tests.dynamo_calls import counted_calls
from tests.unit.jwks import ISSUER, JwksServer, SigningKey, access_claims, jwks_server
from tests.unit.test_mastodon_oauth import Clock, FakeIdentity

PASSWORD = "Correct-horse-1"
USERS = ("ada", "bob", "celeb")
BUCKET = "uploads-test"
MODELS: tuple[type[Model], ...] = (UserModel, FollowModel, PostModel, TimelineModel, MediaModel,
                                   IdempotencyModel, MastodonAppModel, MastodonCodeModel, MastodonTokenModel,
                                   InteractionModel)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(120)
KEY = SigningKey("status-routes")


class Identity(FakeIdentity):
    """Cognito's part for several users: an access token names its user (``access:<name>:<n>``)."""

    def login(self, username: str, password: str) -> Tokens | Challenge:
        if username not in USERS or password != PASSWORD:
            raise errors.Unauthorized("invalid_credentials", "wrong username, password or token")
        self.issued += 1
        return Tokens(access_token=f"access:{username}:{self.issued}", id_token="id", refresh_token="r",
                      expires_in=3600)


def _verify(access_token: str) -> Principal:
    name = access_token.split(":")[1]
    return Principal(user_id=f"sub-{name}", username=name, groups=frozenset(), token_use="access")


@dataclass
class World:
    client: Client
    authority: Authority
    calls: list[str]
    client_id: str
    secret: str

    def token(self, user: str = "ada", scope: str = "read write") -> dict[str, str]:
        issued = self.authority.password_grant(self.client_id, self.secret, user, PASSWORD, scope)
        return {"Authorization": f"Bearer {issued.access_token}"}


@pytest.fixture(scope="module")
def jwks() -> Iterator[JwksServer]:
    with jwks_server(KEY) as running:
        yield running


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, jwks: JwksServer) -> Iterator[World]:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv(UPLOADS.env_var, BUCKET)
    monkeypatch.setenv("JWKS_URL", jwks.url)
    monkeypatch.setenv("TOKEN_ISSUER", ISSUER)
    monkeypatch.setenv("USER_POOL_CLIENT_ID", "test-client")
    monkeypatch.setenv(MEDIA_FILES.url_env_var, "https://cdn.example")
    get_settings.cache_clear()
    from chalicelib.core import routes

    routes._verifier.cache_clear()
    timeline_routes._stars.clear()
    with mock_aws():
        for model in MODELS:
            model._connection = None  # a connection made before mock_aws would bypass it
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=BUCKET)
        for name in USERS:
            UserModel(name, user_id=f"sub-{name}", email=f"{name}@example.org", display_name=name.title()).save()
        authority = Authority(DynamoOAuthStore(), Identity(), verify=_verify, clock=Clock())
        app_, secret = authority.register_app("Tusky", ["urn:ietf:wg:oauth:2.0:oob"], "read write follow", None)
        routing.use_authority(authority)
        use_idempotency_store(None)
        made = counted_calls(monkeypatch)
        with Client(app) as client:
            yield World(client, authority, made, app_.client_id, secret)
        routing.use_authority(None)
        use_idempotency_store(None)
        for model in MODELS:
            model._connection = None
    get_settings.cache_clear()
    routes._verifier.cache_clear()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _body(answer: Any) -> Any:
    return json.loads(answer.body) if answer.body else None


def _post_status(world: World, body: str, headers: dict[str, str] | None = None) -> Any:
    return world.client.http.post("/api/v1/statuses", body=body.encode(),
                                  headers={**FORM, **(headers or world.token())})


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes] | None) -> tuple[bytes, dict[str, str]]:
    boundary = "XyZboundary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    if file is not None:
        name, content_type, data = file
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


# --- statuses ----------------------------------------------------------------------------------------------

def test_a_posted_status_renders_its_content_and_reads_back(world: World) -> None:
    answer = _post_status(world, "status=Hi+%40bob+%3Cb%3E+%23News+https%3A%2F%2Fx.org%2Fa&visibility=public")
    assert answer.status_code == 200, answer.body
    status = _body(answer)
    assert status["account"]["username"] == "ada" and status["visibility"] == "public"
    assert status["content"] == (
        '<p>Hi <span class="h-card"><a href="http://localhost/@bob" class="u-url mention">@<span>bob</span></a>'
        '</span> &lt;b&gt; <a href="http://localhost/tags/news" class="mention hashtag" rel="tag">#<span>News'
        '</span></a> <a href="https://x.org/a" rel="nofollow noopener" target="_blank">https://x.org/a</a></p>')
    assert [t["name"] for t in status["tags"]] == ["news"] and status["mentions"][0]["username"] == "bob"
    read = world.client.http.get(f"/api/v1/statuses/{status['id']}")  # no token: public
    assert read.status_code == 200 and _body(read)["content"] == status["content"]
    assert _body(read)["favourited"] is False


def test_status_text_and_options_are_refused_in_mastodons_words(world: World) -> None:
    cases = [
        ("status=" + "a" * 2001, "Validation failed: Text character limit of 2000 exceeded"),
        ("status=+", "Validation failed: Text can't be blank"),
        ("status=x&visibility=private", "Validation failed: Visibility private is not supported"),
        ("status=x&poll[options][]=a&poll[options][]=b&poll[expires_in]=60", "Validation failed: Polls are not "
         "supported"),
        ("status=x" + "".join(f"&media_ids[]={new_id()}" for _ in range(5)), "Cannot attach more than 4 files"),
        (f"status=x&media_ids[]={new_id()}", None),
    ]
    for body, error in cases:
        answer = _post_status(world, body)
        assert answer.status_code == 422, (body, answer.body)
        if error is not None:
            assert _body(answer) == {"error": error}
    assert PostModel.count() == 0


def test_a_write_status_needs_write_scope(world: World) -> None:
    answer = _post_status(world, "status=hi", world.token(scope="read"))
    assert (answer.status_code, _body(answer)) == (403, {"error": "This action is outside the authorized scopes"})


def test_an_idempotency_key_makes_one_status(world: World) -> None:
    headers = {**world.token(), "Idempotency-Key": "k-1"}
    first, again = _post_status(world, "status=once", headers), _post_status(world, "status=once", headers)
    assert first.status_code == again.status_code == 200 and _body(first)["id"] == _body(again)["id"]
    assert PostModel.count() == 1


def test_unknown_and_malformed_ids_are_404(world: World) -> None:
    for status_id in (new_id(), "12345", f"{new_id()}-{new_id()}", "x" * 300):
        for method, path in (("GET", ""), ("GET", "/context"), ("POST", "/favourite"), ("DELETE", ""),
                             ("GET", "/source"), ("POST", "/reblog"), ("GET", "/reblogged_by")):
            answer = world.client.http.request(method, f"/api/v1/statuses/{status_id}{path}", headers=world.token())
            assert (answer.status_code, _body(answer)) == (404, {"error": "Record not found"}), (method, path)


def test_only_the_author_edits_or_deletes_and_others_get_404(world: World) -> None:
    status = _body(_post_status(world, "status=first"))
    bob = world.token("bob")
    for answer in (world.client.http.delete(f"/api/v1/statuses/{status['id']}", headers=bob),
                   world.client.http.put(f"/api/v1/statuses/{status['id']}", body=b"status=mine", headers={
                       **FORM, **bob})):
        assert (answer.status_code, _body(answer)) == (404, {"error": "Record not found"})
    edited = world.client.http.put(f"/api/v1/statuses/{status['id']}", body=b"status=second", headers={
        **FORM, **world.token()})
    assert edited.status_code == 200 and _body(edited)["content"] == "<p>second</p>" and _body(edited)["edited_at"]
    source = _body(world.client.http.get(f"/api/v1/statuses/{status['id']}/source", headers=world.token()))
    assert source == {"id": status["id"], "text": "second", "spoiler_text": ""}
    history = _body(world.client.http.get(f"/api/v1/statuses/{status['id']}/history", headers=world.token()))
    assert [h["content"] for h in history] == ["<p>second</p>"]
    deleted = world.client.http.delete(f"/api/v1/statuses/{status['id']}", headers=world.token())
    assert deleted.status_code == 200 and _body(deleted)["text"] == "second"
    gone = world.client.http.get(f"/api/v1/statuses/{status['id']}")
    assert gone.status_code == 404


def test_a_reply_is_a_comment_seen_in_the_context(world: World) -> None:
    post = _body(_post_status(world, "status=question"))
    reply = _post_status(world, f"status=answer+%40ada&in_reply_to_id={post['id']}", world.token("bob"))
    assert reply.status_code == 200, reply.body
    comment = _body(reply)
    assert comment["in_reply_to_id"] == post["id"] and comment["in_reply_to_account_id"] == "ada"
    assert comment["id"].startswith(post["id"] + "-") and comment["account"]["username"] == "bob"
    assert _body(world.client.http.get(f"/api/v1/statuses/{comment['id']}"))["content"] == comment["content"]
    context = _body(world.client.http.get(f"/api/v1/statuses/{post['id']}/context"))
    assert context == {"ancestors": [], "descendants": [comment]}
    up = _body(world.client.http.get(f"/api/v1/statuses/{comment['id']}/context"))
    assert [s["id"] for s in up["ancestors"]] == [post["id"]] and up["descendants"] == []
    assert _body(world.client.http.get(f"/api/v1/statuses/{post['id']}"))["replies_count"] == 1
    not_yours = world.client.http.delete(f"/api/v1/statuses/{comment['id']}", headers=world.token())
    assert not_yours.status_code == 404
    deleted = world.client.http.delete(f"/api/v1/statuses/{comment['id']}", headers=world.token("bob"))
    assert deleted.status_code == 200 and _body(deleted)["text"] == "answer @ada"
    assert _body(world.client.http.get(f"/api/v1/statuses/{post['id']}/context"))["descendants"] == []
    unknown = _post_status(world, f"status=x&in_reply_to_id={new_id()}")
    assert unknown.status_code == 404


def test_favourites_count_and_show_who_liked(world: World) -> None:
    post = _body(_post_status(world, "status=like+me"))
    for user in ("bob", "celeb"):
        liked = world.client.http.post(f"/api/v1/statuses/{post['id']}/favourite", headers=world.token(user))
        assert liked.status_code == 200 and _body(liked)["favourited"] is True
    shown = _body(world.client.http.get(f"/api/v1/statuses/{post['id']}", headers=world.token("bob")))
    assert shown["favourites_count"] == 2 and shown["favourited"] is True
    page = world.client.http.get(f"/api/v1/statuses/{post['id']}/favourited_by?limit=1")
    assert [a["username"] for a in _body(page)] == ["bob"]
    following = re.search(r"<([^>]+)>; rel=\"next\"", page.headers["Link"])
    assert following is not None and "max_id=bob" in following.group(1)
    rest = world.client.http.get(following.group(1).removeprefix("http://localhost"))
    assert [a["username"] for a in _body(rest)] == ["celeb"] and "Link" not in rest.headers
    hostile = world.client.http.get(f"/api/v1/statuses/{post['id']}/favourited_by?max_id={'z' * 2000}")
    assert hostile.status_code == 422
    undone = world.client.http.post(f"/api/v1/statuses/{post['id']}/unfavourite", headers=world.token("bob"))
    assert _body(undone)["favourited"] is False and _body(undone)["favourites_count"] == 1
    wrong_scope = world.client.http.post(f"/api/v1/statuses/{post['id']}/favourite",
                                         headers=world.token("bob", "read"))
    assert wrong_scope.status_code == 403


def test_features_the_platform_lacks_answer_without_a_5xx(world: World) -> None:
    post = _body(_post_status(world, "status=plain"))
    for action in ("reblog", "bookmark", "pin", "mute"):
        refused = world.client.http.post(f"/api/v1/statuses/{post['id']}/{action}", headers=world.token())
        assert (refused.status_code, _body(refused)) == (403, {"error": "This action is not allowed"})
        undone = world.client.http.post(f"/api/v1/statuses/{post['id']}/un{action}", headers=world.token())
        assert undone.status_code == 200 and _body(undone)["id"] == post["id"]
    assert _body(world.client.http.get(f"/api/v1/statuses/{post['id']}/reblogged_by")) == []
    assert _body(world.client.http.get("/api/v1/timelines/public")) == []


# --- media -------------------------------------------------------------------------------------------------

def test_an_upload_lands_where_the_pipeline_expects_it_and_is_206_until_processed(world: World) -> None:
    body, headers = _multipart({"description": "a dot", "focus": "0.5,-0.25"}, ("dot.png", "image/png", PNG))
    answer = world.client.http.post("/api/v2/media", body=body, headers={**headers, **world.token()})
    assert answer.status_code == 202, answer.body
    attachment = _body(answer)
    assert attachment["url"] is None and attachment["type"] == "image" and attachment["description"] == "a dot"
    assert attachment["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    media = MediaModel.get(attachment["id"])
    stored = boto3.client("s3", region_name="us-east-1").get_object(Bucket=BUCKET, Key=media.upload_key)
    assert stored["Body"].read() == PNG and media.upload_key == f"uploads/ada/{media.media_id}"
    assert world.client.http.get(f"/api/v1/media/{media.media_id}", headers=world.token()).status_code == 206
    assert world.client.http.get(f"/api/v1/media/{media.media_id}", headers=world.token("bob")).status_code == 404
    media.update(actions=[MediaModel.status.set("ready"), MediaModel.variants.set(
        {"original": {"key": f"media/{media.media_id}/original.png", "width": 4, "height": 2}})])
    ready = world.client.http.get(f"/api/v1/media/{media.media_id}", headers=world.token())
    assert ready.status_code == 200 and _body(ready)["url"] == f"https://cdn.example/media/{media.media_id}/original.png"
    changed = world.client.http.put(f"/api/v1/media/{media.media_id}", body=b"description=two+dots",
                                    headers={**FORM, **world.token()})
    assert _body(changed)["description"] == "two dots"
    status = _post_status(world, f"status=look&media_ids[]={media.media_id}")
    assert _body(status)["media_attachments"][0]["meta"]["original"]["aspect"] == 2.0


def test_bad_uploads_are_refused_in_mastodons_codes(world: World) -> None:
    token = world.token()
    no_file, headers = _multipart({"description": "x"}, None)
    answer = world.client.http.post("/api/v2/media", body=no_file, headers={**headers, **token})
    assert (answer.status_code, _body(answer)) == (422, {"error": "Validation failed: File can't be blank"})
    text, headers = _multipart({}, ("a.txt", "text/plain", b"hello"))
    answer = world.client.http.post("/api/v1/media", body=text, headers={**headers, **token})
    assert _body(answer) == {"error": "Validation failed: File content type is invalid, File is invalid"}
    broken = world.client.http.post("/api/v2/media", body=b"--nope\r\n\r\n", headers={
        "Content-Type": "multipart/form-data; boundary=XyZ", **token})
    assert broken.status_code in (400, 422) and "error" in _body(broken)
    focus, headers = _multipart({"focus": "3,3"}, ("dot.png", "image/png", PNG))
    assert world.client.http.post("/api/v2/media", body=focus, headers={**headers, **token}).status_code == 422
    sniffed, headers = _multipart({}, ("dot", "application/octet-stream", PNG))
    answer = world.client.http.post("/api/v2/media", body=sniffed, headers={**headers, **token})
    assert answer.status_code == 202 and MediaModel.get(_body(answer)["id"]).content_type == "image/png"
    read_only = world.client.http.post("/api/v2/media", body=sniffed, headers={**headers, **world.token(
        scope="read")})
    assert read_only.status_code == 403
    assert MediaModel.count() == 1


# --- timelines ---------------------------------------------------------------------------------------------

def _feed(world: World, count: int) -> list[str]:
    """``count`` posts in bob's home timeline (fan-out's entries written directly), and a celebrity he follows
    whose posts are merged in on read; ids newest first."""
    ids = []
    for n in range(count):
        author = "celeb" if n % 4 == 0 else "ada"
        post = service.create_post(Principal(f"sub-{author}", author, frozenset(), "access"), f"post {n}", [])
        if author == "ada":
            add_posts("bob", [(post.post_id, author)])
        else:  # what fan-out keeps for a celebrity's post
            recent.record(author, post.post_id)
        ids.append(post.post_id)
    TimelineModel("bob", STARS, stars={"celeb"}).save()
    return ids[::-1]


def _links(answer: Any) -> dict[str, str]:
    return {rel: url.removeprefix("http://localhost")
            for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', answer.headers.get("Link", ""))}


def test_home_pages_forward_and_back_with_link_headers(world: World) -> None:
    ids = _feed(world, 9)
    bob = world.token("bob")
    first = world.client.http.get("/api/v1/timelines/home?limit=3", headers=bob)
    assert [s["id"] for s in _body(first)] == ids[:3]
    assert _links(first)["next"] == f"/api/v1/timelines/home?limit=3&max_id={ids[2]}"
    assert _links(first)["prev"] == f"/api/v1/timelines/home?limit=3&min_id={ids[0]}"
    second = world.client.http.get(_links(first)["next"], headers=bob)
    third = world.client.http.get(_links(second)["next"], headers=bob)
    assert [s["id"] for s in _body(second)] == ids[3:6] and [s["id"] for s in _body(third)] == ids[6:9]
    assert "next" not in _links(third)
    back = world.client.http.get(_links(third)["prev"], headers=bob)
    assert [s["id"] for s in _body(back)] == ids[3:6]
    top = world.client.http.get(_links(back)["prev"], headers=bob)
    assert [s["id"] for s in _body(top)] == ids[:3]
    newer = world.client.http.get(_links(top)["prev"], headers=bob)
    assert _body(newer) == [] and "Link" not in newer.headers
    since = world.client.http.get(f"/api/v1/timelines/home?since_id={ids[2]}", headers=bob)
    assert [s["id"] for s in _body(since)] == ids[:2]
    unknown = world.client.http.get(f"/api/v1/timelines/home?max_id={'Z' * 99}&min_id=%00", headers=bob)
    assert unknown.status_code == 200 and [s["id"] for s in _body(unknown)] == ids[:3 * 3][:20]  # ignored ids
    for bad in (f"max_id={'Z' * 101}", "limit=x"):  # as every Mastodon list here (mastodon.paging)
        assert world.client.http.get(f"/api/v1/timelines/home?{bad}", headers=bob).status_code == 422
    clamped = world.client.http.get("/api/v1/timelines/home?limit=41", headers=bob)  # clamped, as Mastodon does
    assert [s["id"] for s in _body(clamped)] == ids[:40]
    assert [s["id"] for s in _body(world.client.http.get("/api/v1/timelines/home?limit=-3", headers=bob))] == ids[:1]
    assert world.client.http.get("/api/v1/timelines/home").status_code == 401


def test_the_home_timeline_costs_what_v1_feed_costs(world: World) -> None:
    """Per page, after a first request of each (the /v1 admission's profile read is cached per process, the
    celebrities followed too, and the Mastodon token's admission): /v1/feed's reads and nothing more, but for
    the one request in SYNC_EVERY that adds the token's count to its record (one UpdateItem)."""
    _feed(world, 30)
    for post in PostModel.scan():
        if post.author == "ada" and post.content.endswith("1"):
            service.like(Principal("sub-bob", "bob", frozenset(), "access"), post.post_id)
    mastodon = world.token("bob")
    v1 = {"Authorization": f"Bearer {KEY.sign(access_claims(sub='sub-bob', username='bob'))}"}
    world.client.http.get("/v1/feed?limit=5", headers=v1)
    world.client.http.get("/api/v1/timelines/home?limit=5", headers=mastodon)

    def pages(first: str, headers: dict[str, str], next_of: Any) -> list[list[str]]:
        costs, path = [], first
        for _ in range(3):
            world.calls.clear()
            answer = world.client.http.get(path, headers=headers)
            assert answer.status_code == 200, answer.body
            costs.append(list(world.calls))
            path = next_of(answer)
        return costs

    v1_costs = pages("/v1/feed?limit=5", v1, lambda a: f"/v1/feed?limit=5&cursor={_body(a)['next_cursor']}")
    masto_costs = pages("/api/v1/timelines/home?limit=5", mastodon, lambda a: _links(a)["next"])
    for v1_page, masto_page in zip(v1_costs, masto_costs, strict=True):
        assert sorted(masto_page) == sorted(v1_page), (v1_page, masto_page)
    assert v1_costs[0].count("Query") == 1  # the timeline; the celebrity's posts come from their recent ids
    # A later page first in a process (the celebrities not remembered): one GetItem of the STARS row more.
    timeline_routes._stars.clear()
    world.calls.clear()
    world.client.http.get(f"/api/v1/timelines/home?limit=5&max_id={new_id()}", headers=mastodon)
    assert sorted(world.calls) == sorted([*v1_costs[1], "GetItem"])
    # Four requests admitted from memory since the token's count was written; the tenth writes them (UpdateItem).
    updates = []
    for _ in range(oauth.SYNC_EVERY - 4):
        world.calls.clear()
        world.client.http.get("/api/v1/timelines/home?limit=5", headers=mastodon)
        updates.append(world.calls.count("UpdateItem"))
    assert updates == [0] * (oauth.SYNC_EVERY - 5) + [1]


def test_a_tag_timeline_pages_the_search_index_and_needs_no_token(world: World, tmp_path: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.core.environment import SEARCH_SQLITE_FILE
    from chalicelib.search import backends
    from chalicelib.search.indexer import post_document
    from chalicelib.search.port import Put

    unconfigured = world.client.http.get("/api/v1/timelines/tag/news")
    assert unconfigured.status_code == 503 and "unavailable" in _body(unconfigured)["error"]
    monkeypatch.setenv(SEARCH_SQLITE_FILE, str(tmp_path / "search.db"))
    backends.backend.cache_clear()
    try:
        ada = Principal("sub-ada", "ada", frozenset(), "access")
        posts = [service.create_post(ada, f"#News number {n}", []) for n in range(5)]
        service.create_post(ada, "no tag here", [])
        backends.backend().bulk([Put("posts", p.post_id, 1, post_document(p)) for p in posts])
        ids = [p.post_id for p in posts][::-1]
        first = world.client.http.get("/api/v1/timelines/tag/News?limit=2")
        second = world.client.http.get(_links(first)["next"])
        third = world.client.http.get(_links(second)["next"], headers=world.token("bob"))
        assert [[s["id"] for s in _body(a)] for a in (first, second, third)] == [ids[:2], ids[2:4], ids[4:]]
        assert "next" not in _links(third) and _links(third)["prev"].endswith(f"min_id={ids[4]}")
        since = world.client.http.get(f"/api/v1/timelines/tag/news?since_id={ids[2]}")
        assert [s["id"] for s in _body(since)] == ids[:2]
        assert world.client.http.get("/api/v1/timelines/tag/" + "x" * 60).status_code == 422
    finally:
        backends.backend.cache_clear()


def test_hostile_requests_get_mastodons_4xx_never_a_5xx(world: World) -> None:
    post = _body(_post_status(world, "status=target"))
    token = world.token()
    json_headers = {"Content-Type": "application/json", **token}
    requests: list[tuple[str, str, bytes, dict[str, str]]] = [
        ("POST", "/api/v1/statuses", b'{"status": 5}', json_headers),
        ("POST", "/api/v1/statuses", b'{"status": "x", "media_ids": "abc"}', json_headers),
        ("POST", "/api/v1/statuses", b'{"status": "x", "media_ids": [{"a": 1}]}', json_headers),
        ("POST", "/api/v1/statuses", b'{"status": "x", "sensitive": "maybe"}', json_headers),
        ("POST", "/api/v1/statuses", b'{"status": "x", "in_reply_to_id": "../../etc"}', json_headers),
        ("POST", "/api/v1/statuses", b"[1, 2]", json_headers),
        ("POST", "/api/v1/statuses", b"{not json", json_headers),
        ("POST", "/api/v1/statuses", b"status=a\x00b", {**FORM, **token}),
        ("POST", "/api/v1/statuses", b"status=x&media_ids[][]=1", {**FORM, **token}),
        ("PUT", f"/api/v1/statuses/{post['id']}", b'{"status": ""}', json_headers),
        ("PUT", f"/api/v1/statuses/{post['id']}", b'{"status": "x", "media_ids": ["a"]}', json_headers),
        ("PUT", "/api/v1/media/%00", b"description=x", {**FORM, **token}),
        ("PUT", f"/api/v1/media/{new_id()}", b"focus=a,b", {**FORM, **token}),
        ("GET", "/api/v1/media/..%2F..", b"", token),
        ("GET", "/api/v1/timelines/home?max_id=%F0%9F%98%80&since_id=-1&min_id=", b"", token),
        ("GET", "/api/v1/timelines/tag/%23?limit=-5", b"", {}),
        ("GET", f"/api/v1/statuses/{post['id']}/favourited_by?limit=1000", b"", {}),
        ("POST", "/api/v2/media", b"x" * 100, {"Content-Type": "multipart/form-data", **token}),
        ("POST", "/api/v2/media", b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n",
         {"Content-Type": "multipart/form-data; boundary=b", **token}),
    ]
    for method, path, body, headers in requests:
        answer = world.client.http.request(method, path, body=body, headers=headers)
        assert 400 <= answer.status_code < 500 or answer.status_code == 200, (method, path, body, answer.body)
        assert answer.status_code == 200 or "error" in _body(answer), (method, path, answer.body)
