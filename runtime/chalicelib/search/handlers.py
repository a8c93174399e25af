"""The indexer's stream handlers: the posts and users tables' changes, one bulk request per batch."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.core.declarations import uses
from chalicelib.resources import POSTS, SEARCH, USERS
from chalicelib.search.backends import backend
from chalicelib.search.indexer import index_records, post_operation, user_operation
from chalicelib.search.port import INDEXES

search_indexer = Blueprint(__name__)


@search_indexer.on_dynamodb_record(stream_arn=POSTS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(SEARCH.index())
def index_posts(event: DynamoDBEvent) -> dict[str, Any]:
    """Posts created, edited, liked, commented or deleted -> the posts index."""
    return index_records(event, post_operation, backend())


@search_indexer.on_dynamodb_record(stream_arn=USERS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(SEARCH.index())
def index_users(event: DynamoDBEvent) -> dict[str, Any]:
    """Profiles created, renamed, followed or deleted -> the users index."""
    return index_records(event, user_operation, backend())


@search_indexer.lambda_function(name="reindex_search")
@uses(SEARCH.index(), POSTS.read(), USERS.read())
def reindex_search(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Rebuild the search indexes from the tables: an operator's step, after a mapping change or a loss.

    ``aws lambda invoke --function-name <stack>-reindex-search --payload '{"indexes": ["posts"]}' out.json``
    (default: both). In AWS a new index is filled and the alias swapped to it; pause the indexer's
    stream mappings meanwhile (records wait in the stream) so no change reaches only the old index.
    Locally ``make reindex`` runs this same function.
    """
    from chalicelib.search.reindex import rebuild_index

    wanted = (event or {}).get("indexes") or list(INDEXES)
    unknown = sorted(set(wanted) - set(INDEXES))
    if unknown:
        raise ValueError(f"unknown indexes {unknown}; known: {list(INDEXES)}")
    return {"rebuilt": [rebuild_index(backend(), index) for index in INDEXES if index in wanted]}
