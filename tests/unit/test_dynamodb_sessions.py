"""PynamoDB's connections parse botocore's DynamoDB model once per process, not once per table."""

from __future__ import annotations

import threading

from pynamodb.connection import TableConnection

import chalicelib.core.declarations  # noqa: F401  (what every model imports: it installs the shared loader)
from chalicelib.core.dynamodb_sessions import shared_loader


def _client(table: str) -> object:
    return TableConnection(table, region="us-east-1", host="http://127.0.0.1:9").connection.client


def test_every_tables_connection_reads_the_one_parsed_model_also_from_other_threads() -> None:
    clients = [_client("one"), _client("two")]
    thread = threading.Thread(target=lambda: clients.append(_client("three")))
    thread.start()
    thread.join()

    models = {id(c.meta.service_model._service_description) for c in clients}  # type: ignore[attr-defined]
    assert len(models) == 1  # one parse, shared: each used to parse its own copy
    assert len({id(c) for c in clients}) == 3  # still a client (and session) per connection, as PynamoDB wants
    assert shared_loader().list_available_services("service-2")  # the loader is botocore's own, with its data
