"""Wiring refuses what the deploy refuses, through the deploy's own app graph, before creating anything."""

from __future__ import annotations

from typing import cast

import pytest
from chalice.app import Chalice

from chalicelib.core.declarations import Manifest, Queue, uses
from local.clients import Clients
from local.provision import Provisioned
from local.wiring import wire
from stacks.appgraph import UndeclaredResourceError

NO_CLIENTS = cast(Clients, None)  # the plan fails first: no plumbing is created
NOTHING = Provisioned(prefix="wiring-", region="us-east-1")


def test_a_handler_on_an_undeclared_queue_is_refused_with_the_app_graph_error() -> None:
    app = Chalice(app_name="broken")
    app.on_sqs_message(queue="nope")(lambda event: None)
    with pytest.raises(UndeclaredResourceError, match="queue 'nope'") as raised:
        wire(app, Manifest(), NOTHING, NO_CLIENTS)
    assert "MANIFEST" in str(raised.value)


def test_a_grant_on_an_undeclared_resource_is_refused_as_the_deploy_refuses_it() -> None:
    app = Chalice(app_name="grants")

    @app.route("/x")
    @uses(Queue("stray").send())
    def view() -> None: ...

    with pytest.raises(UndeclaredResourceError, match="stray"):
        wire(app, Manifest(), NOTHING, NO_CLIENTS)
    assert wire(app, Manifest(queues=(Queue("stray"),)), NOTHING, NO_CLIENTS) == []
