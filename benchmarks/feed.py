"""The home feed and fan-out: DynamoDB calls per feed page and per fan-out to 10,000 followers.

Everything runs on moto in this process (``mock_aws``), every resource
provisioned from the real ``MANIFEST`` by ``local.provision``. Calls are
counted with a ``before-call`` hook registered on every botocore client
created while the benchmark runs (PynamoDB makes one client per connection and
thread, ``boto3.client("sqs")`` one per continuation), and the DynamoDB count
is cross-checked against PynamoDB's own ``pre_dynamodb_send`` signal and
against HTTP attempts (``before-send``), so a retry would show.

Set-up goes through the domain code (``create_profile``, ``follow``,
``create_post``, and fan-out's ``handle`` for each ``post.created``), except
where the output says it is bulk. moto deep-copies every table a transaction
touches so as to roll back, which would make each ``follow``/``create_post``
cost O(rows) and set-up quadratic: moto runs here as on the local platform,
with ``local.moto_dynamodb``'s journal (rollback of the named items only) and
partition-scoped queries.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from local import RUNTIME_DIR

if str(RUNTIME_DIR) not in sys.path:  # importing local already did it; the runtime imports below need it
    sys.path.insert(0, str(RUNTIME_DIR))

import botocore.session
from moto import mock_aws
from pynamodb.signals import pre_dynamodb_send

from chalicelib.core.declarations import physical_name
from chalicelib.core.ids import new_id
from chalicelib.core.settings import get_settings
from chalicelib.core.tokens import Principal
from chalicelib.events.catalog import DomainEvent
from chalicelib.feed import fanout
from chalicelib.feed import reader as feed_reader
from chalicelib.feed.models import TimelineModel
from chalicelib.posts.models import PostModel
from chalicelib.posts.service import create_post
from chalicelib.resources import MANIFEST, TIMELINE, TIMELINE_UPDATES
from chalicelib.users.graph import follow
from chalicelib.users.models import FollowModel, UserModel
from chalicelib.users.profiles import create_profile
from local import moto_dynamodb as moto_journal
from local.clients import Clients
from local.env import EnvPatch
from local.provision import provision

REGION = "us-east-1"
FOLLOWING = (10, 100, 1000)
PAGE = 20
PAGES = 60  # feed pages read per reader: 5 pages deep from the top, then from the top again
DEPTH = 5
POSTS_EACH = 2  # every author's posts; the first 10 authors post more so that a 10-account feed has 5 full pages
POSTS_FIRST_TEN = 10
CELEBRITIES_FOLLOWED = (0, 5, 20, 100)
ORDINARY_FOLLOWED = 1000  # beside the celebrities
CALLS_GOAL = 4  # DynamoDB calls per feed page, whatever the reader follows
CELEBRITIES_ON_PLATFORM = 250
FANOUT_FOLLOWERS = 10_000
MOTO_NOTE = ("moto in-process (mock_aws): latencies are moto's and botocore's, not DynamoDB's, and include no "
             "network; the call counts are the point")


# --- counting calls ------------------------------------------------------------------------------


@dataclass
class Window:
    """The calls made while one window was open: by service and operation, and HTTP attempts."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    attempts: int = 0
    pynamodb_calls: int = 0

    def ops(self, service: str = "dynamodb") -> Counter[str]:
        return Counter({op: n for (svc, op), n in self.calls.items() if svc == service})

    def total(self, service: str | None = None) -> int:
        return sum(n for (svc, _), n in self.calls.items() if service is None or svc == service)


