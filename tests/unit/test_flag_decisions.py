"""What the flags decide: video uploads, direct messages, the digest and the coin rules follow the document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.channels import digest
from chalicelib.core.errors import Unprocessable
from chalicelib.flags import stores
from chalicelib.flags.document import load
from chalicelib.ledger.rules import Rules
from chalicelib.media import service
from chalicelib.realtime import conversations
from chalicelib.users.models import UserModel


class Document:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.content = load()
        self.write()

    def set(self, name: str, **entry: Any) -> None:
        self.content["values"][name] = entry
        self.write()

    def write(self) -> None:
        self.path.write_text(json.dumps(self.content))
        stores.flag_store.cache_clear()  # a fresh store: mtime granularity cannot hide a change


@pytest.fixture
def document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Document]:
    monkeypatch.setenv("FLAGS_FILE", str(tmp_path / "flags.json"))
    yield Document(tmp_path / "flags.json")
    stores.flag_store.cache_clear()


def test_video_uploads_off_refuses_videos_for_those_it_is_off_for(document: Document) -> None:
    document.set("video_uploads", enabled=True, users=["ada"])
    with pytest.raises(Unprocessable) as refused:
        service.create_media("bob", "video/mp4", 1000)
    assert refused.value.code == "video_uploads_disabled"


def test_direct_messages_off_are_refused_before_anything_is_stored(document: Document) -> None:
    document.set("direct_messages", enabled=False)
    with pytest.raises(Unprocessable) as refused:
        conversations.send_message("ada", "bob", "hello")
    assert refused.value.code == "direct_messages_disabled"


def test_the_digest_is_not_mailed_to_users_the_flag_is_off_for(document: Document) -> None:
    document.set("digest_email", enabled=False)
    user = UserModel("ada", email="ada@example.org")
    assert digest.mail_one(user, "2026-11-30", datetime(2026, 11, 30, tzinfo=UTC)) is False


def test_the_coin_rules_are_the_settings_until_a_flag_overrides_them(document: Document) -> None:
    assert Rules.from_settings() == Rules()  # the document's number flags are off: the settings' defaults
    document.set("coins_post", enabled=True, value=25)
    document.set("coins_daily_cap", enabled=True, value=100)
    rules = Rules.from_settings()
    assert (rules.post, rules.daily_cap, rules.like_received) == (25, 100, Rules().like_received)
