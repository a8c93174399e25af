"""moto's SQS made to receive in time proportional to the queue, not to its square, with the same answers.

A queue with a backlog (the pump behind ``make seed``'s bulk load holds hundreds of messages in a queue) made
moto 5.2 slow in two ways (``moto/sqs/models.py``):

* ``ReceiveMessage`` checks each message it hands out against the queue's retention period by asking
  ``get_queue_attributes`` for it, and that builds every attribute three times over, each build counting the
  visible, in-flight and delayed messages. One receive of 10 from a queue of 500 walked the queue about 90
  times; at ``make seed``'s backlog this was half the platform's CPU time.
* Each of those walks asks the clock twice per message, through ``datetime`` (naive UTC, minus the epoch).

``install()`` replaces both, in this process, once: the retention check reads the queue's retention period
itself, and the module's ``unix_time``/``unix_time_millis`` read ``time.time()`` when asked for "now" (the
same number: seconds since the epoch), still converting a given ``datetime`` moto's way. Retention,
visibility, delays and the attribute counts answer as before.

Usage::

    from local import moto_sqs
    moto_sqs.install()   # idempotent; MotoServer.start() calls it
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable

from moto.core.utils import unix_time, unix_time_millis
from moto.sqs import models as sqs_models
from moto.sqs.models import Message, SQSBackend

_installed = False
_install_lock = threading.Lock()


def _now_or(convert: Callable[[datetime.datetime], float], scale: float) -> Callable[..., float]:
    def clock(dt: datetime.datetime | None = None) -> float:
        return time.time() * scale if dt is None else convert(dt)
    return clock


def _retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
    """moto's check (kept until sent + retention period), without building the queue's attributes."""
    retention = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return retention + message.sent_timestamp / 1000 > time.time()  # type: ignore[operator]


def install() -> None:
    """Patch moto's SQS backend in this process (once; later calls do nothing)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        sqs_models.unix_time = _now_or(unix_time, 1)  # type: ignore[attr-defined]
        sqs_models.unix_time_millis = _now_or(unix_time_millis, 1000)  # type: ignore[attr-defined]
        SQSBackend.is_message_valid_based_on_retention_period = _retained  # type: ignore[method-assign]
        _installed = True
