"""What every search backend does, as the routes and the indexer rely on it (see chalicelib/search/port.py)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from chalicelib.search.port import (
    TREND_HISTORY_DAYS,
    PostDocument,
    Put,
    Remove,
    SearchBackend,
    UserDocument,
)
from tests.search.adversarial import adversarial_queries

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
_versions = itertools.count(100)
_serials = itertools.count()


def post_id(minutes_ago: float) -> str:
    """Ids sort by creation time, as the posts table's ULIDs do (a serial keeps same-time ones apart)."""
    return f"01P{int((NOW - timedelta(minutes=minutes_ago)).timestamp() * 1000):015d}{next(_serials):06d}"


def put_post(backend: SearchBackend, text: str, *, minutes_ago: float = 0, author: str = "ada", likes: int = 0,
             comments: int = 0, tags: tuple[str, ...] = (), doc_id: str | None = None,
             version: int | None = None) -> str:
    doc_id = doc_id or post_id(minutes_ago)
    document = PostDocument(post_id=doc_id, author=author, text=text, hashtags=tags,
                            created_at=NOW - timedelta(minutes=minutes_ago), likes=likes, comments=comments)
    outcome = backend.bulk([Put("posts", doc_id, version or next(_versions), document)])
    assert outcome.failed == ()
    return doc_id


def put_user(backend: SearchBackend, username: str, display_name: str, followers: int = 0) -> None:
    outcome = backend.bulk([Put("users", username, next(_versions), UserDocument(username, display_name, followers))])
    assert outcome.failed == ()


def found(backend: SearchBackend, query: str, limit: int = 20) -> list[str]:
    return [hit.doc_id for hit in backend.search_posts(query, limit=limit, after=None, now=NOW).hits]


def users(backend: SearchBackend, query: str, limit: int = 20) -> list[str]:
    return [hit.doc_id for hit in backend.search_users(query, limit=limit, after=None).hits]


# --- writing: versions, tombstones, edits ---------------------------------------------------------------

def test_a_put_post_is_found_and_a_removed_one_is_not(backend: SearchBackend) -> None:
    kept = put_post(backend, "morning coffee by the sea", minutes_ago=5)
    gone = put_post(backend, "evening coffee in town", minutes_ago=4)
    assert sorted(found(backend, "coffee")) == sorted([kept, gone])
    outcome = backend.bulk([Remove("posts", gone, next(_versions))])
    assert (outcome.applied, outcome.stale, outcome.failed) == (1, 0, ())
    assert found(backend, "coffee") == [kept]


def test_a_stale_upsert_after_a_delete_never_brings_the_post_back(backend: SearchBackend) -> None:
    doc = put_post(backend, "secret plans revealed", version=10)
    assert backend.bulk([Remove("posts", doc, 20)]).applied == 1
    late = PostDocument(post_id=doc, author="ada", text="secret plans revealed", hashtags=("plans",), created_at=NOW)
    outcome = backend.bulk([Put("posts", doc, 15, late)])
    assert (outcome.applied, outcome.stale) == (0, 1)
    assert found(backend, "secret") == []
    assert backend.tag_timeline("plans", limit=10, before=None) == []


def test_a_replayed_or_older_version_changes_nothing(backend: SearchBackend) -> None:
    doc = put_post(backend, "new words here", version=50)
    older = PostDocument(post_id=doc, author="ada", text="old words there", hashtags=(), created_at=NOW)
    outcome = backend.bulk([Put("posts", doc, 40, older), Put("posts", doc, 50, older)])
    assert (outcome.applied, outcome.stale) == (0, 2)
    assert found(backend, "new") == [doc]
    assert found(backend, "old") == []


