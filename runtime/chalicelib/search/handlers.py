"""The indexer's stream handlers: the posts and users tables' changes, one bulk request per batch."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent

from chalicelib.core.declarations import uses
from chalicelib.resources import POSTS, SEARCH, USERS
from chalicelib.search.backends import backend
from chalicelib.search.indexer import index_records, post_operation, user_operation

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
