"""``make seed``: a realistic social graph on the local platform, made through the domain layer.

A demanding developer wants to see the feed, search and coins with the data a real network has, not
three test users. ``plan`` draws one (pure, reproducible from ``Size.seed``):

* follows with a power-law shape: account popularity falls as 1/rank (Zipf), each user follows a
  heavy-tailed number of accounts, so most follow a few and a few follow many; the ``celebrities`` most
  popular accounts are followed by more than the platform's celebrity threshold when the graph is big
  enough to allow it (``FANOUT_MAX_FOLLOWERS=50 make dev`` lowers it for a small graph);
* posts written mostly by the active few, with hashtags drawn from a Zipf-shaped pool, mentions of
  followed accounts, a few links, and one image in every ``media_every`` (a small generated JPEG that goes
  through the real media pipeline);
* likes and comments on each post from the author's followers, more for popular authors.

``run`` applies a plan on a running platform (this process's: the local route ``POST /local/seed``, or a
benchmark's ``LocalPlatform``) through the same domain functions the routes call: registration (Cognito
and the profile), ``users.graph.follow``, ``posts.service.create_post``/``like``/``add_comment`` and
``media.service.receive_upload``. So every event flows as in use: fan-out, backfill, celebrity marking,
notifications, the search index and coin awards, all through the event pump. Seeded users sign in with
``PASSWORD``; names are ``<word>_<word><n>``, so several seeds on one platform do not clash
(``Size.seed`` picks the words; a name that exists already is skipped, and so is what it would have done).

Usage::

    make dev                              # one terminal
    make seed USERS=1000 POSTS=10000      # another: curl -XPOST localhost:8000/local/seed?users=...&posts=...

    summary = run(plan(Size(users=200, posts=2_000), threshold=50))   # in the platform's process
"""

from __future__ import annotations

import io
import logging
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.core.tokens import Principal

PASSWORD = "Seeded-pass-42"
WORDS = ("morning", "coffee", "walk", "finally", "great", "new", "idea", "garden", "trip", "build", "river",
         "city", "light", "rain", "bread", "music", "night", "book", "friends", "weekend", "sunset", "code",
         "bike", "market", "story", "quiet", "little", "summer", "snow", "window")
TAGS = ("photography", "coffee", "cats", "python", "running", "music", "books", "travel", "food", "art",
        "gardening", "cycling", "science", "film", "hiking", "design", "history", "gaming", "jazz", "baking",
        "climbing", "space", "birds", "poetry", "football", "chess", "knitting", "tea", "sailing", "comics")
NAME_WORDS = ("amber", "brook", "cedar", "delta", "ember", "fable", "grove", "haven", "iris", "juniper", "kestrel",
              "lumen", "maple", "nova", "onyx", "pebble", "quill", "raven", "sage", "tide", "umber", "vale",
              "willow", "yarrow", "zephyr")
ZIPF = 1.0  # popularity of the account ranked r: 1 / r**ZIPF
MEAN_FOLLOWING = 12  # accounts followed, on average (heavy-tailed)

log = logging.getLogger("local.seed")


@dataclass(frozen=True)
class Size:
    """How much to make; ``seed`` makes the same graph every time."""

    users: int = 200
    posts: int = 2_000
    celebrities: int = 3
    media_every: int = 40  # one post in this many carries an image (0: none)
    likes_per_post: float = 1.0  # on average: popular authors get more, most posts none or one
    comments_per_post: float = 0.2
    seed: int = 1


@dataclass(frozen=True)
class PlannedPost:
    author: str
    text: str
    image: bool
    likers: tuple[str, ...]
    commenters: tuple[str, ...]


