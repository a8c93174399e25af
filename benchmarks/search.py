"""Search on the embedded backend: indexing through the stream path, and query latency, at 100,000 posts.

Indexing: 100,000 posts (a Zipf-like vocabulary of 20,000 words, 6-30 words each, a hashtag in one
post of three) are turned into DynamoDB stream records as Lambda delivers them (``local.events``,
the posts table's images, batches of 100 as the handler's ``batch_size``) and given to the indexer's
code path (``chalicelib.search.indexer.index_records`` with ``post_operation``, what ``index_posts``
runs) over ``LocalSearchBackend`` on a file. Printed: documents per second, and bulk requests per
1,000 stream records (one per batch is the goal).

Searching: 300 queries of each kind against the full index, each ``search_posts(limit=20)``:
single words (drawn from the vocabulary by frequency, so common words come up often), two-word
queries taken from real posts ("phrases": both words must match), and prefixes (a word's first three
letters, matched as a prefix). Printed: p50 and p95 per kind (goal: p95 under 50 ms).

Usage: ``python -m benchmarks.search [posts]`` (``make bench`` runs it with 100,000).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from chalice.app import DynamoDBEvent

import local  # noqa: F401  (puts runtime/ on sys.path, for the runtime's imports below)
from chalicelib.posts.models import PostModel
from chalicelib.search.indexer import index_records, post_operation
from chalicelib.search.local_backend import LocalSearchBackend
from chalicelib.search.port import BulkOutcome, Operation
from local.events import dynamodb_event, dynamodb_record

POSTS = 100_000
BATCH = 100  # the indexer's batch_size (chalicelib/search/handlers.py)
QUERIES = 300
VOCABULARY = 20_000
STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/social-bench-posts/stream/2026-01-01T00:00:00.000"
FIRST_SEQUENCE = 1100000000017454423009  # moto's first sequence number


class CountingBackend:
    """The local backend, counting the bulk requests it is sent."""

    def __init__(self, inner: LocalSearchBackend) -> None:
        self.inner, self.requests = inner, 0

    def bulk(self, operations: Sequence[Operation]) -> BulkOutcome:
        self.requests += 1
        return self.inner.bulk(operations)


def _words(rng: random.Random) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    made: dict[str, None] = {}
    while len(made) < VOCABULARY:
        made["".join(rng.choice(letters) for _ in range(rng.randint(3, 10)))] = None
    return list(made)


def _posts(count: int, words: list[str], rng: random.Random) -> list[PostModel]:
    weights = [1.0 / (rank + 1) for rank in range(len(words))]  # Zipf: the first words are the common ones
    start = datetime(2026, 11, 1, tzinfo=UTC)
    posts = []
    for n in range(count):
        text = rng.choices(words, weights, k=rng.randint(6, 30))
        tags = [rng.choice(words[:200])] if n % 3 == 0 else []
        content = " ".join(text) + "".join(f" #{tag}" for tag in tags)
        posts.append(PostModel(f"01BENCH{n:019d}", author=f"user{n % 5000}", content=content, hashtags=tags,
                               mentions=[], likes_count=rng.randint(0, 50), comments_count=rng.randint(0, 5),
                               created_at=start + timedelta(seconds=20 * n)))
    return posts


def _record(sequence: int, post: PostModel) -> dict[str, Any]:
    dynamodb = {"Keys": {"post_id": {"S": post.post_id}}, "NewImage": dict(post.serialize()),
                "SequenceNumber": str(sequence), "SizeBytes": 512, "StreamViewType": "NEW_AND_OLD_IMAGES",
                "ApproximateCreationDateTime": post.created_at}
    return dynamodb_record({"eventID": f"e{sequence}", "eventName": "INSERT", "dynamodb": dynamodb}, STREAM_ARN,
                           "us-east-1")


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def main(count: int = POSTS) -> None:
    rng = random.Random(7)
    words = _words(rng)
    posts = _posts(count, words, rng)
    events = [dynamodb_event([_record(FIRST_SEQUENCE + i + start, post)
                              for i, post in enumerate(posts[start:start + BATCH])])
              for start in range(0, count, BATCH)]
    with tempfile.TemporaryDirectory() as directory:
        backend = LocalSearchBackend(str(Path(directory) / "search.db"))
        counting = CountingBackend(backend)
        started = time.perf_counter()
        failures = 0
        for event in events:
            failures += len(index_records(DynamoDBEvent(event, None), post_operation, counting)["batchItemFailures"])
        elapsed = time.perf_counter() - started
        print(f"indexing       {count:,} posts through the stream path in {elapsed:.1f} s: "
              f"{count / elapsed:,.0f} documents/s ({failures} records failed; {backend.count('posts'):,} indexed)")
        print(f"bulk requests  {counting.requests * 1000 / count:.0f} per 1,000 stream records "
              f"(batches of {BATCH}: one request per batch)")
        now = posts[-1].created_at + timedelta(hours=1)
        weights = [1.0 / (rank + 1) for rank in range(len(words))]
        kinds = {
            "single word": [rng.choices(words, weights)[0] for _ in range(QUERIES)],
            "two words": [" ".join(rng.sample(posts[rng.randrange(count)].content.split("#")[0].split(), 2))
                          for _ in range(QUERIES)],
            "prefix": [rng.choices(words, weights)[0][:3] for _ in range(QUERIES)],
        }
        for kind, queries in kinds.items():
            timings, hits = [], 0
            for query in queries:
                began = time.perf_counter()
                page = backend.search_posts(query, limit=20, after=None, now=now)
                timings.append((time.perf_counter() - began) * 1000)
                hits += bool(page.hits)
            p50, p95 = _percentiles(timings)
            print(f"search {kind:<11} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {max(timings):6.1f} ms "
                  f"({QUERIES} queries, {hits} with results; goal p95 < 50 ms)")
        backend.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else POSTS)