class Meter:
    """Counts botocore API calls (``before-call``) of every client created after ``install``."""

    def __init__(self) -> None:
        self.window: Window | None = None
        self._original: Callable[..., Any] | None = None

    def install(self) -> None:
        original = botocore.session.Session.create_client
        self._original = original
        meter = self

        def create_client(session: Any, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-call", meter.on_call)
            client.meta.events.register_first("before-send", meter.on_send)
            return client

        botocore.session.Session.create_client = create_client
        pre_dynamodb_send.connect(self.on_pynamodb, weak=False)

    def uninstall(self) -> None:
        if self._original is not None:
            botocore.session.Session.create_client = self._original
        pre_dynamodb_send.disconnect(self.on_pynamodb)

    def on_call(self, model: Any, **_: Any) -> None:
        if self.window is not None:
            self.window.calls[(model.service_model.service_name, model.name)] += 1

    def on_send(self, **_: Any) -> None:
        if self.window is not None:
            self.window.attempts += 1

    def on_pynamodb(self, _sender: Any, **_: Any) -> None:
        if self.window is not None:
            self.window.pynamodb_calls += 1

    @contextmanager
    def counting(self) -> Iterator[Window]:
        window = Window()
        self.window = window
        try:
            yield window
        finally:
            self.window = None
        # Independent counts must agree: PynamoDB's own signal for each DynamoDB call, HTTP attempts for all.
        assert window.pynamodb_calls == window.total("dynamodb"), (window.pynamodb_calls, window.calls)
        assert window.attempts == window.total(), (window.attempts, window.calls)


METER = Meter()


def _ops(counts: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"


# --- the platform --------------------------------------------------------------------------------


@contextmanager
def _platform() -> Iterator[Clients]:
    """moto in-process with the whole manifest provisioned, the runtime's env set and its models bound."""
    env = EnvPatch()
    endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)  # mock_aws answers AWS's own endpoints
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "FANOUT_MAX_FOLLOWERS": "50000"})
    moto_journal.install()  # transactions that do not copy whole tables (see the docstring)
    METER.install()
    get_settings.cache_clear()
    try:
        with mock_aws():
            clients = Clients(None, REGION)  # type: ignore[arg-type]  # None: AWS's endpoints, which moto mocks
            provisioned = provision(MANIFEST, clients)
            env.update(provisioned.env)
            for table in MANIFEST.tables:
                table.bind()
            yield clients
            clients.close()
    finally:
        METER.uninstall()
        env.restore()
        if endpoint is not None:
            os.environ["AWS_ENDPOINT_URL"] = endpoint
        for table in MANIFEST.tables:
            table.bind()
        get_settings.cache_clear()


# --- building the world through the domain code --------------------------------------------------


def _principal(username: str) -> Principal:
    return Principal(user_id=f"sub-{username}", username=username, groups=frozenset(), token_use="access")


def _profile(username: str) -> None:
    create_profile(username, f"sub-{username}", f"{username}@example.org", None)


def _post_created(post: PostModel) -> dict[str, Any]:
    """The ``post.created`` message as the timeline-updates queue delivers it (the event's JSON)."""
    event = DomainEvent(new_id(), "post.created", post.created_at.isoformat(), post.author, {
        "post_id": post.post_id, "author": post.author, "created_at": post.created_at.isoformat(),
        "hashtags": list(post.hashtags or []), "mentions": list(post.mentions or [])})
    loaded: dict[str, Any] = json.loads(event.to_json())
    return loaded


def _post_and_fan_out(author: str, text: str) -> PostModel:
    post = create_post(_principal(author), text, [])
    fanout.handle(_post_created(post))
    return post


def _author(i: int) -> str:
    return f"author{i:04d}"


def _reader(n: int) -> str:
    return f"reader{n}"


# --- the feed ------------------------------------------------------------------------------------


@dataclass
class FeedFigures:
    label: str
    ops: Counter[str]
    uniform: bool
    median_ms: float
    p95_ms: float
    pages: int
    first_ops: Counter[str]
    worst: int  # the most calls any page made


def _read_feed(reader: str, pages: int = PAGES, *, carry: bool = True) -> FeedFigures:
    """Pages of ``reader``'s feed; ``carry``: later pages pass the celebrities back, as /v1's cursor does (not:
    as Mastodon's ``max_id``, which carries none)."""
    with METER.counting() as first:  # the first page also reads the reader's STARS row, in the same query
        feed_reader.feed_page(reader, PAGE, None, None)
    per_page: list[Counter[str]] = []
    latencies: list[float] = []
    before: str | None = None
    stars: list[str] | None = None
    depth = 0
    for _ in range(pages):
        if depth == DEPTH or (depth and before is None):
            before, stars, depth = None, None, 0
        with METER.counting() as window:
            began = time.perf_counter()
            page = feed_reader.feed_page(reader, PAGE, before, stars)
            latencies.append((time.perf_counter() - began) * 1000)
        assert len(page.posts) == PAGE, f"{reader}: a page of {len(page.posts)} posts; the set-up should fill it"
        assert window.total() == window.total("dynamodb")
        per_page.append(window.ops())
        before, stars, depth = page.last, page.stars if carry else None, depth + 1
    quantiles = statistics.quantiles(latencies, n=20)
    most = Counter(frozenset(c.items()) for c in per_page).most_common(1)[0][0]
    return FeedFigures(reader, Counter(dict(most)), all(c == Counter(dict(most)) for c in per_page),
                       statistics.median(latencies), quantiles[18], len(per_page), first.ops(),
                       max(sum(c.values()) for c in [*per_page, first.ops()]))


