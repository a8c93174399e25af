"""Which search backend this process uses, chosen by the environment.

``SEARCH_ENDPOINT`` (the OpenSearch domain's https URL, set by the stack) selects OpenSearch, with
``SEARCH_INDEX_PREFIX`` (the stack's resource prefix) in front of every index; otherwise
``SEARCH_SQLITE_FILE`` (set by the local platform) selects the embedded SQLite backend. Neither set
is a configuration error. The OpenSearch adapter is imported only where it is used (cold start).

Usage::

    from chalicelib.search.backends import backend
    backend().search_posts("hello", limit=20, after=None, now=now)
"""

from __future__ import annotations

import os
from functools import lru_cache

from chalicelib.core.environment import SEARCH_ENDPOINT, SEARCH_INDEX_PREFIX, SEARCH_SQLITE_FILE
from chalicelib.core.settings import get_settings
from chalicelib.search.port import SearchBackend


class SearchNotConfiguredError(RuntimeError):
    """Neither ``SEARCH_ENDPOINT`` nor ``SEARCH_SQLITE_FILE`` is set."""


@lru_cache(maxsize=1)
def backend() -> SearchBackend:
    """The process's backend, built at first use (the runtime's caches are cleared when the environment changes)."""
    endpoint = os.environ.get(SEARCH_ENDPOINT)
    if endpoint:
        from chalicelib.search.opensearch_backend import OpenSearchBackend  # opensearch-py: only where used

        return OpenSearchBackend(endpoint, os.environ.get(SEARCH_INDEX_PREFIX, ""), get_settings().region)
    path = os.environ.get(SEARCH_SQLITE_FILE)
    if path:
        from chalicelib.search.local_backend import LocalSearchBackend

        return LocalSearchBackend(path)
    raise SearchNotConfiguredError(f"set {SEARCH_ENDPOINT} (OpenSearch) or {SEARCH_SQLITE_FILE} (embedded)")
