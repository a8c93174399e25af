"""Offline cost model: a price table (tools/prices.toml), a load model and one cost model per resource kind.

Independent of ``stacks/``: it prices anything with a type token, a name and camelCase inputs.

Usage::

    from tools.pricing import IDLE, LAUNCH, PriceTable, estimate_cost
    estimate = estimate_cost(render("prod").custom, PriceTable.load(), (IDLE, LAUNCH))
    estimate.total("launch")
"""

from tools.pricing.estimate import Estimate, estimate_cost, format_text, to_json, unpriced_types
from tools.pricing.load import IDLE, LAUNCH, Load
from tools.pricing.table import PriceTable, PriceTableError

__all__ = ["IDLE", "LAUNCH", "Estimate", "Load", "PriceTable", "PriceTableError", "estimate_cost", "format_text",
           "to_json", "unpriced_types"]
