"""The simulated users of ``make load`` (a Locust locustfile; ``benchmarks/load.py`` runs it).

Two kinds of user share one small world (usernames and post ids, module-level: Locust runs every user as a
greenlet of one process, so plain lists are safe):

* ``AppUser`` (most): signs up and in through ``/v1``, then reads the feed (a second page by cursor), posts,
  likes, comments, follows, reads its wallet and searches, pausing 0.5-2 s between actions as a person would;
* ``MastodonUser``: signs up, registers a Mastodon app and takes a token by the password grant, then reads
  ``/api/v1/timelines/home`` (and the next page by its ``Link`` header), posts and checks its account,
  pausing 2-4 s: at most about 0.5 requests a second, within the 300 per 5 minutes a token may make.

Before the clock starts, one author posts more than a page (``seed``), and every user follows it first, so
feeds have a second page from the start. Every user first makes a tour of all its actions once, so even a short
run exercises every route. Requests are named by route (``/v1/posts/{id}/like``): one row per route.

Usage::

    make load          # seeds, starts and stops its own platform, judges the answers
    .venv/bin/locust -f benchmarks/load_users.py --headless -u 50 -r 10 -t 60s -H http://127.0.0.1:8000
                       # Locust's own CLI on a running platform: no seed author, no verdict
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from locust import HttpUser, between, task

PASSWORD = "Correct-horse-42"
TAGS = ("coffee", "cats", "python", "running", "music", "books")
WORDS = ("morning", "walk", "today", "finally", "great", "new", "idea", "garden", "trip", "build")
# The request timeout: a 2-core machine under 50 users answers slowly, but an answer must come.
TIMEOUT = 60

# The rows every user's first tour makes (the next-page rows need a long enough feed, so are not among them).
ROUTES = frozenset({
    "POST /v1/auth/register", "POST /v1/auth/login", "GET /v1/feed", "POST /v1/posts", "PUT /v1/posts/{id}/like",
    "POST /v1/posts/{id}/comments", "GET /v1/posts/{id}/comments", "PUT /v1/users/{username}/follow",
    "GET /v1/wallet", "GET /v1/search", "POST /api/v1/apps", "POST /oauth/token", "POST /api/v1/statuses",
    "POST /api/v1/accounts/{id}/follow", "GET /api/v1/timelines/home", "GET /api/v1/accounts/verify_credentials"})

usernames: list[str] = []
post_ids: list[str] = []
PAGE = 10  # a phone's first screen; small pages also make the second page (by cursor) common in a short run
MAX_POSTS = 500  # the most recent posts others pick from (likes and comments land on fresh posts, as in life)
# Accounts with more than a page of posts, made before the clock starts (benchmarks/load.py seed): every user
# follows one first, so its feed has a second page (the follow backfills it) even in a short run.
SEED_POSTS = PAGE + 5
seed_authors: list[str] = []


def _remember_post(post_id: str) -> None:
    post_ids.append(post_id)
    del post_ids[:-MAX_POSTS]


def _text() -> str:
    return " ".join(random.choices(WORDS, k=6)) + f" #{random.choice(TAGS)}"


def _new_name(kind: str) -> str:
    return f"{kind}_{uuid.uuid4().hex[:12]}"


def seed(base: str) -> str:
    """An author with ``SEED_POSTS`` posts on the platform at ``base``, made through ``/v1``; its username."""
    session = requests.Session()
    name = _new_name("author")
    body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
    session.post(f"{base}/v1/auth/register", json=body, timeout=TIMEOUT).raise_for_status()
    signed_in = session.post(f"{base}/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=TIMEOUT)
    signed_in.raise_for_status()
    session.headers["Authorization"] = f"Bearer {signed_in.json()['access_token']}"

    def post(_: int) -> str:
        posted = session.post(f"{base}/v1/posts", json={"content": _text()}, timeout=TIMEOUT)
        posted.raise_for_status()
        return str(posted.json()["id"])

    # A few at once: under Locust's gevent these threads are greenlets, and the platform overlaps their requests.
    with ThreadPoolExecutor(max_workers=5) as pool:
        for post_id in pool.map(post, range(SEED_POSTS)):
            _remember_post(post_id)
    seed_authors.append(name)
    usernames.append(name)
    return name


class AppUser(HttpUser):
    """A user of the web or mobile app, speaking ``/v1``."""

    weight = 4
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.username = _new_name("load")
        self.headers: dict[str, str] = {}
        body = {"username": self.username, "email": f"{self.username}@example.org", "password": PASSWORD}
        self.client.post("/v1/auth/register", json=body, timeout=TIMEOUT)
        self.sign_in()
        usernames.append(self.username)
        for action in self.tour():  # every route once, then the weighted mix
            action()

    def tour(self) -> list[Callable[[], None]]:
        """The seed author's follow first (it fills the feed), then every other action once in a random order:
        when the platform is saturated and few users finish their tour, each route still gets its share."""
        rest: list[Callable[[], None]] = [self.post, self.feed, self.like, self.comment, self.read_comments,
                                          self.follow, self.wallet, self.search]
        random.shuffle(rest)
        return [self.follow_seed_author, *rest]

    def _call(self, method: str, path: str, name: str | None = None, **kwargs: Any) -> Any:
        """The JSON of a 2xx answer, else None (Locust records any other answer as a failure)."""
        response = self.client.request(method, path, name=name or path, headers=self.headers, timeout=TIMEOUT,
                                       **kwargs)
        return response.json() if response.ok and response.content else None

    @task(1)
    def sign_in(self) -> None:
        signed_in = self.client.post("/v1/auth/login", json={"username": self.username, "password": PASSWORD},
                                     timeout=TIMEOUT)
        self.headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"} if signed_in.ok else {}

    @task(8)
    def feed(self) -> None:
        page = self._call("GET", "/v1/feed", params={"limit": PAGE})
        if page and page.get("next_cursor"):
            self._call("GET", "/v1/feed", name="/v1/feed?cursor", params={"limit": PAGE, "cursor": page["next_cursor"]})

    @task(3)
    def post(self) -> None:
        created = self._call("POST", "/v1/posts", json={"content": _text()})
        if created:
            _remember_post(created["id"])

    @task(4)
    def like(self) -> None:
        if post_ids:
            self._call("PUT", f"/v1/posts/{random.choice(post_ids)}/like", name="/v1/posts/{id}/like")

    @task(2)
    def comment(self) -> None:
        if post_ids:
            self._call("POST", f"/v1/posts/{random.choice(post_ids)}/comments", name="/v1/posts/{id}/comments",
                       json={"content": _text()})

    @task(2)
    def read_comments(self) -> None:
        if post_ids:
            self._call("GET", f"/v1/posts/{random.choice(post_ids)}/comments", name="/v1/posts/{id}/comments",
                       params={"limit": 20})

    @task(2)
    def follow(self) -> None:
        others = [name for name in usernames[-200:] if name != self.username]
        if others:
            self._call("PUT", f"/v1/users/{random.choice(others)}/follow", name="/v1/users/{username}/follow")

    def follow_seed_author(self) -> None:
        if seed_authors:
            self._call("PUT", f"/v1/users/{random.choice(seed_authors)}/follow", name="/v1/users/{username}/follow")

    @task(2)
    def wallet(self) -> None:
        self._call("GET", "/v1/wallet")

    @task(2)
    def search(self) -> None:
        self._call("GET", "/v1/search", params={"q": random.choice(TAGS + WORDS), "type": "posts"})


class MastodonUser(HttpUser):
    """A Mastodon app signed in with the password grant, speaking ``/api/v1``."""

    weight = 1
    wait_time = between(2.0, 4.0)

    def on_start(self) -> None:
        self.username = _new_name("masto")
        body = {"username": self.username, "email": f"{self.username}@example.org", "password": PASSWORD}
        self.headers: dict[str, str] = {}
        self.client.post("/v1/auth/register", json=body, timeout=TIMEOUT)
        app = self.client.post("/api/v1/apps", timeout=TIMEOUT, data={
            "client_name": "load", "scopes": "read write", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})
        if not app.ok:
            return
        token = self.client.post("/oauth/token", timeout=TIMEOUT, data={
            "grant_type": "password", "client_id": app.json()["client_id"],
            "client_secret": app.json()["client_secret"], "username": self.username, "password": PASSWORD,
            "scope": "read write"})
        if token.ok:
            self.headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        usernames.append(self.username)
        self.post_status()
        self.follow(random.choice(seed_authors) if seed_authors else None)
        self.timeline()
        self.verify_credentials()

    @task(4)
    def timeline(self) -> None:
        first = self.client.get("/api/v1/timelines/home", name="/api/v1/timelines/home", params={"limit": PAGE},
                                headers=self.headers, timeout=TIMEOUT)
        following = re.search(r'<([^>]+)>;\s*rel="next"', first.headers.get("Link", ""))
        if first.ok and following:
            self.client.get(following.group(1), name="/api/v1/timelines/home?max_id", headers=self.headers,
                            timeout=TIMEOUT)

    @task(1)
    def post_status(self) -> None:
        posted = self.client.post("/api/v1/statuses", data={"status": _text()}, headers=self.headers,
                                  timeout=TIMEOUT)
        if posted.ok:
            _remember_post(str(posted.json()["id"]))

    @task(1)
    def follow(self, account: str | None = None) -> None:
        others = [name for name in usernames[-200:] if name != self.username]
        if account or others:  # an account's id is its username
            self.client.post(f"/api/v1/accounts/{account or random.choice(others)}/follow",
                             name="/api/v1/accounts/{id}/follow", headers=self.headers, timeout=TIMEOUT)

    @task(1)
    def verify_credentials(self) -> None:
        self.client.get("/api/v1/accounts/verify_credentials", headers=self.headers, timeout=TIMEOUT)
