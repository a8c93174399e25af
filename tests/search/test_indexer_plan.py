"""The indexer as deployed: one function per table stream, batches of 100 (stacks/triggers.py gives each its
failure queue, as every stream consumer)."""

from __future__ import annotations

from app import app
from chalicelib.resources import MANIFEST, POSTS, USERS
from stacks.appgraph import StreamTrigger, plan_app


def test_the_posts_and_users_streams_feed_the_indexer() -> None:
    plan = plan_app(app, MANIFEST)
    for name, table in (("index_posts", POSTS), ("index_users", USERS)):
        trigger = plan.function(name).trigger
        assert isinstance(trigger, StreamTrigger), name
        assert (trigger.table, trigger.batch_size, trigger.starting_position) == (table, 100, "TRIM_HORIZON")
    assert USERS.stream == "NEW_AND_OLD_IMAGES"  # the old image names a removed profile
