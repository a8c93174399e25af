"""Wallet, rewards, orders and the admin catalog routes."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from chalicelib.auth.admins import require_admin
from chalicelib.core.declarations import uses
from chalicelib.core.errors import Unprocessable
from chalicelib.core.idempotency import check_key
from chalicelib.core.pagination import Page, next_cursor, split_page
from chalicelib.core.routes import Call, QueryParam, Reply, Router
from chalicelib.core.tokens import Principal
from chalicelib.ledger.views import (
    CoinDayView,
    CoinReport,
    EntryView,
    NewReward,
    OrderView,
    RewardChange,
    RewardView,
    WalletView,
)
from chalicelib.resources import DOMAIN_EVENTS, LEDGER, USER_POOL

# The ledger's modules import SQLAlchemy (~250 ms): each route imports them when first called,
# so the API's cold start stays the same for every route that never touches coins.

router = Router(__name__, tag="wallet")


@router.route("/wallet", "GET", response=WalletView)
@uses(LEDGER.connect())
def my_wallet(call: Call[None]) -> WalletView:
    """Your balance, and what you earned today against the daily cap."""
    from chalicelib.ledger.rules import Rules
    from chalicelib.ledger.wallet import wallet

    mine = wallet(call.principal.username)
    return WalletView(balance=mine.balance, earned_today=mine.earned_today, daily_cap=Rules.from_settings().daily_cap)


@router.route("/wallet/transactions", "GET", response=Page[EntryView])
@uses(LEDGER.connect())
def my_transactions(call: Call[None]) -> Page[EntryView]:
    """Your entries, newest first: positive amounts came in, negative went out."""
    from chalicelib.ledger.wallet import entries

    scope = f"transactions:{call.principal.username}"
    limit, position = call.page_request(scope)
    before = (datetime.fromisoformat(position["at"]), position["id"]) if position.get("at") else None
    page, last = split_page(entries(call.principal.username, limit + 1, before), limit)
    cursor = next_cursor(scope, {"at": last.created_at.isoformat(), "id": last.id} if last else None)
    return Page[EntryView](items=[EntryView.of(e) for e in page], next_cursor=cursor)


@router.route("/rewards", "GET", response=Page[RewardView])
@uses(LEDGER.connect())
def catalog(call: Call[None]) -> Page[RewardView]:
    """The rewards on offer."""
    from chalicelib.ledger import rewards

    limit, position = call.page_request("rewards")
    page, last = split_page(rewards.list_rewards(limit + 1, position.get("after")), limit)
    cursor = next_cursor("rewards", {"after": last.id} if last else None)
    return Page[RewardView](items=[RewardView.of(r) for r in page], next_cursor=cursor)


@router.route("/rewards/{reward_id}/redeem", "POST", response=OrderView, status=201, errors=(404, 409))
@uses(LEDGER.connect(), DOMAIN_EVENTS.publish())
def redeem(call: Call[None], reward_id: str) -> Reply:
    """Spend coins on one unit of a reward. With ``Idempotency-Key``, a retry returns the same order."""
    from chalicelib.ledger import rewards
    from chalicelib.ledger.outbox import publishing

    key = call.header("idempotency-key")
    with publishing():  # order.created, once the order committed
        order, replayed = rewards.redeem(call.principal.username, reward_id, check_key(key) if key else None)
    return Reply(OrderView.of(order), status=201, headers={"Idempotent-Replayed": "true"} if replayed else {})


@router.route("/orders", "GET", response=Page[OrderView])
@uses(LEDGER.connect())
def my_orders(call: Call[None]) -> Page[OrderView]:
    """Your orders, newest first."""
    from chalicelib.ledger import rewards

    scope = f"orders:{call.principal.username}"
    limit, position = call.page_request(scope)
    page, last = split_page(rewards.orders_of(call.principal.username, limit + 1, position.get("before")), limit)
    cursor = next_cursor(scope, {"before": last.id} if last else None)
    return Page[OrderView](items=[OrderView.of(o) for o in page], next_cursor=cursor)


def _admin(principal: Principal, doing: str = "manage the catalog") -> None:
    from chalicelib.auth.routes import identity

    require_admin(principal, doing, identity())


@router.route("/admin/rewards", "POST", body=NewReward, response=RewardView, status=201, errors=(403,))
@uses(LEDGER.connect(), USER_POOL.read_user())
def add_reward(call: Call[NewReward]) -> RewardView:
    """Add a reward to the catalog (admins)."""
    from chalicelib.ledger import rewards

    _admin(call.principal)
    return RewardView.of(rewards.create_reward(call.body.name, call.body.cost, call.body.stock))


@router.route("/admin/rewards/{reward_id}", "PATCH", body=RewardChange, response=RewardView, errors=(403, 404))
@uses(LEDGER.connect(), USER_POOL.read_user())
def change_reward(call: Call[RewardChange], reward_id: str) -> RewardView:
    """Change a reward's name, cost, stock, or take it off the catalog with ``active: false`` (admins)."""
    from chalicelib.ledger import rewards

    _admin(call.principal)
    body = call.body
    if not body.model_fields_set:
        raise Unprocessable("validation_failed", "send at least one of name, cost, stock, active")
    return RewardView.of(rewards.change_reward(reward_id, name=body.name, cost=body.cost, stock=body.stock,
                                               active=body.active))


CSV = "text/csv"
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
REPORT_QUERY = (
    QueryParam("from", "the first UTC day, YYYY-MM-DD (default: 29 days before `to`)", {"type": "string",
                                                                                       "format": "date"}),
    QueryParam("to", "the last UTC day, YYYY-MM-DD (default: today); at most 366 days in all",
               {"type": "string", "format": "date"}),
    QueryParam("format", "json (default) or csv; `Accept: text/csv` asks for CSV too",
               {"type": "string", "enum": ["json", "csv"]}),
)


def _day(call: Call[None], name: str) -> date | None:
    raw = call.query(name)
    if raw is None or raw == "":
        return None
    try:  # Python 3.11 also reads '20260301' and week dates: only the extended form is the contract's
        if DAY.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise Unprocessable("validation_failed", f"{name} must be a day, YYYY-MM-DD")


def _wants_csv(call: Call[None]) -> bool:
    chosen = call.query("format")
    if chosen not in (None, "", "json", "csv"):
        raise Unprocessable("validation_failed", "format must be json or csv")
    if chosen:
        return chosen == "csv"
    accepted = [part.split(";")[0].strip().lower() for part in (call.header("accept") or "").split(",")]
    return CSV in accepted


@router.route("/admin/reports/coins", "GET", response=CoinReport, errors=(403,), query=REPORT_QUERY,
              produces=(CSV,))
@uses(LEDGER.connect(), USER_POOL.read_user())
def coin_report(call: Call[None]) -> CoinReport | Reply:
    """Coins issued, redeemed and outstanding per UTC day (admins), as JSON or CSV."""
    from chalicelib.ledger import reports

    _admin(call.principal, "see reports")
    last = _day(call, "to") or datetime.now(UTC).date()
    first = _day(call, "from") or last - timedelta(days=29)
    csv = _wants_csv(call)
    try:
        report = reports.coins_per_day(first, last)
    except ValueError as error:
        raise Unprocessable("validation_failed", str(error)) from None
    if csv:
        name = f"coins-{first.isoformat()}-{last.isoformat()}.csv"
        return Reply(reports.as_csv(report), media_type=CSV,
                     headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return CoinReport(days=[CoinDayView(day=d.day, issued=d.issued, redeemed=d.redeemed,
                                        outstanding=d.outstanding) for d in report])
