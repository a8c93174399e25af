"""The OpenSearch adapter's requests, checked against recorded expectations (no OpenSearch runs here).

The real opensearch-py client, SigV4 signer and HTTP connection build and sign every request; a
recording adapter (``opensearch_recorder``) takes it instead of the network and answers with canned
responses. The bodies are compared with ``tests/search/expected/*.json``, the reviewed record of
what the adapter sends. After a deliberate change, rewrite them with
``UPDATE_EXPECTED=1 pytest tests/search/test_opensearch_requests.py`` and review the diff.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opensearchpy")

from botocore.credentials import Credentials

from chalicelib.search.opensearch_backend import OpenSearchBackend, sequence
from chalicelib.search.opensearch_mappings import index_body
from chalicelib.search.port import (
    MAX_QUERY_TERMS,
    Hit,
    PostDocument,
    Put,
    Remove,
    SearchPage,
    UserDocument,
    terms,
)
from tests.search.opensearch_recorder import Recorded, Recorder

ENDPOINT = "https://vpc-social-dev-abc123.us-east-1.es.amazonaws.com"
PREFIX = "social-dev-"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
EXPECTED = Path(__file__).parent / "expected"
SEQUENCE = 300000000000000499659  # a DynamoDB stream sequence number (AWS's example: 21 digits)
KEYS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
SYNTAX_KEYS = {"query_string", "simple_query_string", "wildcard", "regexp", "script", "script_score", "fuzzy"}


@pytest.fixture()
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture()
def fresh(recorder: Recorder) -> OpenSearchBackend:
    """A backend as a new process builds it: it has not yet checked that the indexes exist."""
    return OpenSearchBackend(ENDPOINT, PREFIX, "us-east-1", connection_class=recorder.connection_class(),
                             credentials=KEYS)


@pytest.fixture()
def backend(fresh: OpenSearchBackend, recorder: Recorder) -> OpenSearchBackend:
    """A backend whose indexes exist (checked once), with no request recorded yet."""
    recorder.reply(200, {})
    recorder.reply(200, {})
    fresh.ensure_indexes()
    recorder.requests.clear()
    return fresh


def expect(name: str, actual: Any) -> None:
    """``actual`` equals the recorded ``expected/<name>.json`` (written when UPDATE_EXPECTED=1)."""
    path = EXPECTED / f"{name}.json"
    if os.environ.get("UPDATE_EXPECTED"):
        path.write_text(json.dumps(actual, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    assert actual == json.loads(path.read_text()), f"{name}: the request differs from {path}"


def post(post_id: str, text: str, *, tags: tuple[str, ...] = (), hours_old: int = 1, likes: int = 0,
         comments: int = 0) -> PostDocument:
    return PostDocument(post_id=post_id, author="ada", text=text, hashtags=tags,
                        created_at=NOW - timedelta(hours=hours_old), likes=likes, comments=comments)


def hits_answer(*hits: dict[str, Any]) -> dict[str, Any]:
    return {"took": 1, "timed_out": False, "hits": {"hits": list(hits)}}


def walk(node: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, value) pair of a JSON document, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield None, value
            yield from walk(value)


# -- indexes ---------------------------------------------------------------------------------------

def test_ensure_indexes_creates_each_versioned_index_with_its_mapping_and_alias(fresh, recorder):
    recorder.reply(404, {})  # no alias social-dev-posts yet
    recorder.reply(200, {"acknowledged": True})
    recorder.reply(404, {})
    recorder.reply(200, {"acknowledged": True})

    assert fresh.ensure_indexes() == ["social-dev-posts-v1", "social-dev-users-v1"]

    head_posts, create_posts, head_users, create_users = recorder.requests
    assert (head_posts.method, head_posts.path) == ("HEAD", "_alias/social-dev-posts")
    assert (create_posts.method, create_posts.path) == ("PUT", "social-dev-posts-v1")
    assert (create_users.method, create_users.path) == ("PUT", "social-dev-users-v1")
    assert create_posts.json()["aliases"] == {"social-dev-posts": {}}
    expect("create_posts_index", create_posts.json())
    expect("create_users_index", create_users.json())
    assert head_users.path == "_alias/social-dev-users"


def test_ensure_indexes_leaves_existing_aliases_alone(fresh, recorder):
    recorder.reply(200, {})
    recorder.reply(200, {})

    assert fresh.ensure_indexes() == []
    assert [r.method for r in recorder.requests] == ["HEAD", "HEAD"]


def test_posts_mapping_ranks_with_the_fields_the_queries_use():
    properties = index_body("posts")["mappings"]["properties"]
    assert properties["text"]["type"] == "text"
    assert properties["hashtags"]["type"] == properties["author"]["type"] == "keyword"
    assert properties["created_at"]["type"] == "date"
    assert {"likes", "comments", "engagement"} <= properties.keys()
    users = index_body("users")["mappings"]["properties"]
    assert users["username"]["type"] == "keyword" and "prefix" in users["username"]["fields"]
    assert "prefix" in users["display_name"]["fields"]


def test_reindex_copies_into_the_next_version_and_swaps_the_alias_in_one_request(backend, recorder):
    recorder.reply(200, {"social-dev-posts-v3": {"aliases": {"social-dev-posts": {}}}})
    recorder.reply(200, {"acknowledged": True})
    recorder.reply(200, {"total": 2, "created": 2, "failures": []})
    recorder.reply(200, {"acknowledged": True})

    assert backend.reindex("posts") == "social-dev-posts-v4"

    get_alias, create, copy, swap = recorder.requests
    assert (get_alias.method, get_alias.path) == ("GET", "_alias/social-dev-posts")
    assert (create.method, create.path) == ("PUT", "social-dev-posts-v4")
    assert create.json() == index_body("posts")  # no alias yet: searches stay on v3 while v4 fills
    assert (copy.method, copy.path) == ("POST", "_reindex")
    assert "wait_for_completion=true" in copy.query
    expect("reindex_copy", copy.json())
    assert (swap.method, swap.path) == ("POST", "_aliases")
    expect("alias_swap", swap.json())


def test_reindex_from_batches_fills_the_new_index_then_swaps(backend, recorder):
    recorder.reply(200, {"social-dev-users-v1": {"aliases": {"social-dev-users": {}}}})
    recorder.reply(200, {"acknowledged": True})
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 201, "result": "created"}}]})
    recorder.reply(200, {})
    recorder.reply(200, {"acknowledged": True})

    batch = [Put("users", "ada", 1, UserDocument("ada", "Ada Lovelace", 3))]
    assert backend.reindex("users", batches=[batch]) == "social-dev-users-v2"

    fill = recorder.requests[2]
    assert fill.path == "_bulk"
    assert fill.json_lines()[0]["update"]["_index"] == "social-dev-users-v2"  # the new index, not the alias
    assert recorder.requests[3].path == "social-dev-users-v2/_refresh"
    assert recorder.requests[4].path == "_aliases"


def test_a_failed_rebuild_never_moves_the_alias(backend, recorder):
    recorder.reply(200, {"social-dev-users-v1": {"aliases": {"social-dev-users": {}}}})
    recorder.reply(200, {"acknowledged": True})
    recorder.reply(200, {"errors": True, "items": [{"update": {"status": 400, "error": {
        "type": "mapper_parsing_exception", "reason": "bad"}}}]})

    with pytest.raises(RuntimeError, match="mapper_parsing_exception"):
        backend.reindex("users", batches=[[Put("users", "ada", 1, UserDocument("ada", "Ada"))]])
    assert all(r.path != "_aliases" for r in recorder.requests)


# -- bulk ------------------------------------------------------------------------------------------

def test_bulk_sends_one_ndjson_request_of_conditional_writes(backend, recorder):
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 201, "result": "created"}},
                                                    {"update": {"status": 200, "result": "updated"}},
                                                    {"update": {"status": 200, "result": "updated"}}]})
    operations = [
        Put("posts", "01JPOST1", SEQUENCE, post("01JPOST1", "Hello #Python world", tags=("python",), likes=3,
                                                comments=2)),
        Put("users", "ada", SEQUENCE + 1, UserDocument("ada", "Ada Lovelace", followers=42)),
        Remove("posts", "01JPOST0", SEQUENCE + 2),
    ]

    outcome = backend.bulk(operations)

    assert outcome.applied == 3 and outcome.stale == 0 and outcome.failed == ()
    [request] = recorder.requests
    assert (request.method, request.path) == ("POST", "_bulk")
    assert request.body.endswith(b"\n")  # _bulk refuses a body whose last line has no newline
    lines = request.json_lines()
    expect("bulk_lines", lines)
    # DynamoDB's sequence numbers (21 to 40 digits) overflow OpenSearch's long external versions: they travel
    # as zero-padded text, whose order is the numbers' order.
    seqs = [line["script"]["params"]["seq"] for line in lines[1::2]]
    assert seqs == sorted(seqs) and {len(seq) for seq in seqs} == {40}
    assert int(seqs[0]) == SEQUENCE > 2 ** 63
    assert lines[5]["script"]["params"]["doc"] is None  # a delete leaves a tombstone holding its seq
    assert "version_type" not in request.body.decode()


def test_sequence_text_orders_as_the_numbers_do():
    numbers = [300000000000000499659, 4421584500000000017450439091, 21165900000000016396046773, 7, 10 ** 39]
    assert sorted(numbers) == [int(text) for text in sorted(sequence(n) for n in numbers)]


def test_a_version_that_is_no_sequence_number_fails_without_reaching_the_others(backend, recorder):
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 200, "result": "updated"}}]})

    outcome = backend.bulk([Remove("posts", "p1", 10 ** 40), Remove("posts", "p2", 5)])

    assert outcome.applied == 1 and [(op.doc_id, reason) for op, reason in outcome.failed] == [
        ("p1", "version is not a sequence number")]
    assert [line["update"]["_id"] for line in recorder.requests[0].json_lines()[::2]] == ["p2"]


def test_bulk_maps_noops_to_stale_and_conflicts_throttling_or_server_errors_to_failed(backend, recorder):
    recorder.reply(200, {"errors": True, "items": [
        {"update": {"status": 201, "result": "created"}},
        {"update": {"status": 200, "result": "noop"}},
        {"update": {"status": 200, "result": "updated"}},
        {"update": {"status": 429, "error": {"type": "es_rejected_execution_exception", "reason": "queue full"}}},
        {"update": {"status": 503, "error": {"type": "unavailable_shards_exception", "reason": "primary"}}},
        {"update": {"status": 409, "error": {"type": "version_conflict_engine_exception", "reason": "busy"}}},
        {"update": {"status": 200, "result": "noop"}},
    ]})
    operations = [Put("posts", f"p{i}", 10 + i, post(f"p{i}", "hi")) for i in range(2)] + \
                 [Remove("posts", "p2", 12), Put("posts", "p3", 13, post("p3", "x")),
                  Remove("posts", "p4", 14), Remove("posts", "p5", 15), Remove("posts", "p6", 16)]

    outcome = backend.bulk(operations)

    assert outcome.applied == 2
    assert outcome.stale == 2  # the index held this version or a newer one: done, nothing to retry
    # a 409 here is other writers winning every retry, not an older version: retried later, it applies or noops
    assert [(op.doc_id, reason.split()[0]) for op, reason in outcome.failed] == [
        ("p3", "429"), ("p4", "503"), ("p5", "409")]
    assert "es_rejected_execution_exception" in outcome.failed[0][1]


def test_a_throttled_bulk_request_fails_every_operation_for_a_retry(backend, recorder):
    recorder.reply(429, {"error": {"type": "too_many_requests"}, "status": 429})
    operations = [Remove("posts", "p1", 1), Remove("posts", "p2", 2)]

    outcome = backend.bulk(operations)

    assert outcome.applied == 0 and [op for op, _ in outcome.failed] == operations
    assert outcome.failed[0][1].startswith("429")


def test_items_missing_from_the_answer_are_failed_not_assumed_done(backend, recorder):
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 200, "result": "updated"}}]})
    outcome = backend.bulk([Remove("posts", "p1", 1), Remove("posts", "p2", 2)])
    assert outcome.applied == 1 and [op.doc_id for op, _ in outcome.failed] == ["p2"]


def test_a_processs_first_bulk_creates_missing_indexes_before_writing_through_the_aliases(fresh, recorder):
    recorder.reply(404, {})
    recorder.reply(200, {"acknowledged": True})
    recorder.reply(200, {})  # the users alias exists
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 200, "result": "updated"}}]})
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 200, "result": "updated"}}]})

    fresh.bulk([Remove("posts", "p1", 1)])
    fresh.bulk([Remove("posts", "p2", 2)])

    assert [(r.method, r.path) for r in recorder.requests] == [
        ("HEAD", "_alias/social-dev-posts"), ("PUT", "social-dev-posts-v1"), ("HEAD", "_alias/social-dev-users"),
        ("POST", "_bulk"), ("POST", "_bulk")]  # checked once per process, not per batch


def test_searching_before_any_index_exists_finds_nothing(backend, recorder):
    missing = {"error": {"type": "index_not_found_exception", "reason": "no such index"}, "status": 404}
    recorder.default = (404, missing)

    assert backend.search_posts("hello", limit=5, after=None, now=NOW) == SearchPage(hits=[])
    assert backend.search_users("ada", limit=5, after=None) == SearchPage(hits=[])
    assert backend.search_hashtags("py", limit=5, now=NOW) == []
    assert backend.tag_timeline("python", limit=5, before=None) == []
    assert backend.trending_tags(now=NOW, limit=5) == []
    assert len(recorder.requests) == 5


def test_an_empty_bulk_sends_nothing(backend, recorder):
    assert backend.bulk([]).applied == 0 and recorder.requests == []


# -- queries ---------------------------------------------------------------------------------------

def test_posts_query_blends_bm25_recency_and_popularity(backend, recorder):
    recorder.reply(200, hits_answer({"_id": "01JB", "_score": 2.5, "sort": [2.5, "01JB"]},
                                    {"_id": "01JA", "_score": 2.5, "sort": [2.5, "01JA"]}))

    page = backend.search_posts("Hello Wor", limit=2, after=None, now=NOW)

    [request] = recorder.requests
    assert request.path == "social-dev-posts/_search"
    expect("search_posts", request.json())
    assert page.hits == [Hit("01JB", 2.5), Hit("01JA", 2.5)]
    assert page.after == [2.5, "01JA", "2026-11-30T12:00:00.000Z"]


def test_the_next_posts_page_continues_after_the_last_hit_with_the_same_clock(backend, recorder):
    recorder.reply(200, hits_answer({"_id": "01J9", "_score": 1.0, "sort": [1.0, "01J9"]}))

    page = backend.search_posts("hello wor", limit=2, after=[2.5, "01JA", "2026-11-30T12:00:00.000Z"],
                                now=NOW + timedelta(minutes=5))

    body = recorder.requests[0].json()
    assert body["search_after"] == [2.5, "01JA"]
    assert body["query"]["function_score"]["functions"][0]["exp"]["created_at"]["origin"] == \
        "2026-11-30T12:00:00.000Z"
    assert page == SearchPage(hits=[Hit("01J9", 1.0)], after=None)  # fewer than asked: the last page


def test_users_query_puts_the_exact_username_first_then_prefixes_then_followers(backend, recorder):
    recorder.reply(200, hits_answer({"_id": "ada", "_score": None, "sort": [111.0, 42, "ada"]}))

    page = backend.search_users("@Ada", limit=1, after=None)

    expect("search_users", recorder.requests[0].json())
    assert page == SearchPage(hits=[Hit("ada", 111.0)], after=[111.0, 42.0, "ada"])


def test_users_query_of_several_words_searches_display_names_only(backend, recorder):
    recorder.reply(200, hits_answer())
    backend.search_users("ada lov", limit=5, after=[1.0, 7.0, "zed"])
    body = recorder.requests[0].json()
    expect("search_users_words", body)
    assert body["search_after"] == [1.0, 7, "zed"]


def test_hashtags_query_aggregates_tags_by_prefix_over_the_last_day(backend, recorder):
    recorder.reply(200, {"hits": {"hits": []}, "aggregations": {"tags": {"buckets": [
        {"key": "python", "doc_count": 9}, {"key": "pytest", "doc_count": 4}]}}})

    hits = backend.search_hashtags("#Py", limit=10, now=NOW)

    expect("search_hashtags", recorder.requests[0].json())
    assert hits == [Hit("python", 9.0), Hit("pytest", 4.0)]


def test_tag_timeline_filters_on_the_tag_newest_first(backend, recorder):
    recorder.reply(200, hits_answer({"_id": "01JC", "sort": ["01JC"]}, {"_id": "01JB", "sort": ["01JB"]}))

    ids = backend.tag_timeline("#Python", limit=2, before="01JD")

    expect("tag_timeline", recorder.requests[0].json())
    assert ids == ["01JC", "01JB"]


def test_trending_tags_counts_distinct_authors_with_a_daily_history(backend, recorder):
    def days(*counts: int) -> dict[str, Any]:
        dates = [(NOW.date() - timedelta(days=6 - i)).isoformat() for i in range(7)]
        return {"buckets": [{"key_as_string": d, "doc_count": c, "people": {"value": c}}
                            for d, c in zip(dates, counts, strict=True) if c]}

    recorder.reply(200, {"hits": {"hits": []}, "aggregations": {"tags": {"buckets": [
        {"key": "python", "doc_count": 12, "recent": {"doc_count": 5, "people": {"value": 4}},
         "days": days(1, 0, 0, 2, 0, 3, 4)},
        {"key": "old", "doc_count": 3, "recent": {"doc_count": 0, "people": {"value": 0}},
         "days": days(3, 0, 0, 0, 0, 0, 0)},
    ]}}})

    trends = backend.trending_tags(now=NOW, limit=5)

    expect("trending_tags", recorder.requests[0].json())
    assert [(t.tag, t.people) for t in trends] == [("python", 4)]  # "old": nobody in the last 24 hours
    assert trends[0].history == [("2026-11-24", 1), ("2026-11-25", 0), ("2026-11-26", 0), ("2026-11-27", 2),
                                 ("2026-11-28", 0), ("2026-11-29", 3), ("2026-11-30", 4)]


# -- query text is data ----------------------------------------------------------------------------

ADVERSARIAL = [
    '*"():^~',
    '"unbalanced quote',
    "title:hello AND body:world OR NOT x",
    "hello~2 wor?d [a TO z] {1 TO 5} /re.*gex/",
    "' OR 1=1; DROP TABLE posts; --",
    '{"query": {"match_all": {}}}',
    '{"script": {"source": "System.exit(0)"}}',
    "_all:* || && ! \\ / < > =",
    "#tag @user +must -mustnot",
    "naïve café 東京 😀 مرحبا",
    "x" * 1000,
    " ".join(["word"] * 300),
    "\u0000\u202e\ufeff",
]


def run_every_search(backend: OpenSearchBackend, recorder: Recorder, query: str) -> list[Recorded]:
    recorder.default = (200, {"hits": {"hits": []}, "aggregations": {"tags": {"buckets": []}}})
    backend.search_posts(query, limit=20, after=None, now=NOW)
    backend.search_users(query, limit=20, after=None)
    backend.search_hashtags(query, limit=20, now=NOW)
    sent = list(recorder.requests)
    recorder.requests.clear()
    return sent


@pytest.mark.parametrize("query", ADVERSARIAL, ids=lambda q: repr(q[:24]))
def test_adversarial_text_reaches_opensearch_only_as_its_words(backend, recorder, query):
    words = " ".join(terms(query))
    adversarial = run_every_search(backend, recorder, query)
    # The same searches for the bare words: if the input carried any syntax, the bodies would differ.
    plain = run_every_search(backend, recorder, words)

    assert [r.json() for r in adversarial] == [r.json() for r in plain]
    assert len(adversarial) >= (3 if words else 0)  # posts, users and hashtags were searched when there are words
    for request in adversarial:
        body = request.json()
        assert not SYNTAX_KEYS & {key for key, _ in walk(body)}
        for key, value in walk(body):
            if key == "query" and isinstance(value, str):  # the text of match and match_bool_prefix
                assert value == words
                assert len(value.split()) <= MAX_QUERY_TERMS
            if key == "include":  # the hashtag prefix: a literal, then any ending
                assert value == terms(query)[0] + ".*"


@pytest.mark.parametrize("tag", [*ADVERSARIAL, "Python", "_snake_case_", "#日本"], ids=lambda q: repr(q[:24]))
def test_a_tag_timeline_asks_only_for_a_tag_that_can_exist(backend, recorder, tag):
    recorder.default = (200, hits_answer())
    backend.tag_timeline(tag, limit=20, before=None)

    name = tag.lstrip("#").lower()
    if len(name) <= 50 and name.isidentifier():  # these cases: one word, not starting with a digit
        [request] = recorder.requests
        assert request.json()["query"]["bool"]["filter"] == [{"term": {"hashtags": name}}]
    else:  # not one word of at most 50 characters: no post can carry it
        assert recorder.requests == []


def test_text_with_no_words_sends_no_search(backend, recorder):
    assert backend.search_posts('*"():^~', limit=20, after=None, now=NOW).hits == []
    assert backend.search_users("--", limit=20, after=None).hits == []
    assert backend.search_hashtags("#", limit=20, now=NOW) == []
    assert recorder.requests == []


# -- signing ---------------------------------------------------------------------------------------

def test_every_request_is_signed_with_sigv4_for_the_es_service(backend, recorder):
    recorder.reply(200, {"errors": False, "items": [{"update": {"status": 200, "result": "updated"}}]})
    backend.bulk([Remove("posts", "p1", 1)])
    recorder.reply(200, hits_answer())
    backend.search_posts("hello", limit=1, after=None, now=NOW)

    for request in recorder.requests:
        headers = {k.lower(): v for k, v in request.headers.items()}
        scope = f"Credential=AKIDEXAMPLE/{headers['x-amz-date'][:8]}/us-east-1/es/aws4_request"
        assert headers["authorization"].startswith("AWS4-HMAC-SHA256 " + scope)
        signed = headers["authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
        assert {"host", "x-amz-date", "x-amz-security-token"} <= set(signed)
        if "x-amz-content-sha256" in headers:  # the body's hash (which SigV4's canonical request covers)
            assert headers["x-amz-content-sha256"] == hashlib.sha256(request.body).hexdigest()
        assert headers["x-amz-security-token"] == "session-token"
        assert request.url.startswith("https://vpc-social-dev-abc123.us-east-1.es.amazonaws.com:443/")


def test_credentials_default_to_the_functions_own(recorder, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFUNCTIONROLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "role-session")
    backend = OpenSearchBackend(ENDPOINT, PREFIX, "eu-west-1", connection_class=recorder.connection_class())
    recorder.reply(200, hits_answer())

    backend.tag_timeline("python", limit=1, before=None)

    authorization = recorder.requests[0].headers["Authorization"]
    assert "Credential=AKIDFUNCTIONROLE/" in authorization and "/eu-west-1/es/aws4_request" in authorization


def test_the_reindex_function_fills_a_new_index_from_the_table_then_swaps(
        backend: OpenSearchBackend, recorder: Recorder, monkeypatch: pytest.MonkeyPatch) -> None:
    # reindex_search (the function an operator invokes in AWS) over moto's users table, with this backend.
    from moto import mock_aws

    from chalicelib.search import backends, handlers
    from chalicelib.users.models import UserModel

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(backends, "backend", lambda: backend)
    with mock_aws():
        UserModel._connection = None  # a connection made before mock_aws would bypass it
        UserModel.create_table(read_capacity_units=1, write_capacity_units=1)
        UserModel("ada", user_id="s-1", email="ada@example.org", display_name="Ada Lovelace").save()
        recorder.reply(200, {"social-dev-users-v1": {"aliases": {"social-dev-users": {}}}})
        recorder.reply(200, {"acknowledged": True})
        recorder.reply(200, {"errors": False, "items": [{"update": {"status": 201, "result": "created"}}]})
        recorder.reply(200, {})
        recorder.reply(200, {"acknowledged": True})

        answer = handlers.reindex_search({"indexes": ["users"]}, None)
    UserModel._connection = None

    assert answer == {"rebuilt": [{"index": "users", "swapped_to": "social-dev-users-v2"}]}
    fill = recorder.requests[2]
    assert fill.path == "_bulk" and fill.json_lines()[0]["update"]["_id"] == "ada"
    assert recorder.requests[-1].path == "_aliases"
    with pytest.raises(ValueError, match="unknown indexes"):
        handlers.reindex_search({"indexes": ["everything"]}, None)
