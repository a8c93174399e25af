"""Rebuilding from the tables: every row becomes a document; what the stream wrote or deleted stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from moto import mock_aws

from chalicelib.posts.models import PostModel
from chalicelib.search.local_backend import LocalSearchBackend
from chalicelib.search.port import PostDocument, Put, Remove
from chalicelib.search.reindex import batches, rebuild
from chalicelib.users.models import UserModel

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MODELS = (PostModel, UserModel)


@pytest.fixture
def tables() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with mock_aws():
            for model in MODELS:
                model._connection = None  # a connection made before mock_aws would bypass it
                model.create_table(read_capacity_units=1, write_capacity_units=1)
            yield
            for model in MODELS:
                model._connection = None


def _post(n: int, content: str) -> PostModel:
    return PostModel(f"p{n:03d}", author="ada", content=content, hashtags=["rebuilt"], mentions=[], likes_count=0,
                     comments_count=0, created_at=NOW)


def test_a_rebuild_adds_what_the_index_never_saw_and_keeps_what_the_stream_wrote(tables: None,
                                                                                  tmp_path: Path) -> None:
    for n in range(12):
        _post(n, f"table words {n}").save()
    UserModel("ada", user_id="u1", email="a@example.org", display_name="Ada Lovelace").save()
    backend = LocalSearchBackend(str(tmp_path / "search.db"))
    # The stream already brought a newer text of p000, and the delete of p001 (still in the table here).
    newer = PostDocument("p000", "ada", "stream words", ("rebuilt",), NOW)
    backend.bulk([Put("posts", "p000", 10**21, newer), Remove("posts", "p001", 10**21)])

    assert [len(batch) for batch in batches("posts", size=5)] == [5, 5, 2]
    outcome = rebuild(backend, "posts", size=5)
    assert (outcome.applied, outcome.stale, outcome.failed) == (10, 2, ())
    assert rebuild(backend, "users").applied == 1

    found = {hit.doc_id for hit in backend.search_posts("table", limit=50, after=None, now=NOW).hits}
    assert found == {f"p{n:03d}" for n in range(2, 12)}
    assert [hit.doc_id for hit in backend.search_posts("stream", limit=5, after=None, now=NOW).hits] == ["p000"]
    assert [hit.doc_id for hit in backend.search_users("love", limit=5, after=None).hits] == ["ada"]
    assert len(backend.tag_timeline("rebuilt", limit=50, before=None)) == 11
    assert rebuild(backend, "posts").applied == 0  # again: nothing changes
