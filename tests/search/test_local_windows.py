"""The embedded backend may score only the newest matches of common words; its answers equal scoring every match."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.search.local_backend import LocalSearchBackend
from chalicelib.search.port import PostDocument, Put

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _pages(backend: LocalSearchBackend, query: str, limit: int) -> list[str]:
    seen: list[str] = []
    after = None
    while True:
        page = backend.search_posts(query, limit=limit, after=after, now=NOW)
        seen += [hit.doc_id for hit in page.hits]
        after = page.after
        if after is None:
            return seen


def test_windows_rank_exactly_as_scoring_every_match(tmp_path: Path) -> None:
    rng = random.Random(3)
    words = ["sun", "sea", "sand", "salt", "sail", "storm", "star", "stone"]
    windowed = LocalSearchBackend(str(tmp_path / "windowed.db"), window=1)  # windows whenever there are 4 matches
    exhaustive = LocalSearchBackend(str(tmp_path / "all.db"), window=10**9)  # never
    operations = []
    for n in range(800):
        # Three months of posts, a few very popular: windows both settle pages and fall back.
        created = NOW - timedelta(hours=rng.uniform(0, 24 * 90))
        text = " ".join(rng.choices(words, k=rng.randint(2, 12)))
        likes = rng.choice([0, 0, 0, 1, 5, 40]) if n % 50 else 500
        operations.append(Put("posts", f"p{n:04d}", n + 1, PostDocument(f"p{n:04d}", "ada", text, (), created,
                                                                        likes=likes)))
    for backend in (windowed, exhaustive):
        assert backend.bulk(operations).applied == 800
    for query in ["sun", "s", "sea sand", "storm st", "stone salt sa", "sail"]:
        for limit in (1, 7, 50):
            first = windowed.search_posts(query, limit=limit, after=None, now=NOW).hits
            assert first == exhaustive.search_posts(query, limit=limit, after=None, now=NOW).hits, (query, limit)
        assert _pages(windowed, query, 13) == _pages(exhaustive, query, 13), query
