"""The local platform as its data grows: ``POST /v1/posts`` and ``GET /v1/feed`` p50 at 100 and at 10,000 posts.

Runs the whole local platform in this process (``LocalPlatform``, moto as AWS) and fills it with ``make seed``'s
graph (``local.seed``: power-law follows, hashtags, likes, comments) through the domain layer: first the users,
their follows and 100 posts, then the rest up to 10,000. At each size, one seeded reader (the one who follows
the most posts) signs in over HTTP and makes ``ROUNDS`` feed reads (first page, the default size) and
``ROUNDS`` posts, each request timed alone: the event pump is drained before each, so a request never shares
the machine with the fan-out of the one before. moto's own costs that grew with the tables
(``local.moto_dynamodb``) are what this watches; the goal is the 10,000 figure within 1.5x of the 100 one.

Seeding 10,000 posts with their events takes minutes on a 2-core machine; ``SCALE_POSTS`` sets another size.
"""

from __future__ import annotations

import contextlib
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import requests

from local.platform import LocalPlatform
from local.seed import PASSWORD, Plan, Seeder, Size, plan

USERS = 50
SMALL = 100
LARGE = int(os.environ.get("SCALE_POSTS", "10000"))
ROUNDS = 25
GOAL = 1.5
# Fewer reactions than make seed's defaults: the posts are what grow the tables this measures.
SIZE = Size(users=USERS, posts=LARGE, media_every=0, likes_per_post=0.3, comments_per_post=0.05, seed=11)


def _reader(graph: Plan) -> str:
    following: dict[str, set[str]] = {}
    for follower, followee in graph.follows:
        following.setdefault(follower, set()).add(followee)
    return max(following, key=lambda user: sum(p.author in following[user] for p in graph.posts[:SMALL]))


def _measure(platform: LocalPlatform, session: requests.Session, headers: dict[str, str]) -> tuple[float, float]:
    """p50 in ms of ``GET /v1/feed`` and of ``POST /v1/posts``, each request alone on a quiet platform."""
    feed: list[float] = []
    post: list[float] = []
    session.get(f"{platform.url}/v1/feed", headers=headers, timeout=30)  # per-process caches filled first
    for n in range(ROUNDS):
        platform.pump.drain(120)
        began = time.perf_counter()
        answer = session.get(f"{platform.url}/v1/feed", headers=headers, timeout=30)
        feed.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 200 and answer.json()["items"], answer.text
        platform.pump.drain(120)
        began = time.perf_counter()
        answer = session.post(f"{platform.url}/v1/posts", json={"content": f"measuring {n} #bench"}, headers=headers,
                              timeout=30)
        post.append((time.perf_counter() - began) * 1000)
        assert answer.status_code == 201, answer.text
    return statistics.median(feed), statistics.median(post)


def main() -> None:
    graph = plan(SIZE, threshold=1_000_000)  # the platform's default threshold (50,000): no celebrity here
    reader = _reader(graph)
    print(f"local platform with {USERS} users ({len(graph.follows)} follows), posts through the domain layer; "
          f"p50 of {ROUNDS} requests each, alone, by a reader following {sum(f == reader for f, _ in graph.follows)}")
    figures: dict[int, tuple[float, float]] = {}
    logging.getLogger("chalicelib").setLevel(logging.WARNING)  # the request lines would drown the figures
    # The handlers' metrics lines (EMF, on stdout as in Lambda) too: thousands of them while seeding.
    with tempfile.TemporaryDirectory() as scratch, open(os.devnull, "w") as devnull, \
            contextlib.redirect_stdout(devnull), \
            LocalPlatform(port=0, sqlite_file=Path(scratch) / "ledger.db", admin=False) as platform:
        seeder = Seeder(graph, progress=lambda line: None)
        began = time.monotonic()
        with platform.bulk():
            seeder.users()
            seeder.follows()
            seeder.posts(0, SMALL)
        session = requests.Session()
        login = session.post(f"{platform.url}/v1/auth/login", json={"username": reader, "password": PASSWORD},
                             timeout=30)
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        figures[SMALL] = _measure(platform, session, headers)
        seeded = time.monotonic()
        with platform.bulk() as settled:
            seeder.posts(SMALL, LARGE)
        seeding = (f"  seeded {LARGE - SMALL} more posts in {time.monotonic() - seeded:.0f} s "
                   f"({settled.seconds:.0f} s of it the pump catching up); setup {seeded - began:.0f} s")
        figures[LARGE] = _measure(platform, session, headers)
    print(seeding)
    print(f"  {'posts':>7} {'GET /v1/feed p50':>17} {'POST /v1/posts p50':>19}")
    for size, (feed, post) in figures.items():
        print(f"  {size:>7,} {feed:>14.1f} ms {post:>16.1f} ms")
    feed_ratio = figures[LARGE][0] / figures[SMALL][0]
    post_ratio = figures[LARGE][1] / figures[SMALL][1]
    verdict = "met" if max(feed_ratio, post_ratio) <= GOAL else "NOT met"
    print(f"  -> {LARGE:,} vs {SMALL} posts: feed {feed_ratio:.2f}x, post {post_ratio:.2f}x (goal at most {GOAL}x: "
          f"{verdict})")


if __name__ == "__main__":
    main()
