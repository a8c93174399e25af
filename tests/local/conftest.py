"""One local platform for the package's tests: the fixture app and manifest on moto, fast queues, a fake clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from local.platform import LocalPlatform
from tests.local import fixture_app


class FakeClock:
    """The pump's clock, moved by the tests."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


@pytest.fixture(scope="package")
def clock() -> FakeClock:
    return FakeClock(datetime(2024, 5, 6, 9, 30, 10, tzinfo=UTC))


@pytest.fixture(scope="package")
def platform(clock: FakeClock) -> Iterator[LocalPlatform]:
    with LocalPlatform(port=0, app=fixture_app.app, manifest=fixture_app.MANIFEST, prefix="pumptest-",
                       visibility_timeout=1, idle_interval=0.25, clock=clock) as running:
        yield running
    threads = running.pump.threads
    assert not [t.name for t in threads if t.is_alive()], "pump threads outlived the platform"


@pytest.fixture()
def recorder(platform: LocalPlatform) -> Iterator[fixture_app.Recorder]:
    platform.pump.drain(10)
    fixture_app.RECORDER.clear()
    yield fixture_app.RECORDER
