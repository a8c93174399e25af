"""Once-only sends: claim a key with a conditional write before sending, release it if the send failed.

Usage::

    with once(f"digest:{username}:{day}") as first:
        if first:
            send(...)          # an exception releases the claim, so a retry sends
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from pynamodb.exceptions import PutError

from chalicelib.channels.models import SentModel

KEEP = timedelta(days=7)


def claim(key: str) -> bool:
    """True for the first caller with ``key`` (within ``KEEP``), False for every later one."""
    try:
        SentModel(key, expires_at=KEEP).save(condition=SentModel.key.does_not_exist())
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release(key: str) -> None:
    SentModel(key).delete()


@contextmanager
def once(key: str) -> Iterator[bool]:
    first = claim(key)
    try:
        yield first
    except BaseException:
        if first:
            release(key)
        raise
