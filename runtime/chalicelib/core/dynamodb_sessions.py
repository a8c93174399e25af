"""PynamoDB's connections share one botocore loader: DynamoDB's service model is parsed once per process.

PynamoDB gives each model's connection, per thread, a botocore session of its own
(``pynamodb.connection.base.Connection.session``), and every new session parses botocore's DynamoDB
model and endpoints files again (a loader caches per session). With a dozen tables a process parsed
them a dozen times: about 60 ms each on a 2-core VM, paid in a function's first requests and by every
local platform start. Here each of those sessions is given the same loader; the sessions stay separate,
as PynamoDB wants for thread-safe client creation (its issue #153). Applied on import of
``chalicelib.core.declarations``, which every model imports.

Usage::

    import chalicelib.core.dynamodb_sessions  # noqa: F401  (done by chalicelib.core.declarations)
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.loaders
import botocore.session
import pynamodb.connection.base as pynamodb_base


@functools.cache
def shared_loader() -> botocore.loaders.Loader:
    """The one botocore data loader (its cache holds the parsed models) of PynamoDB's sessions: the
    loader a default session makes (``AWS_DATA_PATH`` and all)."""
    return botocore.session.get_session().get_component("data_loader")


def session_with_shared_loader() -> Any:
    """A new botocore session, as ``botocore.session.get_session()`` makes it, reading through ``shared_loader``."""
    session = botocore.session.get_session()
    session.register_component("data_loader", shared_loader())
    return session


pynamodb_base.get_session = session_with_shared_loader  # type: ignore[attr-defined]