@dataclass
class Plan:
    """What ``run`` makes, in order: users, then follows, then posts with their likes and comments."""

    users: list[str]
    follows: list[tuple[str, str]]  # (follower, followee)
    posts: list[PlannedPost]
    celebrities: list[str]  # accounts followed by more than the threshold, most popular first

    def followers(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for _, followee in self.follows:
            counts[followee] += 1
        return dict(counts)


@dataclass
class Summary:
    users: int = 0
    follows: int = 0
    posts: int = 0
    images: int = 0
    likes: int = 0
    comments: int = 0
    skipped_users: int = 0
    celebrities: list[str] = field(default_factory=list)
    seconds: float = 0.0
    settled_seconds: float = 0.0  # how long the event pump took to catch up afterwards
    password: str = PASSWORD

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _heavy_tail(rng: random.Random, mean: float, cap: int) -> int:
    """A count with a power-law tail (Pareto, shape 2: mean ``mean``), at least 1 and at most ``cap``."""
    return max(1, min(cap, int(rng.paretovariate(2.0) * mean / 2.0)))


def _names(rng: random.Random, count: int) -> list[str]:
    first, second = rng.sample(NAME_WORDS, 2)
    tag = rng.randrange(100, 1000)
    return [f"{first}_{second}{tag}x{n}" for n in range(count)]


def _weighted_distinct(rng: random.Random, population: list[str], weights: list[float], k: int,
                       exclude: str) -> list[str]:
    chosen: dict[str, None] = {}
    for _ in range(6):  # draws with replacement, duplicates dropped: a few rounds fill k unless k is near n
        for name in rng.choices(population, weights=weights, k=k * 2):
            if name != exclude:
                chosen.setdefault(name, None)
        if len(chosen) >= k:
            break
    return list(chosen)[:k]


def plan(size: Size, *, threshold: int) -> Plan:
    """The graph to make; ``threshold`` is the platform's celebrity threshold (followers)."""
    if size.users < 2 or size.posts < 0:
        raise ValueError("a seed needs at least 2 users and no negative number of posts")
    rng = random.Random(size.seed)
    users = _names(rng, size.users)
    popularity = [1.0 / (rank + 1) ** ZIPF for rank in range(size.users)]
    following: dict[str, list[str]] = {}
    for user in users:
        k = _heavy_tail(rng, MEAN_FOLLOWING, size.users - 1)
        following[user] = _weighted_distinct(rng, users, popularity, k, user)
    # The most popular accounts become celebrities when the graph is big enough: followed by more than
    # the threshold (the ranks above them in popularity already have many followers from the draw).
    for star in users[:size.celebrities] if size.users - 1 > threshold else []:
        fans = [u for u in users if u != star and star not in following[u]]
        have = size.users - 1 - len(fans)
        for fan in rng.sample(fans, max(0, threshold + 1 - have)):
            following[fan].append(star)
    follows = [(user, followee) for user in users for followee in following[user]]
    followers: dict[str, list[str]] = defaultdict(list)
    for follower, followee in follows:
        followers[followee].append(follower)
    celebrities = [user for user in users if len(followers.get(user, ())) > threshold]
    # Who writes: activity is heavy-tailed too, loosely tied to popularity (celebrities post a lot).
    activity = [p * rng.uniform(0.3, 3.0) for p in popularity]
    authors = rng.choices(users, weights=activity, k=size.posts)
    tag_weights = [1.0 / (rank + 1) for rank in range(len(TAGS))]
    # Likes and comments grow with the author's audience, slower than it (its square root), and average out
    # at the sizes asked for.
    audience = {user: math.sqrt(len(followers.get(user, ())) + 1) for user in users}
    mean_audience = sum(audience[a] for a in authors) / len(authors) if authors else 1.0
    posts = []
    for n, author in enumerate(authors):
        words = rng.choices(WORDS, k=rng.randint(5, 18))
        for tag in rng.choices(TAGS, weights=tag_weights, k=rng.choice((0, 1, 1, 2))):
            words.insert(rng.randrange(len(words) + 1), f"#{tag}")
        if following[author] and rng.random() < 0.1:
            words.insert(0, f"@{rng.choice(following[author])}")
        if rng.random() < 0.05:
            words.append(f"https://example.org/{rng.choice(WORDS)}/{n}")
        fans = followers.get(author, [])
        reach = audience[author] / mean_audience
        likers = rng.sample(fans, min(len(fans), round(rng.expovariate(1.0) * size.likes_per_post * reach)))
        commenters = rng.sample(fans, min(len(fans), round(rng.expovariate(1.0) * size.comments_per_post * reach)))
        posts.append(PlannedPost(author, " ".join(words).capitalize(),
                                 bool(size.media_every) and rng.randrange(size.media_every) == 0,
                                 tuple(likers), tuple(commenters)))
    return Plan(users, follows, posts, celebrities)


def _image(rng: random.Random) -> bytes:
    """A small JPEG: a gradient between two random colours (Pillow, already the media pipeline's)."""
    from PIL import Image

    width, height = 320, 240
    start = [rng.randrange(256) for _ in range(3)]
    end = [rng.randrange(256) for _ in range(3)]
    image = Image.new("RGB", (width, height))
    image.putdata([tuple(s + (e - s) * x // width for s, e in zip(start, end, strict=True))
                   for _ in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Seeder:
    """Applies a plan in steps: ``users()``, ``follows()``, then ``posts()`` (all, or a slice: a benchmark
    measures between slices). Must run in the platform's process (the domain layer's clients are its)."""

    def __init__(self, planned: Plan, *, progress: Callable[[str], None] = log.info, every: int = 500) -> None:
        self.planned = planned
        self.summary = Summary(celebrities=list(planned.celebrities))
        self.principals: dict[str, Principal] = {}
        self._progress = progress
        self._every = every
        self._rng = random.Random(len(planned.users) * 7919 + len(planned.posts))
        self._began = time.monotonic()

    def users(self) -> None:
        from chalicelib.auth import registration
        from chalicelib.auth.routes import identity
        from chalicelib.core.errors import Conflict
        from chalicelib.core.settings import get_settings
        from chalicelib.core.tokens import Principal
        from chalicelib.resources import USER_POOL

        for name in self.planned.users:
            try:
                user = registration.register(identity(), USER_POOL.password_policy, username=name,
                                             email=f"{name}@example.org", password=PASSWORD,
                                             display_name=name.replace("_", " ").title(),
                                             auto_confirm=get_settings().auto_confirm)
            except Conflict:
                self.summary.skipped_users += 1
                continue
            self.principals[name] = Principal(user_id=str(user.user_id), username=name, groups=frozenset(),
                                              token_use="access")
            self.summary.users += 1
        self._progress(f"seed: {self.summary.users} users ({self.summary.skipped_users} existed already)")

    def follows(self) -> None:
        from chalicelib.users import graph

        for follower, followee in self.planned.follows:
            if follower in self.principals and followee in self.principals:
                graph.follow(self.principals[follower], followee)
                self.summary.follows += 1
        self._progress(f"seed: {self.summary.follows} follows")

    def posts(self, start: int = 0, stop: int | None = None) -> None:
        from chalicelib.media.service import receive_upload
        from chalicelib.posts import service as posts

        planned = self.planned.posts[start:stop]
        for n, post in enumerate(planned, start + 1):
            author = self.principals.get(post.author)
            if author is None:
                continue
            media = ([receive_upload(author.username, "image/jpeg", _image(self._rng)).media_id]
                     if post.image else [])
            made = posts.create_post(author, post.text, media)
            self.summary.posts += 1
            self.summary.images += len(media)
            for liker in (p for p in post.likers if p in self.principals):
                posts.like(self.principals[liker], made.post_id)
                self.summary.likes += 1
            for commenter in (p for p in post.commenters if p in self.principals):
                posts.add_comment(self.principals[commenter], made.post_id, " ".join(self._rng.choices(WORDS, k=6)))
                self.summary.comments += 1
            if n % self._every == 0:
                self._progress(f"seed: {n}/{len(self.planned.posts)} posts")

    def done(self) -> Summary:
        self.summary.seconds = round(time.monotonic() - self._began, 1)
        self._progress(f"seed: done in {self.summary.seconds} s: {self.summary.posts} posts, "
                       f"{self.summary.images} images, {self.summary.likes} likes, {self.summary.comments} comments")
        return self.summary


def run(planned: Plan, *, progress: Callable[[str], None] = log.info, every: int = 500) -> Summary:
    """Make ``planned`` through the domain layer of the platform running in this process."""
    seeder = Seeder(planned, progress=progress, every=every)
    seeder.users()
    seeder.follows()
    seeder.posts()
    return seeder.done()
