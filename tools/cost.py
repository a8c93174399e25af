"""Print, offline, a stack's monthly cost idle and at the seeds' launch load, per resource kind.

Renders the real Pulumi program under mocks (as ``make plan`` does) and prices what it would create
from tools/prices.toml with the load model in tools/pricing/load.py.

Usage::

    python -m tools.cost --stack prod
    python -m tools.cost --stack preview-x --json
    python -m tools.cost --stack prod --dau 20000                  # another launch load
    python -m tools.cost --stack account-us-east-1 --share 5       # a shared stack split across 5 previews
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.pricing import IDLE, LAUNCH, PriceTable, estimate_cost, format_text, to_json


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", required=True, help="dev, prod, preview-<branch> (or account-<region>)")
    parser.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config value (social: implied), e.g. natGateways=0")
    parser.add_argument("--dau", type=float, default=LAUNCH.daily_active_users,
                        help=f"daily active users of the launch column (default {LAUNCH.daily_active_users:,.0f})")
    parser.add_argument("--share", type=int, default=1, metavar="N",
                        help="divide every figure by N: one preview's share of a stack N previews share")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--prices", type=Path, default=None, help="another price table (TOML)")
    args = parser.parse_args(argv)
    if args.share < 1 or args.dau < 0:
        parser.error("--share must be 1 or more and --dau 0 or more")
    from stacks.mocks import render  # imported late: the pricing above needs no Pulumi

    overrides = dict(item.split("=", 1) for item in args.config)
    try:
        rendering = render(args.stack, overrides)
    except Exception as exc:  # the program refuses the stack (unknown name, bad config): say so, no traceback
        print(f"cost: stack {args.stack!r} cannot be rendered on this branch: {exc}", file=sys.stderr)
        return 2
    prices = PriceTable.load(args.prices) if args.prices else PriceTable.load()
    estimate = estimate_cost(rendering.custom, prices, (IDLE, replace(LAUNCH, daily_active_users=args.dau)),
                             share=args.share)
    for warning in rendering.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps(to_json(estimate, args.stack), indent=2, default=str))
    else:
        print(format_text(estimate, args.stack))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
