"""The Sunday 02:00 UTC clean-up: each domain's sweep, in ISSUE9.md's order, then the devices AWS disabled.

Each sweep is ``sweep(now) -> int`` in ``chalicelib.<domain>.cleanup``, with the grants it needs
exported as ``SWEEP_USES``. A domain whose module is not in this build is skipped (and logged);
one sweep failing does not stop the others, and the handler fails at the end so that the run is
reported as failed.

Usage::

    report = run_sweeps(datetime.now(UTC))     # {"realtime": 3, "notifications": 120, "devices": 0}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from datetime import datetime

from chalicelib.core.declarations import Grant
from chalicelib.core.logs import get_logger

log = get_logger(__name__)

DOMAINS = ("realtime", "notifications")


def _sweep_module(domain: str) -> object | None:
    try:
        return importlib.import_module(f"chalicelib.{domain}.cleanup")
    except ImportError:
        return None


def sweep_uses() -> tuple[Grant, ...]:
    """Every present domain's ``SWEEP_USES``: what the clean-up handler must be granted."""
    return tuple(g for d in DOMAINS for m in (_sweep_module(d),) if m is not None
                 for g in getattr(m, "SWEEP_USES", ()))


def sweeps() -> dict[str, Callable[[datetime], int]]:
    found: dict[str, Callable[[datetime], int]] = {}
    for domain in DOMAINS:
        module = _sweep_module(domain)
        if module is None:
            log.warning("no sweep for this domain in this build", extra={"domain": domain})
            continue
        found[domain] = module.sweep  # type: ignore[attr-defined]  # the contract's signature
    from chalicelib.channels.push import sweep_disabled

    found["devices"] = lambda now: sweep_disabled()
    return found


def run_sweeps(now: datetime) -> dict[str, int]:
    report: dict[str, int] = {}
    failed: list[str] = []
    for name, sweep in sweeps().items():
        try:
            report[name] = sweep(now)
        except Exception:
            log.exception("sweep failed", extra={"domain": name})
            failed.append(name)
    log.info("weekly clean-up", extra={"removed": report, "failed": failed})
    if failed:
        raise RuntimeError(f"sweeps failed: {', '.join(failed)} (the others ran: {report})")
    return report
