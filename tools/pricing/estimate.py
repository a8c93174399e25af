"""A stack's monthly cost, per resource kind, at each load: the models applied to a rendering.

Usage::

    estimate = estimate_cost(rendering.custom, PriceTable.load(), (IDLE, LAUNCH))
    estimate.total("launch")                  # dollars a month
    print(format_text(estimate, stack="prod"))
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tools.pricing.inventory import Inventory, Resource
from tools.pricing.kinds import MODELS, Charge, Context, Unpriced
from tools.pricing.load import SEED_COST_ESTIMATE, SEED_COST_RANGE, SEED_LOAD, SEED_SOURCE, Load
from tools.pricing.table import PriceTable


@dataclass
class Line:
    """One row of the estimate: a kind, how many, and dollars a month per load (with how it was reached)."""

    kind: str
    count: int
    usd: dict[str, float] = field(default_factory=dict)
    basis: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UnpricedItem:
    kind: str
    count: int
    reason: str


@dataclass(frozen=True)
class Estimate:
    loads: tuple[Load, ...]
    lines: list[Line]
    unpriced: list[UnpricedItem]
    free: dict[str, int]  # type -> count, declared free in the table
    prices: PriceTable
    share: int = 1

    def total(self, load: str) -> float:
        return sum(line.usd.get(load, 0.0) for line in self.lines)

    def biggest(self, load: str, n: int = 5) -> list[Line]:
        return sorted(self.lines, key=lambda line: -line.usd.get(load, 0.0))[:n]


def unpriced_types(resources: Iterable[Resource], prices: PriceTable) -> Counter[str]:
    """Types in ``resources`` the table neither prices nor declares free (or prices with an unknown model)."""
    missing: Counter[str] = Counter()
    for resource in resources:
        rule = prices.rule(resource.type)
        if rule is None or (rule.model is not None and rule.model not in MODELS):
            missing[resource.type] += 1
    return missing


def estimate_cost(resources: Iterable[Resource], prices: PriceTable, loads: Sequence[Load],
                  share: int = 1) -> Estimate:
    """Price every resource at each load; ``share`` divides the whole (a shared stack split N ways)."""
    inventory = Inventory(resources)
    by_type: dict[str, list[Resource]] = {}
    for resource in inventory.resources:
        by_type.setdefault(resource.type, []).append(resource)
    lines: dict[str, Line] = {}
    unpriced: dict[tuple[str, str], UnpricedItem] = {}
    free: dict[str, int] = {}
    for type_token, members in sorted(by_type.items()):
        rule = prices.rule(type_token)
        if rule is None or (rule.model is not None and rule.model not in MODELS):
            reason = "not in the price table" if rule is None else f"unknown cost model {rule.model!r}"
            unpriced[(type_token, reason)] = UnpricedItem(type_token, len(members), reason)
            continue
        if rule.model is None:
            free[type_token] = len(members)
            continue
        model = MODELS[rule.model]
        for load in loads:
            for item in model(Context(inventory, load, prices), members):
                if isinstance(item, Unpriced):
                    unpriced[(item.kind, item.reason)] = UnpricedItem(item.kind, item.count, item.reason)
                    continue
                assert isinstance(item, Charge)
                line = lines.setdefault(item.kind, Line(item.kind, item.count))
                line.usd[load.name] = line.usd.get(load.name, 0.0) + item.usd / share
                line.basis[load.name] = item.basis
    return Estimate(tuple(loads), sorted(lines.values(), key=lambda line: line.kind), list(unpriced.values()),
                    free, prices, share)


def to_json(estimate: Estimate, stack: str) -> dict[str, Any]:
    names = [load.name for load in estimate.loads]
    return {
        "stack": stack,
        "share": estimate.share,
        "currency": estimate.prices.currency,
        "prices": {"date": estimate.prices.date, "source": estimate.prices.source, "note": estimate.prices.note,
                   "region": estimate.prices.region},
        "seed_estimate": {"cost": SEED_COST_ESTIMATE, "load": SEED_LOAD, "source": SEED_SOURCE},
        "lines": [{"kind": line.kind, "count": line.count,
                   **{f"{n}_usd": round(line.usd.get(n, 0.0), 2) for n in names}, "basis": line.basis}
                  for line in estimate.lines],
        "totals": {n: round(estimate.total(n), 2) for n in names},
        "unpriced": [{"kind": u.kind, "count": u.count, "reason": u.reason} for u in estimate.unpriced],
        "free": estimate.free,
        "assumptions": {load.name: load.assumptions() for load in estimate.loads},
    }


def format_text(estimate: Estimate, stack: str) -> str:
    names = [load.name for load in estimate.loads]
    headers = ["KIND", "COUNT", *(f"{n.upper()} $/MO" for n in names), f"BASIS ({names[-1]})"]
    rows = [[line.kind, str(line.count), *(f"{line.usd.get(n, 0.0):,.2f}" for n in names),
             line.basis.get(names[-1], "")] for line in estimate.lines]
    rows.append(["TOTAL", "", *(f"{estimate.total(n):,.2f}" for n in names), ""])
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers) - 1)]
    def fmt(row: list[str]) -> str:
        cells = [row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:-1], widths[1:], strict=True))]
        return "  ".join([*cells, row[-1]]).rstrip()
    lines = [f"Monthly cost of stack {stack!r}"
             + (f", a 1/{estimate.share} share" if estimate.share > 1 else "")
             + f" ({estimate.prices.currency}, {estimate.prices.region})", "", fmt(headers), *map(fmt, rows), ""]
    if estimate.unpriced:
        lines.append("UNPRICED (not in the totals):")
        lines += [f"  {u.kind} x{u.count}: {u.reason}" for u in estimate.unpriced]
    else:
        lines.append("Unpriced: none")
    lines.append(f"Free by themselves: {sum(estimate.free.values())} resources of {len(estimate.free)} types "
                 "(configuration, IAM, ...; see tools/prices.toml [types])")
    lines.append("")
    lines.append(f"Prices: {estimate.prices.note} ({estimate.prices.source}).")
    applied = [f"{p.key} ({p.free_per_month:,.0f} {p.unit})" for p in estimate.prices.prices.values()
               if p.free_tier_applied and p.free_per_month]
    lines.append("Free tiers are stated in the table and not applied (most are per account), except: "
                 + (", ".join(applied) or "none") + ".")
    lines.append(f"Seeds: {SEED_COST_ESTIMATE} ({SEED_LOAD}; {SEED_SOURCE}).")
    busy = [load for load in estimate.loads if load.busy]
    for load in busy:
        total = estimate.total(load.name)
        low, high = SEED_COST_RANGE
        verdict = "below" if total < low else "within" if total <= high else "above"
        lines.append(f"At {load.name}: ${total:,.2f}/month, {verdict} the seeds' range; biggest: "
                     + ", ".join(f"{line.kind} ${line.usd.get(load.name, 0.0):,.2f}"
                                 for line in estimate.biggest(load.name, 4)) + ".")
        lines.append(f"Load {load.name!r}: {load.daily_active_users:,.0f} DAU, {load.monthly_active_users:,.0f} MAU, "
                     f"{load.api_requests_per_dau:g} API requests/DAU/day, events/DAU/day "
                     + ", ".join(f"{k} {v:g}" for k, v in load.events_per_dau.items())
                     + f", {load.average_followers:g} followers/post")
        lines.append("Every assumption: tools/pricing/load.py, or --json.")
    return "\n".join(lines)
