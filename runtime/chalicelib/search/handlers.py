"""The indexer's stream handlers: the posts and users tables' changes, one bulk request per batch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.core.declarations import uses
from chalicelib.core.lazy import lazy_module
from chalicelib.resources import POSTS, SEARCH, USERS

if TYPE_CHECKING:
    from chalicelib.search import backends, indexer, port
else:
    port = lazy_module("chalicelib.search.port")
    backends = lazy_module("chalicelib.search.backends")
    indexer = lazy_module("chalicelib.search.indexer")

search_indexer = Blueprint(__name__)


@search_indexer.on_dynamodb_record(stream_arn=POSTS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(SEARCH.index())
def index_posts(event: DynamoDBEvent) -> dict[str, Any]:
    """Posts created, edited, liked, commented or deleted -> the posts index."""
    return indexer.index_records(event, indexer.post_operation, backends.backend())


@search_indexer.on_dynamodb_record(stream_arn=USERS.name, batch_size=100, starting_position="TRIM_HORIZON")
@uses(SEARCH.index())
def index_users(event: DynamoDBEvent) -> dict[str, Any]:
    """Profiles created, renamed, followed or deleted -> the users index."""
    return indexer.index_records(event, indexer.user_operation, backends.backend())


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

    wanted = (event or {}).get("indexes") or list(port.INDEXES)
    unknown = sorted(set(wanted) - set(port.INDEXES))
    if unknown:
        raise ValueError(f"unknown indexes {unknown}; known: {list(port.INDEXES)}")
    return {"rebuilt": [rebuild_index(backends.backend(), index) for index in port.INDEXES if index in wanted]}
