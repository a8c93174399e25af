"""The Sunday 02:00 UTC clean-up: each domain's sweep, in ISSUE9.md's order, then the devices AWS disabled.

Each domain's ``chalicelib.<domain>.cleanup`` has ``sweep(now) -> int`` and the grants it needs
as ``SWEEP_USES``; ``SWEEP_USES`` here is all of them, for the schedule's handler. One sweep
failing does not stop the others, and the run fails at the end so that it is reported as failed.

Usage::

    report = run_sweeps(datetime.now(UTC))     # {"realtime": 3, "notifications": 120, "devices": 0}
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from chalicelib.core.logs import get_logger
from chalicelib.notifications import cleanup as notifications
from chalicelib.realtime import cleanup as realtime
from chalicelib.resources import DEVICES, PUSH

log = get_logger(__name__)

SWEEP_USES = (*realtime.SWEEP_USES, *notifications.SWEEP_USES, DEVICES.read_write(), PUSH.push())


def _devices(now: datetime) -> int:
    from chalicelib.channels.push import sweep_disabled  # the SNS client only where the clean-up runs

    return sweep_disabled()


SWEEPS: tuple[tuple[str, Callable[[datetime], int]], ...] = (
    ("realtime", realtime.sweep), ("notifications", notifications.sweep), ("devices", _devices))


def run_sweeps(now: datetime) -> dict[str, int]:
    report: dict[str, int] = {}
    failed: list[str] = []
    for name, sweep in SWEEPS:
        try:
            report[name] = sweep(now)
        except Exception:
            log.exception("sweep failed", extra={"domain": name})
            failed.append(name)
    log.info("weekly clean-up", extra={"removed": report, "failed": failed})
    if failed:
        raise RuntimeError(f"sweeps failed: {', '.join(failed)} (the others ran: {report})")
    return report