def test_versions_are_stream_sequence_numbers_of_any_size(backend: SearchBackend) -> None:
    doc = post_id(2)
    sequence = 1100000000017454423009  # moto's first; AWS's have more digits still: beyond 64 bits
    older = PostDocument(post_id=doc, author="ada", text="before", hashtags=(), created_at=NOW)
    newer = PostDocument(post_id=doc, author="ada", text="after", hashtags=(), created_at=NOW)
    assert backend.bulk([Put("posts", doc, sequence + 1, newer)]).applied == 1
    assert backend.bulk([Put("posts", doc, sequence, older)]).stale == 1
    assert backend.bulk([Put("posts", doc, 9, older)]).stale == 1  # fewer digits is older, not newer
    assert found(backend, "after") == [doc]


def test_operations_of_one_batch_apply_in_order_by_version(backend: SearchBackend) -> None:
    doc = post_id(1)
    first = PostDocument(post_id=doc, author="ada", text="draft alpha", hashtags=(), created_at=NOW)
    second = PostDocument(post_id=doc, author="ada", text="final omega", hashtags=(), created_at=NOW)
    outcome = backend.bulk([Put("posts", doc, 1, first), Put("posts", doc, 2, second), Put("posts", doc, 1, first)])
    assert (outcome.applied, outcome.stale) == (2, 1)
    assert found(backend, "omega") == [doc]
    assert found(backend, "alpha") == []


def test_an_edited_post_is_found_by_its_new_words_not_its_old_ones(backend: SearchBackend) -> None:
    doc = put_post(backend, "I love #pizza with pineapple", tags=("pizza",))
    put_post(backend, "I love tacos", doc_id=doc, tags=("tacos",))
    assert found(backend, "tacos") == [doc]
    assert found(backend, "pineapple") == []
    assert backend.tag_timeline("pizza", limit=10, before=None) == []
    assert backend.tag_timeline("tacos", limit=10, before=None) == [doc]


def test_users_are_replaced_and_removed(backend: SearchBackend) -> None:
    put_user(backend, "grace", "Grace Hopper")
    put_user(backend, "grace", "Amazing Grace")
    assert users(backend, "amazing") == ["grace"]
    assert users(backend, "hopper") == []
    assert backend.bulk([Remove("users", "grace", next(_versions))]).applied == 1
    assert users(backend, "grace") == []


def test_a_document_of_the_wrong_kind_fails_alone(backend: SearchBackend) -> None:
    good = post_id(3)
    document = PostDocument(post_id=good, author="ada", text="works fine", hashtags=(), created_at=NOW)
    wrong = Put("posts", "x1", next(_versions), UserDocument("x1", "Not a post"))
    outcome = backend.bulk([wrong, Put("posts", good, next(_versions), document)])
    assert outcome.applied == 1
    assert [operation for operation, _ in outcome.failed] == [wrong]
    assert found(backend, "works") == [good]


# --- ranking ---------------------------------------------------------------------------------------------

def test_every_word_must_match_and_the_last_matches_as_a_prefix(backend: SearchBackend) -> None:
    both = put_post(backend, "the quick brown fox", minutes_ago=3)
    put_post(backend, "the quick red car", minutes_ago=2)
    assert found(backend, "quick fox") == [both]
    assert found(backend, "quick bro") == [both]
    assert found(backend, "bro quick") == []  # only the last word is a prefix


def test_diacritics_and_case_do_not_matter(backend: SearchBackend) -> None:
    doc = put_post(backend, "Un café à Zürich")
    assert found(backend, "CAFE zurich") == [doc]
    assert found(backend, "zürich") == [doc]


def test_among_equally_relevant_posts_the_newer_ranks_higher(backend: SearchBackend) -> None:
    old = put_post(backend, "sunset over the harbour", minutes_ago=3 * 24 * 60)
    new = put_post(backend, "sunset over the harbour", minutes_ago=60)
    mid = put_post(backend, "sunset over the harbour", minutes_ago=24 * 60)
    assert found(backend, "sunset") == [new, mid, old]


def test_popularity_lifts_an_equally_relevant_post(backend: SearchBackend) -> None:
    plain = put_post(backend, "marathon training plan", minutes_ago=10)
    liked = put_post(backend, "marathon training plan", minutes_ago=20, likes=40, comments=10)
    assert found(backend, "marathon") == [liked, plain]


