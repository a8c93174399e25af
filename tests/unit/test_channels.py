"""Channels' pure parts: what a notification says, unsubscribe tokens, the outbox's rendering, the digest's plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.channels import content, unsubscribe
from chalicelib.channels.digest import start
from chalicelib.channels.templates import TEMPLATES
from chalicelib.core.errors import BadRequest
from local.outbox import render


@pytest.fixture(autouse=True)
def process_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keys of this process only (a platform started earlier in the session may have left its secrets cached),
    and settings read again afterwards (a platform started later in the session needs its own)."""
    from chalicelib.core.pagination import cursor_codec
    from chalicelib.core.settings import get_settings

    monkeypatch.delenv(unsubscribe.UNSUBSCRIBE_KEY.env_var, raising=False)
    monkeypatch.delenv("CURSOR_KEY_SECRET_ARN", raising=False)
    for cache in (unsubscribe._codec, cursor_codec, get_settings):
        cache.cache_clear()
    yield
    for cache in (unsubscribe._codec, cursor_codec, get_settings):
        cache.cache_clear()


@pytest.mark.parametrize(("notification", "said"), [
    ({"type": "like", "actor": "bob", "count": 1}, "bob liked your post"),
    ({"type": "like", "actor": "bob", "count": 2}, "bob and 1 other liked your post"),
    ({"type": "follow", "actor": "eve", "count": 25}, "eve and 24 others followed you"),
    ({"type": "mention", "actor": "ann"}, "ann mentioned you"),
    ({"type": "coins", "actor": None, "count": 3}, "You earned coins"),
    ({"type": "unknown"}, "someone did something"),
])
def test_summaries_say_who_did_what(notification: dict[str, object], said: str) -> None:
    assert content.summary(notification) == said


def test_digest_items_escape_what_users_wrote() -> None:
    text, html = content.digest_items([{"type": "comment", "actor": "<script>", "count": 1}])
    assert text == "- <script> commented on your post"
    assert html == "<li>&lt;script&gt; commented on your post</li>"


def test_an_unsubscribe_token_names_its_user_and_nothing_else_verifies() -> None:
    token = unsubscribe.token_for("ada")
    assert unsubscribe.username_of(token) == "ada"
    payload, _, mac = token.partition(".")
    for bad in (f"{payload}.{mac[::-1]}", f"{unsubscribe.token_for('bob').partition('.')[0]}.{mac}", payload, "",
                None, "é.é"):
        with pytest.raises(BadRequest):
            unsubscribe.username_of(bad)


def test_a_cursor_is_not_an_unsubscribe_token() -> None:
    from chalicelib.core.pagination import cursor_codec

    with pytest.raises(BadRequest):
        unsubscribe.username_of(cursor_codec().encode("unsubscribe", {"u": "ada"}))


def test_the_outbox_renders_templates_as_handlebars_does() -> None:
    data = {"name": "<b>", "items_html": "<li>x</li>"}
    assert render("Hi {{name}} {{{items_html}}} {{missing}}", data, escape=True) == "Hi &lt;b&gt; <li>x</li> "
    assert render("Hi {{ name }}", data, escape=False) == "Hi <b>"


def test_every_template_has_an_unsubscribe_link_in_both_parts() -> None:
    for template in TEMPLATES:
        assert "{{unsubscribe_url}}" in template.text and 'href="{{unsubscribe_url}}"' in template.html


def test_the_digest_starts_one_job_per_segment_for_the_schedules_day() -> None:
    jobs = start(datetime(2026, 11, 30, 20, 0, 5, tzinfo=UTC), segments=4)
    assert [(j["day"], j["segment"], j["segments"], j["start_key"]) for j in jobs] == [
        ("2026-11-30", s, 4, None) for s in range(4)]
