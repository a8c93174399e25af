"""The price table: ``tools/prices.toml`` loaded, checked and typed.

Usage::

    table = PriceTable.load()                       # tools/prices.toml
    table.price("nat_gateway_hour").usd             # 0.045
    table.cost("lambda_requests", 2_000_000)        # 0.4 (usd per ``per`` units, free tier if applied)
    table.rule("aws:iam/role:Role").free            # 'IAM is free'
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_TABLE = Path(__file__).resolve().parents[1] / "prices.toml"


class PriceTableError(ValueError):
    """The price table is malformed; the message names the entry to fix."""


@dataclass(frozen=True)
class Price:
    """``usd`` for every ``per`` ``unit``, as published at ``source`` on ``date``."""

    key: str
    usd: float
    per: float
    unit: str
    source: str
    date: str
    free_per_month: float = 0.0
    free_tier_applied: bool = False
    note: str = ""

    def cost(self, quantity: float) -> float:
        """What ``quantity`` units cost in a month (less the free tier only where the table applies it)."""
        billable = max(0.0, quantity - self.free_per_month) if self.free_tier_applied else quantity
        return billable * self.usd / self.per


@dataclass(frozen=True)
class TypeRule:
    """How one resource type is priced: by a cost ``model`` (tools/pricing/kinds.py) or ``free`` with a reason."""

    type: str
    model: str | None = None
    free: str | None = None


@dataclass(frozen=True)
class PriceTable:
    """Every price and type rule, with the table's own date and source."""

    region: str
    currency: str
    date: str
    source: str
    note: str
    prices: Mapping[str, Price]
    types: Mapping[str, TypeRule]

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> PriceTable:
        return cls.parse(tomllib.loads(path.read_text()), origin=str(path))

    @classmethod
    def parse(cls, data: Mapping[str, Any], origin: str = "price table") -> PriceTable:
        meta = data.get("meta") or {}
        for field in ("region", "currency", "date", "source", "note"):
            if not meta.get(field):
                raise PriceTableError(f"{origin}: [meta] needs {field!r}")
        prices: dict[str, Price] = {}
        for key, entry in (data.get("prices") or {}).items():
            missing = [f for f in ("usd", "per", "unit", "source", "date") if f not in entry]
            if missing:
                raise PriceTableError(f"{origin}: prices.{key} needs {', '.join(missing)}")
            if float(entry["usd"]) < 0 or float(entry["per"]) <= 0:
                raise PriceTableError(f"{origin}: prices.{key} needs usd >= 0 and per > 0")
            prices[key] = Price(key=key, usd=float(entry["usd"]), per=float(entry["per"]), unit=str(entry["unit"]),
                                source=str(entry["source"]), date=str(entry["date"]),
                                free_per_month=float(entry.get("free_per_month", 0)),
                                free_tier_applied=bool(entry.get("free_tier_applied", False)),
                                note=str(entry.get("note", "")))
        types: dict[str, TypeRule] = {}
        for type_token, rule in (data.get("types") or {}).items():
            model, free = rule.get("model"), rule.get("free")
            if (model is None) == (free is None):
                raise PriceTableError(f"{origin}: types.{type_token!r} needs exactly one of 'model' or 'free'")
            types[type_token] = TypeRule(type_token, model=model, free=free)
        return cls(region=str(meta["region"]), currency=str(meta["currency"]), date=str(meta["date"]),
                   source=str(meta["source"]), note=str(meta["note"]), prices=prices, types=types)

    def price(self, key: str) -> Price:
        try:
            return self.prices[key]
        except KeyError:
            raise PriceTableError(f"the price table has no prices.{key}") from None

    def cost(self, key: str, quantity: float) -> float:
        return self.price(key).cost(quantity)

    def rule(self, type_token: str) -> TypeRule | None:
        return self.types.get(type_token)
