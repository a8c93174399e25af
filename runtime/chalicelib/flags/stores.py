"""Where the flags' values come from: a file on disk (the local platform) or AppConfig's data API (AWS).

Both answer ``values()`` with ``{flag: {"enabled": ..., attribute: value}}`` and never raise: a store
that cannot read keeps its last good values (or none, so every flag has its catalog default), because a
flag lookup must never fail a request.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from chalicelib.core import environment as env
from chalicelib.core.logs import get_logger
from chalicelib.flags.document import values_of
from chalicelib.flags.evaluation import Values

log = get_logger(__name__)
DEFAULT_CACHE_SECONDS = 45


class FlagStore(Protocol):
    def values(self) -> Values: ...


class NoFlags:
    """No document anywhere (unit tests, scripts): every flag has its default."""

    def values(self) -> Values:
        return {}


class FileStore:
    """The document on disk, read again whenever its inode, modification time or size changes (no restart).

    One ``stat`` per read: an editor's save (a new inode) or an in-place write (a new mtime) shows at once.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._values: Values = {}
        self._lock = threading.Lock()

    def values(self) -> Values:
        try:
            stat = self.path.stat()
        except OSError:
            return self._values
        seen = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if seen != self._seen:
                try:
                    self._values = values_of(json.loads(self.path.read_text(encoding="utf-8")))
                    self._seen = seen
                except (OSError, ValueError) as exc:  # half-written by an editor: keep the last good values
                    log.warning("flags file unreadable, keeping the last values", extra={"error": str(exc)[:200]})
            return self._values


class AppConfigStore:
    """AppConfig's data API: one configuration session, polled at most every ``cache_seconds``.

    ``GetLatestConfiguration`` answers an empty body when nothing changed since the token's poll, so the
    last values stay; each answer carries the next poll's token (a token is good for one call only), and
    a failed session is started again on the next poll.
    """

    def __init__(self, application: str, environment: str, profile: str, *,
                 cache_seconds: float = DEFAULT_CACHE_SECONDS, client: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.application, self.environment, self.profile = application, environment, profile
        self.cache_seconds = cache_seconds
        self._client = client
        self._clock = clock
        self._token: str | None = None
        self._next_poll = float("-inf")
        self._values: Values = {}
        self._lock = threading.Lock()

    def values(self) -> Values:
        with self._lock:
            if self._clock() >= self._next_poll:
                self._poll()
            return self._values

    def _poll(self) -> None:
        client = self._client or _data_client()
        interval = self.cache_seconds
        try:
            if self._token is None:
                self._token = client.start_configuration_session(
                    ApplicationIdentifier=self.application, EnvironmentIdentifier=self.environment,
                    ConfigurationProfileIdentifier=self.profile,
                    RequiredMinimumPollIntervalInSeconds=max(15, int(self.cache_seconds)),
                )["InitialConfigurationToken"]
            answer = client.get_latest_configuration(ConfigurationToken=self._token)
            self._token = answer["NextPollConfigurationToken"]
            interval = max(interval, float(answer.get("NextPollIntervalInSeconds", 0)))
            body = answer["Configuration"].read()
            if body:  # empty: unchanged since the last poll
                self._values = values_of(json.loads(body))
        except Exception as exc:  # a flag lookup never fails a request: the last values stay
            self._token = None
            log.warning("flags: AppConfig poll failed, keeping the last values", extra={"error": str(exc)[:300]})
        self._next_poll = self._clock() + interval


@lru_cache(maxsize=1)
def _data_client() -> Any:
    """AppConfig's data API with short timeouts: an unreachable service costs a request seconds, not a minute
    (botocore's default connect timeout), before the last values answer."""
    import boto3
    from botocore.config import Config

    return boto3.client("appconfigdata", config=Config(connect_timeout=2, read_timeout=3,
                                                       retries={"max_attempts": 2, "mode": "standard"}))


@lru_cache(maxsize=1)
def flag_store() -> FlagStore:
    """The process's store, chosen by the environment: ``FLAGS_FILE``, else AppConfig's identifiers, else none."""
    path = os.environ.get(env.FLAGS_FILE)
    if path:
        return FileStore(Path(path))
    names = [os.environ.get(name, "") for name in (env.APPCONFIG_APPLICATION, env.APPCONFIG_ENVIRONMENT,
                                                   env.APPCONFIG_PROFILE)]
    if all(names):
        seconds = float(os.environ.get(env.FLAGS_CACHE_SECONDS) or DEFAULT_CACHE_SECONDS)
        return AppConfigStore(*names, cache_seconds=seconds)
    return NoFlags()