def _feed_line(label: str, figures: FeedFigures) -> str:
    calls = sum(figures.ops.values())
    same = "" if figures.uniform else f" (NOT the same on every page: at most {figures.worst})"
    return (f"  {label:<34} {calls:>2} calls/page ({_ops(figures.ops)}){same}; "
            f"median {figures.median_ms:5.2f} ms, p95 {figures.p95_ms:5.2f} ms over {figures.pages} pages; "
            f"first page: {sum(figures.first_ops.values())} ({_ops(figures.first_ops)})")


def _feed_benchmark() -> None:
    print(f"feed page (feed_page, limit {PAGE}); {MOTO_NOTE}")
    began = time.perf_counter()
    authors = [_author(i) for i in range(max(FOLLOWING))]
    stars = [f"star{i:03d}" for i in range(max(CELEBRITIES_FOLLOWED))]
    threshold = get_settings().fanout_max_followers
    follows: dict[str, list[str]] = {_reader(n): authors[:n] for n in FOLLOWING}
    follows.update({f"fan_of_{c}": authors[:ORDINARY_FOLLOWED] + stars[:c] for c in CELEBRITIES_FOLLOWED})
    with METER.counting() as setup:
        for username in [*follows, *authors, *stars]:
            _profile(username)
        for star in stars:  # past FANOUT_MAX_FOLLOWERS: the count is set, not earned
            UserModel(star).update(actions=[UserModel.followers_count.set(threshold + 1)])
        for reader, followees in follows.items():
            for followee in followees:
                follow(_principal(reader), followee)
        posts = 0
        for round_ in range(POSTS_FIRST_TEN):
            for author in authors[:10] if round_ >= POSTS_EACH else authors:
                _post_and_fan_out(author, f"post {round_} of {author}")
                posts += 1
    print(f"  set-up: readers following {', '.join(map(str, FOLLOWING))} of {len(authors)} authors, "
          f"{posts} posts ({POSTS_EACH} per author, {POSTS_FIRST_TEN} for the first ten so that 10 accounts fill "
          f"{DEPTH} pages), through create_profile, follow, create_post and fan-out's handle(post.created) for "
          f"each post (every follow precedes every post, so follow.created's backfill would add nothing and is "
          f"not run): {setup.total()} calls, {time.perf_counter() - began:.1f} s")
    baseline: dict[int, FeedFigures] = {}
    for n in FOLLOWING:
        baseline[n] = _read_feed(_reader(n))
        print(_feed_line(f"following {n:>4} accounts", baseline[n]))
    grows = len({frozenset(f.ops.items()) for f in baseline.values()}) != 1
    print("  -> calls per page " + ("GROW with the accounts followed" if grows else
                                    "are the same for 10, 100 and 1,000 accounts followed"))

    began = time.perf_counter()
    with METER.counting() as setup:
        # The first post marks each star: it is still fanned out while the star joins every follower's
        # STARS row; from then on the star is a celebrity and the second post is merged on read.
        firsts = {star: _post_and_fan_out(star, f"{star} says hello").post_id for star in stars}
        seconds = {star: _post_and_fan_out(star, f"{star} says more").post_id for star in stars}
    marked = sorted(star for star in stars if UserModel.get(star).celebrity == fanout.CELEBRITY)
    assert marked == stars, marked
    fan = f"fan_of_{max(CELEBRITIES_FOLLOWED)}"
    assert all(TimelineModel.count(fan, TimelineModel.post_id == post_id) == 1 for post_id in firsts.values())
    assert all(TimelineModel.count(fan, TimelineModel.post_id == post_id) == 0 for post_id in seconds.values())
    print(f"  celebrities: {len(stars)} accounts with followers_count > FANOUT_MAX_FOLLOWERS={threshold}; handle() "
          f"marks each at its first post, which is still fanned out while the star joins its followers' STARS rows; "
          f"the second post is merged on read, not fanned out ({setup.total()} calls, "
          f"{time.perf_counter() - began:.1f} s). Readers follow {ORDINARY_FOLLOWED:,} accounts + C of them "
          f"(later pages: with the celebrities in the cursor as /v1's, and without as Mastodon's max_id):")
    worst = 0
    for c in CELEBRITIES_FOLLOWED:
        for carry, how in ((True, "cursor"), (False, "no cursor")):
            figures = _read_feed(f"fan_of_{c}", pages=30, carry=carry)
            worst = max(worst, figures.worst)
            print(_feed_line(f"{ORDINARY_FOLLOWED} + {c:>3} celebrities, {how}", figures))
    print(f"  -> at most {worst} DynamoDB calls per feed page following 0 to {max(CELEBRITIES_FOLLOWED)} "
          f"celebrities (goal: at most {CALLS_GOAL}): " + ("MET" if worst <= CALLS_GOAL else "NOT MET"))

    began = time.perf_counter()
    more = [f"star{i:03d}" for i in range(len(stars), CELEBRITIES_ON_PLATFORM)]
    for star in more:  # celebrities nobody here follows: marked directly
        _profile(star)
        UserModel(star).update(actions=[UserModel.celebrity.set(fanout.CELEBRITY)])
    print(f"  {CELEBRITIES_ON_PLATFORM} celebrities on the platform ({len(more)} more, marked directly, "
          f"{time.perf_counter() - began:.1f} s):")
    for c in (0, 5):
        print(_feed_line(f"{ORDINARY_FOLLOWED} + {c:>3} celebrities, cursor", _read_feed(f"fan_of_{c}", pages=30)))
    print("  -> the celebrities followed come in one BatchGetItem of their recent-ids rows; those the reader does "
          "not follow cost nothing")


