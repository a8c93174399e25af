"""Connecting to a database that may not be ready yet: retries with capped, jittered exponential backoff.

At deploy time the RDS Proxy can still be registering its target (``aws.rds.ProxyTarget`` does not
wait for it to be healthy), so the first connections are refused or time out. Only the connection
is retried, never what runs on it: an error in a migration fails at once. A refused password is not
retried either (the engine already read the secret again once): waiting would not change it.

Usage::

    patience = Patience(Backoff(budget_seconds=240))   # one per invocation: the budget is shared
    with patience.connect(engine) as connection:
        ...
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from chalicelib.core.logs import get_logger
from chalicelib.ledger.db import is_authentication_failure

log = get_logger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential backoff: the n-th wait is uniform in [0, min(cap, first * 2**n)]."""

    first_seconds: float = 0.5
    cap_seconds: float = 20.0
    budget_seconds: float = 240.0  # within the migrate function's timeout (the stack's 300 s)

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt number ``attempt`` (1, 2, ...)."""
        return min(self.cap_seconds, self.first_seconds * 2.0 ** (attempt - 1))


class DatabaseUnreachable(RuntimeError):
    """Every attempt to connect failed within the budget."""


class Patience:
    """Connects with retries until a deadline shared by every ``connect`` of this instance."""

    def __init__(self, backoff: Backoff | None = None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random) -> None:
        self.backoff = backoff or Backoff()
        self._clock, self._sleep, self._jitter = clock, sleep, jitter
        self.deadline = clock() + self.backoff.budget_seconds

    def connect(self, engine: Engine) -> Connection:
        """``engine.connect()``, retried on connection-level errors until the deadline."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return engine.connect()
            except OperationalError as error:
                if is_authentication_failure(error):
                    raise
                wait = self.backoff.ceiling(attempt) * self._jitter()
                left = self.deadline - self._clock()
                reason = str(error.orig or error).strip().splitlines()[0]
                where = engine.url.render_as_string(hide_password=True)
                if wait > left:
                    raise DatabaseUnreachable(
                        f"gave up connecting to {where} after {attempt} attempts in "
                        f"{self.backoff.budget_seconds:.0f} s: {reason}. Is the RDS Proxy's target available, "
                        f"and may this function reach it (subnets, security groups)?") from error
                log.warning("the database is not reachable yet; retrying",
                            extra={"database": where, "attempt": attempt, "wait_seconds": round(wait, 2),
                                   "error": reason})
                self._sleep(wait)
