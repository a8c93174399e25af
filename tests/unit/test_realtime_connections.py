"""Connections on moto (in-process): registered by user, found in batches, forgotten, and swept after two hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from chalicelib.realtime import cleanup, connections
from chalicelib.realtime.models import ConnectionModel


@pytest.fixture
def table() -> Iterator[None]:
    with mock_aws():
        ConnectionModel._connection = None  # a connection made before mock_aws would bypass it
        ConnectionModel.create_table(read_capacity_units=1, write_capacity_units=1, wait=True)
        yield
        ConnectionModel._connection = None


def test_connections_are_found_by_user_in_batches_and_forgotten(table: None) -> None:
    connections.register("A=", "ann")
    connections.register("B=", "ann")
    connections.register("C=", "cy")
    everyone = [f"user_{n}" for n in range(250)] + ["ann", "cy"]
    assert connections.connected(everyone) == {"ann": {"A=", "B="}, "cy": {"C="}}
    assert connections.user_of("B=") == "ann"
    assert connections.forget("B=") == "ann"
    assert connections.forget("B=") is None  # twice: nothing left to do
    assert connections.connected(["ann"]) == {"ann": {"A="}}
    connections.drop("ann", {"A="})
    assert connections.connected(["ann", "cy"]) == {"cy": {"C="}}


def test_the_sweep_removes_connections_past_two_hours_and_keeps_the_rest(table: None) -> None:
    now = datetime.now(UTC)
    connections.register("OLD=", "ann", now=now - timedelta(hours=3))
    connections.register("NEW=", "bo", now=now - timedelta(minutes=5))
    connections.register("OLD2=", "bo", now=now - timedelta(hours=3))  # bo's presence was renewed since
    removed = cleanup.sweep(now)
    assert removed == 3  # ann's two rows (connection and presence) and bo's old connection
    assert connections.connected(["ann", "bo"]) == {"bo": {"NEW="}}
    assert connections.user_of("OLD=") is None and connections.user_of("NEW=") == "bo"
