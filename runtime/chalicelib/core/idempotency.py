"""``Idempotency-Key``: a retried create returns the first answer instead of creating twice.

The first request with a key claims it (a conditional put); the answer is
stored with the key for a day. A retry with the same key and the same request
gets the stored answer back; the same key with another request is a 422; a
retry while the first is still running is a 409. A request that fails releases
its key, so the client may try again. A claim left by a process that died is
taken over once its lock expires.

``IdempotencyStore`` is the port; ``DynamoIdempotencyStore`` the DynamoDB
backend, ``MemoryIdempotencyStore`` the in-process one for tests.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from chalicelib.core.errors import Conflict, Unprocessable

KEY_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
KEEP_SECONDS = 24 * 3600
LOCK_SECONDS = 60


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: str


class IdempotencyStore(Protocol):
    def claim(self, key: str, request_hash: str) -> StoredAnswer | None:
        """Claim ``key``; return the stored answer instead when it has one."""

    def complete(self, key: str, answer: StoredAnswer) -> None: ...

    def release(self, key: str) -> None: ...


def request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps({"m": method, "p": path, "b": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


Answer = tuple[int, str, Mapping[str, str]]  # status, body text, headers


def answer_once(store: IdempotencyStore, scoped_key: str, digest: str,
                answer: Callable[[], Answer]) -> tuple[Answer, bool]:
    """``answer()`` once per key: a retry gets the stored status and body back (its headers are not kept),
    with True; a failure releases the key. For each face's route layer (the contract's, Mastodon's).

    Usage::

        (status, text, headers), replayed = answer_once(store, f"{user}|POST /posts|{key}", digest, run)
    """
    stored = store.claim(scoped_key, digest)
    if stored is not None:
        return (stored.status, stored.body, {}), True
    try:
        status, text, headers = answer()
    except BaseException:
        store.release(scoped_key)
        raise
    store.complete(scoped_key, StoredAnswer(status, text))
    return (status, text, headers), False


def check_key(key: str) -> str:
    if not KEY_PATTERN.fullmatch(key):
        raise Unprocessable("invalid_idempotency_key", "Idempotency-Key must be 1-128 of A-Z a-z 0-9 . _ : -")
    return key


def _mismatch() -> Unprocessable:
    return Unprocessable("idempotency_key_reused", "this Idempotency-Key was used with another request")


def _in_progress() -> Conflict:
    return Conflict("request_in_progress", "a request with this Idempotency-Key is still being processed")


class DynamoIdempotencyStore:
    # A claim that loses the conditional put reads the winner's record; if the winner
    # released the key in between, the read finds nothing and the claim is tried again.
    CLAIM_ATTEMPTS = 3

    def claim(self, key: str, request_hash: str) -> StoredAnswer | None:
        from chalicelib.core.idempotency_model import IdempotencyModel as Record

        for _ in range(self.CLAIM_ATTEMPTS):
            if self._put(key, request_hash):
                return None
            try:
                existing = Record.get(key, consistent_read=True)
            except Record.DoesNotExist:  # released (the other request failed) after our put: try again
                continue
            if existing.request_hash != request_hash:
                raise _mismatch()
            if existing.state == "done" and existing.status is not None and existing.body is not None:
                return StoredAnswer(int(existing.status), existing.body)
            raise _in_progress()
        raise _in_progress()  # claimed and released again every time: busy, the client retries later

    @staticmethod
    def _put(key: str, request_hash: str) -> bool:
        """Write an in-progress claim unless somebody else holds the key; ``False`` if they do."""
        from pynamodb.exceptions import PutError

        from chalicelib.core.idempotency_model import IdempotencyModel as Record

        now = int(time.time())
        record = Record(key, request_hash=request_hash, state="in_progress", locked_until=now + LOCK_SECONDS)
        record.expires_at = timedelta(seconds=KEEP_SECONDS)
        try:
            record.save(condition=Record.key.does_not_exist()
                        | ((Record.state == "in_progress") & (Record.locked_until < now)
                           & (Record.request_hash == request_hash)))
            return True
        except PutError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            return False

    def complete(self, key: str, answer: StoredAnswer) -> None:
        from chalicelib.core.idempotency_model import IdempotencyModel as Record

        Record(key).update(actions=[Record.state.set("done"), Record.status.set(answer.status),
                                    Record.body.set(answer.body)])

    def release(self, key: str) -> None:
        from pynamodb.exceptions import DeleteError

        from chalicelib.core.idempotency_model import IdempotencyModel as Record

        try:
            Record(key).delete(condition=Record.state == "in_progress")
        except DeleteError as error:  # already completed by this very request: keep the answer
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise


class MemoryIdempotencyStore:
    """The same rules in a dict, for tests of the route layer."""

    def __init__(self) -> None:
        self._records: dict[str, tuple[str, StoredAnswer | None]] = {}
        self._lock = threading.Lock()

    def claim(self, key: str, request_hash: str) -> StoredAnswer | None:
        with self._lock:
            if key not in self._records:
                self._records[key] = (request_hash, None)
                return None
            stored_hash, answer = self._records[key]
        if stored_hash != request_hash:
            raise _mismatch()
        if answer is None:
            raise _in_progress()
        return answer

    def complete(self, key: str, answer: StoredAnswer) -> None:
        with self._lock:
            self._records[key] = (self._records[key][0], answer)

    def release(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)
