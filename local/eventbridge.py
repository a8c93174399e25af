"""A local EventBridge bus: events put on it reach every ``@app.on_cw_event`` handler whose pattern matches.

moto's EventBridge rules never invoke anything, so local producers of events (the local video
transcoder, in place of MediaConvert) put them here. Matching follows EventBridge's rules for
what the app uses: each pattern key must be in the event, a list means "one of these values",
a nested object matches the nested event object. Each handler runs through the ``Invoker``
(so its grants judge its calls); a failure is retried twice, as Lambda does for an asynchronous
invocation, then logged and dropped (EventBridge would park it in the rule's DLQ).

Usage::

    bus = LocalEventBus(invoker, plan)
    bus.put({"source": "aws.mediaconvert", "detail-type": "MediaConvert Job State Change", "detail": {...}})
"""

from __future__ import annotations

import json
import logging
from typing import Any

from local.handlers import Invoker
from stacks.appgraph import AppPlan, EventPatternTrigger

log = logging.getLogger("local.eventbridge")
ATTEMPTS = 3


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether ``event`` matches an EventBridge pattern (exact values, lists of values, nested objects)."""
    for key, wanted in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(wanted, dict):
            if not isinstance(value, dict) or not matches(wanted, value):
                return False
        elif isinstance(wanted, list):
            values = value if isinstance(value, list) else [value]
            if not any(v in wanted for v in values):
                return False
        elif value != wanted:
            return False
    return True


class LocalEventBus:
    """Delivers put events to the planned functions whose ``on_cw_event`` pattern matches."""

    def __init__(self, invoker: Invoker, plan: AppPlan) -> None:
        self._invoker = invoker
        self._rules = [(f.name, json.loads(f.trigger.pattern)) for f in plan.functions
                       if isinstance(f.trigger, EventPatternTrigger)]

    def rules(self) -> list[str]:
        return [name for name, _ in self._rules]

    def put(self, event: dict[str, Any]) -> None:
        """Deliver ``event`` to each matching handler (none: it is dropped, as EventBridge drops it)."""
        matched = [name for name, pattern in self._rules if matches(pattern, event)]
        for name in matched:
            for attempt in range(1, ATTEMPTS + 1):
                try:
                    self._invoker.invoke(name, event)
                    break
                except Exception:
                    log.exception("%s failed on an event (attempt %d of %d)", name, attempt, ATTEMPTS)
