"""The Mastodon face's home timeline against ``/v1/feed``: DynamoDB calls and latency per page, side by side.

Runs the whole local platform in this process (``python -m local``'s ``LocalPlatform``, moto as AWS) and
reads one reader's home timeline three pages deep, five times over, through both faces over HTTP: ``/v1/feed``
with the reader's Cognito token and ``cursor``, ``/api/v1/timelines/home`` with a Mastodon token (password
grant) following the ``Link`` header as Mastodon.py's ``fetch_next`` does. The reader follows 12 accounts
(their posts fanned out to the reader's timeline) and one celebrity (merged in on read). DynamoDB calls are
counted in the HTTP server's threads only (PynamoDB's ``Connection._make_api_call``), after the event pump
has gone quiet. The first request of each face is left out: both keep per-process caches (the /v1
admission's profile read; the Mastodon token's admission).
"""

from __future__ import annotations

import logging
import re
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from pynamodb.connection.base import Connection

from local.platform import LocalPlatform

AUTHORS = 12
POSTS_EACH = 4
LIMIT = 5
PAGES = 3
ROUNDS = 5
PASSWORD = "Correct-horse-42"
LINK = re.compile(r'<([^>]+)>; rel="next"')


class Meter:
    """DynamoDB calls made by the HTTP server's threads (the pump's workers are not requests)."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[None]:
        original = Connection._make_api_call

        def counted(connection: Connection, operation: str, kwargs: dict[str, Any]) -> Any:
            if not threading.current_thread().name.startswith("local-pump"):
                with self._lock:
                    self.calls.append(operation)
            return original(connection, operation, kwargs)

        Connection._make_api_call = counted  # type: ignore[method-assign,assignment]
        try:
            yield
        finally:
            Connection._make_api_call = original  # type: ignore[method-assign]

    def take(self) -> list[str]:
        with self._lock:
            taken, self.calls = self.calls, []
        return taken


def _register(base: str, session: requests.Session, name: str) -> dict[str, str]:
    body = {"username": name, "email": f"{name}@example.org", "password": PASSWORD}
    assert session.post(f"{base}/v1/auth/register", json=body, timeout=10).status_code == 201
    tokens = session.post(f"{base}/v1/auth/login", json={"username": name, "password": PASSWORD}, timeout=10).json()
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _mastodon_token(base: str, session: requests.Session, name: str) -> dict[str, str]:
    app = session.post(f"{base}/api/v1/apps", data={"client_name": "bench", "scopes": "read write",
                                                    "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}, timeout=10).json()
    token = session.post(f"{base}/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"], "client_secret": app["client_secret"],
        "username": name, "password": PASSWORD, "scope": "read write"}, timeout=10).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _fill(platform: LocalPlatform, session: requests.Session) -> tuple[dict[str, str], dict[str, str]]:
    """A reader following AUTHORS accounts and one celebrity, every post in the timeline; its two tokens."""
    from chalicelib.core.settings import get_settings
    from chalicelib.users.models import UserModel

    base = platform.url
    reader = _register(base, session, "reader")
    celebrity = _register(base, session, "celebrity")
    UserModel("celebrity").update(actions=[UserModel.followers_count.set(get_settings().fanout_max_followers + 1)])
    authors = [(f"author{n:02d}", _register(base, session, f"author{n:02d}")) for n in range(AUTHORS)]
    for name, _ in [*authors, ("celebrity", celebrity)]:
        assert session.put(f"{base}/v1/users/{name}/follow", headers=reader, timeout=10).status_code == 200
    for n in range(POSTS_EACH):
        for name, headers in [*authors, ("celebrity", celebrity)]:
            posted = session.post(f"{base}/v1/posts", json={"content": f"{name} says {n} #bench"}, headers=headers,
                                  timeout=10)
            assert posted.status_code == 201, posted.text
    expected = (AUTHORS + 1) * POSTS_EACH
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # fan-out through the pump
        seen = session.get(f"{base}/v1/feed", params={"limit": 100}, headers=reader, timeout=10).json()["items"]
        if len(seen) >= expected:
            break
        time.sleep(0.2)
    else:
        raise TimeoutError(f"the reader's feed never held {expected} posts")
    time.sleep(1.5)  # the pump's last deliveries (notifications, search) settle
    return reader, _mastodon_token(base, session, "reader")


def _walk(session: requests.Session, first: str, headers: dict[str, str],
          next_of: Callable[[requests.Response], str]) -> Iterator[tuple[requests.Response, float]]:
    url = first
    for _ in range(PAGES):
        began = time.perf_counter()
        answer = session.get(url, headers=headers, timeout=10)
        elapsed = (time.perf_counter() - began) * 1000
        assert answer.status_code == 200, answer.text
        yield answer, elapsed
        url = next_of(answer)


def _face(meter: Meter, session: requests.Session, first: str, headers: dict[str, str],
          next_of: Callable[[requests.Response], str], count: Callable[[requests.Response], int]
          ) -> tuple[list[Counter[str]], list[float], list[int]]:
    calls: list[Counter[str]] = []
    latencies: list[float] = []
    sizes: list[int] = []
    session.get(first, headers=headers, timeout=10)  # each face's first request fills its per-process caches
    for _ in range(ROUNDS):
        meter.take()
        for answer, elapsed in _walk(session, first, headers, next_of):
            calls.append(Counter(meter.take()))
            latencies.append(elapsed)
            sizes.append(count(answer))
    return calls, latencies, sizes


def _line(label: str, calls: list[Counter[str]], latencies: list[float], sizes: list[int]) -> str:
    totals = sorted({sum(c.values()) for c in calls})
    common = Counter(frozenset(c.items()) for c in calls).most_common(1)[0][0]
    ops = ", ".join(f"{n} {op}" for op, n in sorted(dict(common).items()))
    return (f"  {label:<28} {'/'.join(map(str, totals))} DynamoDB calls/page ({ops}); pages of {min(sizes)}-"
            f"{max(sizes)} posts; median {statistics.median(latencies):.1f} ms, max {max(latencies):.1f} ms "
            f"over {len(latencies)} pages")


def main() -> None:
    print(f"home timeline, {PAGES} pages of {LIMIT} x {ROUNDS} rounds, reader following {AUTHORS} accounts and "
          "1 celebrity, through the local platform over HTTP")
    meter = Meter()
    with tempfile.TemporaryDirectory() as scratch, \
            LocalPlatform(port=0, sqlite_file=Path(scratch) / "ledger.db", admin=False) as platform, \
            meter.installed():
        logging.getLogger("chalicelib").setLevel(logging.WARNING)  # the request lines would drown the figures
        session = requests.Session()
        v1, mastodon = _fill(platform, session)
        base = platform.url
        v1_figures = _face(meter, session, f"{base}/v1/feed?limit={LIMIT}", v1,
                           lambda a: f"{base}/v1/feed?limit={LIMIT}&cursor={a.json()['next_cursor']}",
                           lambda a: len(a.json()["items"]))
        masto_figures = _face(meter, session, f"{base}/api/v1/timelines/home?limit={LIMIT}", mastodon,
                              lambda a: LINK.findall(a.headers["Link"])[0], lambda a: len(a.json()))
    print(_line("GET /v1/feed", *v1_figures))
    print(_line("GET /api/v1/timelines/home", *masto_figures))
    extra = sum((Counter(m) - Counter(v) for m, v in zip(masto_figures[0], v1_figures[0], strict=True)), Counter())
    print(f"  -> the Mastodon face's calls beyond /v1's over {len(masto_figures[0])} pages: {dict(extra) or 'none'} "
          "(the token's count written once per SYNC_EVERY requests: proved live and counted for the rate limit; "
          "the reader's celebrities, which /v1's cursor carries and max_id cannot, remembered for a minute)")


if __name__ == "__main__":
    main()
