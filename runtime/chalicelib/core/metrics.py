"""Business metrics as CloudWatch embedded metric format, by Powertools, flushed once per invocation.

The domain counts where a thing becomes true (``count(m.LIKES_ADDED)`` after the like is written);
the telemetry middleware (``chalicelib.core.telemetry``) flushes at the end of each invocation: one
JSON line on stdout per dimension set, in namespace ``Social`` with ``Stage`` (and ``Channel`` for
notifications), the names of ``chalicelib.core.metric_names``. Locally the lines go to the
platform's output as in Lambda. Powertools is imported at the first flush, not at import.

Usage::

    from chalicelib.core import metric_names as m
    from chalicelib.core.metrics import count
    count(m.NOTIFICATIONS_SENT, channel="email")
"""

from __future__ import annotations

import contextvars
import json
from collections import defaultdict

from chalicelib.core import metric_names as m
from chalicelib.core.settings import get_settings

_Key = tuple[str, str | None]  # (metric name, channel)
_Counts = defaultdict[_Key, float]
_PENDING: contextvars.ContextVar[_Counts | None] = contextvars.ContextVar("metrics", default=None)
_PROCESS: _Counts = defaultdict(float)  # outside an invocation (scripts, tests): flushed by an explicit flush()


def count(name: str, value: float = 1, *, channel: str | None = None) -> None:
    if name not in m.BUSINESS_METRICS:
        raise ValueError(f"unknown business metric {name!r}")
    if (channel is not None) != (name in m.PER_CHANNEL):
        raise ValueError(f"{name} takes a channel if and only if it is per channel")
    pending = _PENDING.get()
    (pending if pending is not None else _PROCESS)[(name, channel)] += value


def begin() -> contextvars.Token[_Counts | None]:
    return _PENDING.set(defaultdict(float))


def end(token: contextvars.Token[_Counts | None]) -> list[str]:
    lines = flush()
    _PENDING.reset(token)
    return lines


def flush() -> list[str]:
    """Print (and return) the EMF lines of what was counted since the last flush; nothing if nothing."""
    pending = _PENDING.get()
    counted = pending if pending is not None else _PROCESS
    if not counted:
        return []
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    by_channel: dict[str | None, dict[str, float]] = {}
    for (name, channel), value in counted.items():
        by_channel.setdefault(channel, {})[name] = value
    counted.clear()
    lines = []
    for channel, values in by_channel.items():
        dimensions = {m.STAGE: get_settings().stage, **({m.CHANNEL: channel} if channel is not None else {})}
        # service="": no ``service`` dimension (POWERTOOLS_SERVICE_NAME would add one); the dashboard reads
        # Stage (and Channel) only.
        provider = AmazonCloudWatchEMFProvider(namespace=m.NAMESPACE, service="", default_dimensions=dimensions)
        for name, value in values.items():
            provider.add_metric(name=name, unit="Count", value=value)
        line = json.dumps(provider.serialize_metric_set(), separators=(",", ":"))
        print(line, flush=True)
        lines.append(line)
    return lines
