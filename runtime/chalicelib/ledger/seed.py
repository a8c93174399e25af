"""A small demo catalog for the local platform (never run in AWS)."""

from __future__ import annotations

from sqlalchemy import func, select

from chalicelib.ledger.db import transaction
from chalicelib.ledger.models import Reward
from chalicelib.ledger.rewards import create_reward

DEMO_CATALOG = (("Sticker pack", 50, 100), ("Coffee voucher", 150, 25), ("T-shirt", 500, 10),
                ("Conference ticket", 5000, 1))


def seed_demo_catalog(url: str | None = None) -> int:
    """Add the demo rewards if the catalog is empty; returns how many were added."""
    with transaction(url) as session:
        if session.scalar(select(func.count()).select_from(Reward)):
            return 0
    for name, cost, stock in DEMO_CATALOG:
        create_reward(name, cost, stock, url=url)
    return len(DEMO_CATALOG)
