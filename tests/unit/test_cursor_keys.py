"""Cursor keys come from Secrets Manager, and rotating the secret breaks no cursor already handed out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from chalicelib.core.errors import BadRequest
from chalicelib.core.keys import KeyRing, read_secret_keys
from chalicelib.core.pagination import CursorCodec


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def manager() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("secretsmanager", region_name="us-east-1")


def _ring(manager: Any, arn: str, clock: Clock) -> KeyRing:
    return KeyRing(lambda: read_secret_keys(arn, manager), refresh_seconds=60, clock=clock)


def test_a_rotation_keeps_old_cursors_valid_and_old_processes_learn_the_new_key(manager: Any) -> None:
    arn = manager.create_secret(Name="cursor-key", SecretString="first-key-" + "a" * 40)["ARN"]
    clock = Clock()
    warm = CursorCodec(_ring(manager, arn, clock))  # a function that started before the rotation
    old_cursor = warm.encode("feed:ada", {"before": "p1"})

    manager.put_secret_value(SecretId=arn, SecretString="second-key-" + "b" * 40)
    fresh = CursorCodec(_ring(manager, arn, clock))  # a cold start after it

    assert fresh.decode("feed:ada", old_cursor) == {"before": "p1"}  # AWSPREVIOUS is still accepted
    new_cursor = fresh.encode("feed:ada", {"before": "p2"})
    assert new_cursor != warm.encode("feed:ada", {"before": "p2"})  # signed with the new key
    clock.now += 61  # the warm one re-reads the secret when shown a key it does not know
    assert warm.decode("feed:ada", new_cursor) == {"before": "p2"}


def test_a_cursor_signed_with_a_retired_key_or_forged_is_refused(manager: Any) -> None:
    arn = manager.create_secret(Name="cursor-key", SecretString="k1-" + "a" * 40)["ARN"]
    clock = Clock()
    codec = CursorCodec(_ring(manager, arn, clock))
    ancient = codec.encode("feed:ada", {"before": "p1"})
    for value in ("k2-" + "b" * 40, "k3-" + "c" * 40):  # two rotations: k1 is neither current nor previous
        manager.put_secret_value(SecretId=arn, SecretString=value)
    fresh = CursorCodec(_ring(manager, arn, clock))
    with pytest.raises(BadRequest):
        fresh.decode("feed:ada", ancient)
    forged = ancient.rsplit(".", 1)[0] + ".AAAAAAAAAAAAAAAAAAAAAAAA"
    with pytest.raises(BadRequest):
        codec.decode("feed:ada", forged)


def test_unknown_keys_re_read_the_secret_at_most_once_a_minute(manager: Any) -> None:
    arn = manager.create_secret(Name="cursor-key", SecretString="k1-" + "a" * 40)["ARN"]
    reads = []

    def load() -> Any:
        reads.append(1)
        return read_secret_keys(arn, manager)

    clock = Clock()
    codec = CursorCodec(KeyRing(load, refresh_seconds=60, clock=clock))
    for _ in range(50):  # a flood of forged cursors cannot hammer Secrets Manager
        with pytest.raises(BadRequest):
            codec.decode("feed:ada", "eyJ9.AAAAAAAAAAAAAAAAAAAAAAAA")
    assert len(reads) == 1
    clock.now += 61
    with pytest.raises(BadRequest):
        codec.decode("feed:ada", "eyJ9.AAAAAAAAAAAAAAAAAAAAAAAA")
    assert len(reads) == 2


def test_a_never_rotated_secret_has_only_its_current_key(manager: Any) -> None:
    arn = manager.create_secret(Name="cursor-key", SecretString="only-" + "a" * 40)["ARN"]
    keys = read_secret_keys(arn, manager)
    assert keys.current == "only-" + "a" * 40
    assert keys.previous == ()