def test_relevance_counts(backend: SearchBackend) -> None:
    passing = put_post(backend, "a long walk with a dog and a cat and the weather and other things", minutes_ago=1)
    focused = put_post(backend, "dog dog dog", minutes_ago=2)
    assert found(backend, "dog") == [focused, passing]


def test_exact_ties_are_broken_by_the_newer_id(backend: SearchBackend) -> None:
    created = NOW - timedelta(minutes=5)
    ids = [f"01TIE{n}" for n in range(3)]
    backend.bulk([Put("posts", i, next(_versions), PostDocument(i, "ada", "tied words", (), created)) for i in ids])
    assert found(backend, "tied") == sorted(ids, reverse=True)


def test_pages_follow_each_other_without_gaps_or_repeats(backend: SearchBackend) -> None:
    ids = {put_post(backend, f"paging story number {n}", minutes_ago=n, likes=n % 4) for n in range(25)}
    seen: list[str] = []
    after = None
    for _ in range(10):
        page = backend.search_posts("story", limit=7, after=after, now=NOW)
        seen += [hit.doc_id for hit in page.hits]
        scores = [hit.score for hit in page.hits]
        assert scores == sorted(scores, reverse=True)
        after = page.after
        if after is None:
            break
    assert len(seen) == len(set(seen)) == 25
    assert set(seen) == ids
    assert seen == found(backend, "story", limit=100)


def test_a_later_page_keeps_its_order_while_time_passes(backend: SearchBackend) -> None:
    for n in range(6):
        put_post(backend, "clockwork", minutes_ago=n * 600, likes=(5 - n) * 3)
    first = backend.search_posts("clockwork", limit=3, after=None, now=NOW)
    later = backend.search_posts("clockwork", limit=3, after=first.after, now=NOW + timedelta(days=3))
    assert [h.doc_id for h in first.hits + later.hits] == found(backend, "clockwork")


# --- users ---------------------------------------------------------------------------------------------

def test_an_exact_username_ranks_first_then_prefixes_then_display_names(backend: SearchBackend) -> None:
    put_user(backend, "adam", "Adam Smith", followers=900)
    put_user(backend, "ada", "Ada Lovelace", followers=3)
    put_user(backend, "adalbert", "Bert", followers=50)
    put_user(backend, "zed", "Adalynn Zed", followers=10_000)
    put_user(backend, "bob", "Bob", followers=5)
    assert users(backend, "ada") == ["ada", "adam", "adalbert", "zed"]  # prefixes: more followers first
    assert users(backend, "@Ada") == ["ada", "adam", "adalbert", "zed"]
    assert users(backend, "adal") == ["adalbert", "zed"]  # the display-name tier after, whatever its followers


def test_ad_finds_ada(backend: SearchBackend) -> None:
    put_user(backend, "ada", "Ada Lovelace")
    put_user(backend, "bob", "Bob")
    assert users(backend, "ad") == ["ada"]
    assert users(backend, "love") == ["ada"]  # a display-name word starting with it


def test_users_page_through_every_tier(backend: SearchBackend) -> None:
    for n in range(12):
        put_user(backend, f"sam{n:02d}", f"Sam number {n}", followers=n % 3)
    put_user(backend, "sam", "Sam", followers=0)
    put_user(backend, "other", "Samantha", followers=99)
    seen: list[str] = []
    after = None
    while True:
        page = backend.search_users("sam", limit=5, after=after)
        seen += [hit.doc_id for hit in page.hits]
        after = page.after
        if after is None:
            break
    assert seen == users(backend, "sam", limit=100)
    assert seen[0] == "sam" and seen[-1] == "other" and len(seen) == 14


# --- hashtags, tag timelines, trends -------------------------------------------------------------------