# --- fan-out -------------------------------------------------------------------------------------


def _timeline_owners(clients: Clients, post_id: str) -> set[str]:
    owners: set[str] = set()
    paginator = clients.dynamodb.get_paginator("scan")
    for page in paginator.paginate(TableName=physical_name(TIMELINE), FilterExpression="post_id = :p",
                                   ExpressionAttributeValues={":p": {"S": post_id}},
                                   ProjectionExpression="#o", ExpressionAttributeNames={"#o": "owner"}):
        owners.update(item["owner"]["S"] for item in page["Items"])
    return owners


def _fanout_benchmark(clients: Clients) -> None:
    print(f"fan-out of one post to {FANOUT_FOLLOWERS:,} followers (handle() for post.created, then for every "
          f"continuation it queued on timeline-updates, until none is left; FOLLOWER_PAGE={fanout.FOLLOWER_PAGE})")
    began = time.perf_counter()
    author = "fanout_author"
    followers = [f"follower{i:05d}" for i in range(FANOUT_FOLLOWERS)]
    _profile(author)
    with FollowModel.batch_write() as batch:
        for follower in followers:
            batch.save(FollowModel(follower, author))
    UserModel(author).update(actions=[UserModel.followers_count.set(FANOUT_FOLLOWERS)])
    post = create_post(_principal(author), "to everyone", [])
    queue = physical_name(TIMELINE_UPDATES)
    assert not clients.sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages")
    print(f"  set-up (bulk): {FANOUT_FOLLOWERS:,} follow rows by BatchWriteItem and followers_count set directly "
          f"(the followers have no profiles: fan-out reads neither), then create_post; "
          f"{time.perf_counter() - began:.1f} s")

    total = Window()
    messages = 0
    handling = 0.0
    began = time.perf_counter()
    pending: list[dict[str, Any]] = [_post_created(post)]
    while pending:
        for message in pending:
            with METER.counting() as window:
                started = time.perf_counter()
                fanout.handle(message)
                handling += time.perf_counter() - started
            total.calls.update(window.calls)
            messages += 1
        received = clients.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        pending = [json.loads(m["Body"]) for m in received.get("Messages", [])]
        for m in received.get("Messages", []):
            clients.sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    wall = time.perf_counter() - began

    owners = _timeline_owners(clients, post.post_id)
    assert owners == {*followers, author}, f"{len(owners)} timelines have the post"
    print(f"  messages handled: {messages} (the post.created and {messages - 1} continuations, "
          f"one per further page of {fanout.FOLLOWER_PAGE} followers)")
    print(f"  DynamoDB calls: {total.total('dynamodb')} ({_ops(total.ops('dynamodb'))})")
    print(f"  SQS calls: {total.total('sqs')} ({_ops(total.ops('sqs'))})")
    print(f"  total calls: {total.total()}")
    print(f"  timeline rows with the post: {len(owners):,} (every follower's, and the author's own)")
    print(f"  wall time: {wall:.2f} s ({handling:.2f} s inside handle(), the rest is this driver's SQS polling)")


def main() -> None:
    began = time.perf_counter()
    with _platform() as clients:
        print(f"  platform: manifest provisioned on moto in {time.perf_counter() - began:.1f} s")
        _feed_benchmark()
        _fanout_benchmark(clients)
    print(f"feed benchmark done in {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
