"""Posts and comments as Mastodon Statuses: the content's HTML (escaped, links, mentions, hashtags, paragraphs),
the entity's shape, media attachments from the media record's variants, comment ids, and a fixed number of
DynamoDB reads per page whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pynamodb.models import Model

from chalicelib.core.ids import new_id
from chalicelib.mastodon.statuses import (
    comment_status_id,
    media_attachment,
    render_comments,
    render_statuses,
    split_status_id,
    status_html,
)
from chalicelib.media.models import MediaModel
from chalicelib.posts.models import COMMENT, LIKE, InteractionModel, PostModel
from chalicelib.users.models import UserModel
from tests.dynamo_calls import counted_tables

BASE = "https://social.example"
NOW = datetime(2026, 11, 30, 12, 0, 0, 123000, tzinfo=UTC)
MODELS: tuple[type[Model], ...] = (MediaModel, UserModel, InteractionModel)


def test_text_is_escaped_and_paragraphs_and_lines_are_kept() -> None:
    assert status_html("a <b>&\"c\"\nline two\n\n\n second", [], BASE) == (
        "<p>a &lt;b&gt;&amp;&quot;c&quot;<br>line two</p><p> second</p>")
    assert status_html("  \n\n ", [], BASE) == ""


def test_known_mentions_hashtags_and_links_are_marked_up_as_mastodon_does() -> None:
    text = "hi @Bob and @ghost, #News! https://x.org/a?b=1&c=<2>#top. mail a@bob.org #42"
    assert status_html(text, ["bob"], BASE) == (
        '<p>hi <span class="h-card"><a href="https://social.example/@bob" class="u-url mention">@<span>bob</span>'
        '</a></span> and @ghost, <a href="https://social.example/tags/news" class="mention hashtag" rel="tag">'
        '#<span>News</span></a>! <a href="https://x.org/a?b=1&amp;c=" rel="nofollow noopener" target="_blank">'
        'https://x.org/a?b=1&amp;c=</a>&lt;2&gt;<a href="https://social.example/tags/top" class="mention hashtag" '
        'rel="tag">#<span>top</span></a>. mail a@bob.org #42</p>')


def test_a_hashtag_inside_a_link_stays_part_of_the_link() -> None:
    html = status_html("see https://x.org/page#section", [], BASE)
    assert html.count("<a ") == 1 and 'href="https://x.org/page#section"' in html


def test_status_ids_name_a_post_or_a_comment_unambiguously() -> None:
    post, comment = new_id(), new_id()
    assert split_status_id(post) == (post, None)
    assert split_status_id(comment_status_id(post, comment)) == (post, comment)
    for bad in ("", "123", f"{post}-", f"{post}-x", f"-{post}", "../etc", f"{post}-{comment}-{comment}"):
        assert split_status_id(bad) is None


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The DynamoDB operations made, in order, from when the tables exist."""
    with counted_tables(monkeypatch, MODELS) as made:
        yield made


def _user(name: str) -> None:
    UserModel(name, user_id=f"sub-{name}", email=f"{name}@example.org", display_name=name.title(),
              created_at=NOW).save()


def _image(owner: str, status: str = "ready") -> MediaModel:
    media = MediaModel(new_id(), owner=owner, kind="image", content_type="image/png", declared_size=10,
                       status=status, upload_key=f"uploads/{owner}/x", created_at=NOW, updated_at=NOW,
                       description="a cat", blurhash="LEHV6nWB2yk8" if status == "ready" else None,
                       variants={"original": {"key": "media/m/original.png", "width": 1200, "height": 800},
                                 "small": {"key": "media/m/small.webp", "width": 400, "height": 267}}
                       if status == "ready" else None)
    media.save()
    return media


@pytest.mark.parametrize("size", [1, 20, 40])
def test_a_page_of_statuses_costs_three_reads_whatever_its_size(calls: list[str], size: int) -> None:
    for n in range(5):
        _user(f"author{n}")
    image = _image("author0")
    posts = [PostModel(new_id(), author=f"author{n % 5}", content=f"post {n} #tag @author1", created_at=NOW,
                       media_ids=[image.media_id] if n == 0 else [], hashtags=["tag"], mentions=["author1"],
                       likes_count=n, comments_count=1) for n in range(size)]
    InteractionModel(posts[0].post_id, LIKE + "reader", author="reader", post_author="author0", created_at=NOW).save()
    calls.clear()

    shown = render_statuses(posts, viewer="reader", base_url=BASE)

    assert calls == ["BatchGetItem"] * 3  # media, authors, the reader's likes
    assert [s.id for s in shown] == [p.post_id for p in posts]
    first = shown[0].model_dump(mode="json")
    assert first["favourited"] is True and first["favourites_count"] == 0 and first["replies_count"] == 1
    assert first["account"]["id"] == "author0" and first["account"]["display_name"] == "Author0"
    assert first["created_at"] == "2026-11-30T12:00:00.123Z" and first["edited_at"] is None
    assert first["url"] == f"{BASE}/@author0/{posts[0].post_id}" and first["visibility"] == "public"
    assert first["tags"] == [{"name": "tag", "url": f"{BASE}/tags/tag"}]
    assert first["mentions"] == [{"id": "author1", "username": "author1", "acct": "author1",
                                  "url": f"{BASE}/@author1"}]
    assert (first["reblog"], first["poll"], first["card"], first["in_reply_to_id"]) == (None, None, None, None)
    attachment = first["media_attachments"][0]
    assert attachment["type"] == "image" and attachment["url"].endswith("media/m/original.png")
    assert attachment["preview_url"].endswith("media/m/small.webp") and attachment["description"] == "a cat"
    assert attachment["meta"]["original"] == {"width": 1200, "height": 800, "size": "1200x800", "aspect": 1.5}
    assert attachment["meta"]["small"]["size"] == "400x267" and attachment["blurhash"] == "LEHV6nWB2yk8"
    assert all(not s.favourited for s in shown[1:])


def test_pending_media_has_no_url_and_a_gone_author_still_shows(calls: list[str]) -> None:
    pending = _image("gone", status="pending")
    assert media_attachment(pending).url is None and media_attachment(pending).preview_url is None
    post = PostModel(new_id(), author="gone", content="x", created_at=NOW, media_ids=[pending.media_id])
    shown = render_statuses([post], viewer=None, base_url=BASE)[0]
    assert shown.account.username == "gone" and shown.favourited is False
    assert shown.media_attachments[0].url is None


def test_comments_are_replies_to_their_post_in_one_read(calls: list[str]) -> None:
    _user("bob")
    _user("carol")
    post_id = new_id()
    comments = [InteractionModel(post_id, f"{COMMENT}{new_id()}", author="bob", post_author="carol",
                                 content=f"thanks @carol and @ghost #{n}x", created_at=NOW) for n in range(3)]
    calls.clear()
    shown = render_comments(comments, base_url=BASE)
    assert calls == ["BatchGetItem"]
    assert [s.id for s in shown] == [comment_status_id(post_id, c.sk.removeprefix(COMMENT)) for c in comments]
    assert {(s.in_reply_to_id, s.in_reply_to_account_id) for s in shown} == {(post_id, "carol")}
    assert [m.username for m in shown[0].mentions] == ["carol"] and "@ghost" in shown[0].content
    assert shown[0].tags[0].name == "0x" and shown[0].account.display_name == "Bob"