def test_hashtags_by_prefix_most_used_lately_first(backend: SearchBackend) -> None:
    put_post(backend, "#python", tags=("python",), minutes_ago=10, author="a")
    put_post(backend, "#pytest", tags=("pytest",), minutes_ago=11, author="b")
    put_post(backend, "#pytest", tags=("pytest",), minutes_ago=12, author="c")
    put_post(backend, "#pyramid", tags=("pyramid",), minutes_ago=3 * 24 * 60, author="d")
    put_post(backend, "#rust", tags=("rust",), author="e")
    hits = backend.search_hashtags("#Py", limit=10, now=NOW)
    assert [hit.doc_id for hit in hits] == ["pytest", "python", "pyramid"]
    assert [hit.score for hit in hits] == [2, 1, 0]


def test_a_tag_timeline_is_newest_first_and_pages_with_before(backend: SearchBackend) -> None:
    ids = [put_post(backend, f"#cats number {n}", tags=("cats",), minutes_ago=n) for n in range(5)]
    put_post(backend, "#dogs", tags=("dogs",))
    assert backend.tag_timeline("cats", limit=3, before=None) == ids[:3]
    assert backend.tag_timeline("#Cats", limit=3, before=ids[2]) == ids[3:]


def test_trends_count_distinct_people_in_the_last_day_with_daily_history(backend: SearchBackend) -> None:
    for author in ("a", "b", "c"):
        put_post(backend, "#wide", tags=("wide",), author=author, minutes_ago=30)
    for n in range(5):  # one person, many posts
        put_post(backend, "#loud", tags=("loud",), author="d", minutes_ago=40 + n)
    put_post(backend, "#loud", tags=("loud",), author="e", minutes_ago=50)
    put_post(backend, "#stale", tags=("stale",), author="f", minutes_ago=2 * 24 * 60)
    put_post(backend, "#stale", tags=("stale",), author="g", minutes_ago=2 * 24 * 60 + 5)
    put_post(backend, "#wide", tags=("wide",), author="h", minutes_ago=2 * 24 * 60)
    trends = backend.trending_tags(now=NOW, limit=10)
    assert [(t.tag, t.people) for t in trends] == [("wide", 3), ("loud", 2)]
    wide = trends[0]
    assert len(wide.history) == TREND_HISTORY_DAYS
    assert wide.history[-1] == (NOW.date().isoformat(), 3)
    assert wide.history[-3] == ((NOW - timedelta(days=2)).date().isoformat(), 1)
    assert sum(n for _, n in wide.history) == 4
    assert [day for day, _ in wide.history] == sorted(day for day, _ in wide.history)


def test_a_deleted_post_leaves_its_tags(backend: SearchBackend) -> None:
    doc = put_post(backend, "#gone", tags=("gone",), author="a")
    backend.bulk([Remove("posts", doc, next(_versions))])
    assert backend.trending_tags(now=NOW, limit=10) == []
    assert backend.tag_timeline("gone", limit=10, before=None) == []


# --- query text is data --------------------------------------------------------------------------------

def test_two_hundred_adversarial_queries_never_raise(backend: SearchBackend) -> None:
    put_post(backend, "hello world with #tags", tags=("tags",))
    put_user(backend, "ada", "Ada Lovelace")
    queries = adversarial_queries()
    assert len(queries) == 200
    for query in queries:
        backend.search_posts(query, limit=5, after=None, now=NOW)
        backend.search_users(query, limit=5, after=None)
        backend.search_hashtags(query, limit=5, now=NOW)
        backend.tag_timeline(query, limit=5, before=query)
    # Nothing was dropped or rewritten by any of them.
    assert found(backend, "hello") != [] and users(backend, "ada") == ["ada"]


def test_operators_are_searched_as_words_not_obeyed(backend: SearchBackend) -> None:
    cats = put_post(backend, "cats and dogs", minutes_ago=2)
    put_post(backend, "only cats here", minutes_ago=1)
    assert found(backend, "cats AND dogs") == [cats]  # "and" is a word of the post, not an operator
    assert found(backend, "cats NOT dogs") == []  # "not" is a word no post has
    assert found(backend, "dogs OR birds") == []
    assert found(backend, 'text:"cats" dogs') == []  # "text" is a word no post has, not a column filter
