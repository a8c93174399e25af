"""Wiring refuses what the deploy refuses, through the app graph, before creating anything."""

from __future__ import annotations

from typing import cast

import pytest
from chalice.app import Chalice

from chalicelib.core.declarations import Queue, uses
from local.clients import Clients
from local.provision import Provisioned
from local.wiring import wire
from stacks.appgraph import UndeclaredResourceError

NO_CLIENTS = cast(Clients, None)  # the plan fails first: no plumbing is created


def test_a_handler_on_an_undeclared_queue_is_refused_with_the_app_graph_error() -> None:
    app = Chalice(app_name="broken")
    app.on_sqs_message(queue="nope")(lambda event: None)
    with pytest.raises(UndeclaredResourceError, match="queue 'nope'") as raised:
        wire(app, Provisioned(prefix="wiring-", region="us-east-1"), NO_CLIENTS)
    assert "MANIFEST" in str(raised.value)


def test_grants_are_left_to_the_deploy() -> None:
    app = Chalice(app_name="grants")

    @app.route("/x")
    @uses(Queue("stray").send())
    def view() -> None: ...

    assert wire(app, Provisioned(prefix="wiring-", region="us-east-1"), NO_CLIENTS) == []
