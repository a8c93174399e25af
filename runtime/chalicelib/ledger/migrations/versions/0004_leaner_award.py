"""Awards in one statement each: ``ledger_pay_award`` (one award) and ``ledger_pay_awards`` (an SQS batch).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

PostgreSQL only (SQLite keeps the ORM path). Either function is the whole award, so the code runs it as
a statement of its own that commits as it ends (autocommit): no BEGIN and COMMIT round trips, and no
lock held while a client is on the wire between them.

``ledger_pay_award`` pays one award under the same locks, in the same order, as ``ledger_award``
(migration 0003) and ``chalicelib.ledger.earning.apply_award``: the user's day row, then the
rewards-pool shard, then the user's account (``system:`` sorts before ``user:``). It takes five
statements where ``ledger_award`` took nine:

- the day row is locked and raised by one guarded UPDATE when it exists and the whole award fits
  under the cap (a day row means the account exists: its foreign key). Only a user's first award of
  the day, or one the cap cuts, takes the long way: account and day row created if missing, the row
  locked, the amount cut, the row raised;
- the transfer id is checked by the transfer's own INSERT (``ON CONFLICT DO NOTHING``), still under
  the day lock; a duplicate gives the day its room back and pays nothing. A transfer of the same id
  in flight for another day (a like again, on another day) is waited for and found, where the old
  check-then-insert failed on the unique key;
- the outbox row is a plain INSERT: its id names the transfer just inserted, so it cannot exist yet;
- it returns the amount paid, a scalar (0: a duplicate, or nothing left under the cap).

``p_debit`` false leaves the pool's debit to the caller: the batch's function debits its one shard once.

``ledger_pay_awards`` takes a batch's awards as index-aligned arrays, one rewards-pool shard that pays
them all (and the actors' activity as accounts and days): it creates the accounts, creates or locks
every day row in (account, day) order, locks the shard and the awardees' accounts in id order, then pays
each award in batch order with ``ledger_pay_award``, whose locks it already holds, and debits the shard
once with the total. So the caps are applied per user in event order, an award twice in the batch pays
once (its second INSERT finds the first), and each ``coins.awarded`` event carries the balance right
after its own transfer. A batch locks one shard, not one per awardee: ten random awardees' shards were
most of the sixteen, so concurrent batches waited on one another nearly always (about four of eight, in
the benchmark's spread scenario; about one with a shard per batch). It returns the amounts paid, in
award order.

``ledger_award`` stays: code deployed before this migration calls it until the new code is rolled out.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PAY_AWARD = """
CREATE FUNCTION ledger_pay_award(p_transfer text, p_user text, p_pool text, p_amount bigint, p_reason text,
                                 p_day date, p_cap integer, p_at timestamptz, p_event_id text, p_event jsonb,
                                 p_debit boolean DEFAULT true)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_earned bigint;
    v_amount bigint := p_amount;
    v_balance bigint;
BEGIN
    UPDATE daily_earnings SET earned = daily_earnings.earned + p_amount
        WHERE account_id = p_user AND day = p_day AND p_amount > 0 AND daily_earnings.earned + p_amount <= p_cap;
    IF NOT FOUND THEN  -- the user's first award of the day, or the cap bites: the long way
        INSERT INTO accounts (id, kind, balance, created_at) VALUES (p_user, 'user', 0, p_at) ON CONFLICT DO NOTHING;
        INSERT INTO daily_earnings (account_id, day, earned) VALUES (p_user, p_day, 0) ON CONFLICT DO NOTHING;
        SELECT d.earned INTO v_earned FROM daily_earnings d WHERE d.account_id = p_user AND d.day = p_day FOR UPDATE;
        v_amount := GREATEST(0, LEAST(p_amount, p_cap - v_earned));
        IF v_amount = 0 THEN
            RETURN 0;
        END IF;
        UPDATE daily_earnings SET earned = daily_earnings.earned + v_amount WHERE account_id = p_user AND day = p_day;
    END IF;
    INSERT INTO transfers (id, debit_account, credit_account, amount, reason, created_at)
        VALUES (p_transfer, p_pool, p_user, v_amount, p_reason, p_at) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN  -- paid before: the day gets its room back
        UPDATE daily_earnings SET earned = daily_earnings.earned - v_amount WHERE account_id = p_user AND day = p_day;
        RETURN 0;
    END IF;
    IF p_debit THEN  -- else the caller debits the pool, once for all its awards
        UPDATE accounts SET balance = accounts.balance - v_amount WHERE id = p_pool;
    END IF;
    UPDATE accounts SET balance = accounts.balance + v_amount WHERE id = p_user
        RETURNING accounts.balance INTO v_balance;
    INSERT INTO outbox (id, type, body, created_at, published_at)
        VALUES (p_event_id, p_event ->> 'type',
                jsonb_set(jsonb_set(p_event, '{data,amount}', to_jsonb(v_amount)), '{data,balance}',
                          to_jsonb(v_balance))::text,
                p_at, NULL);
    RETURN v_amount;
END $$;
"""

PAY_AWARDS = """
CREATE FUNCTION ledger_pay_awards(p_transfers text[], p_users text[], p_pool text, p_amounts bigint[],
                                  p_reasons text[], p_days date[], p_active text[], p_active_days date[],
                                  p_cap integer, p_at timestamptz, p_events jsonb)
RETURNS bigint[] LANGUAGE plpgsql AS $$
DECLARE
    v_paid bigint[] := '{}';
    v_amount bigint;
    v_total bigint := 0;
BEGIN
    INSERT INTO accounts (id, kind, balance, created_at)
        SELECT a, 'user', 0, p_at FROM (SELECT DISTINCT a FROM unnest(p_users || p_active) AS u(a)) AS u
        ORDER BY a COLLATE "C"
        ON CONFLICT DO NOTHING;
    -- Created, or locked without a new row version (the WHERE is false, the lock stays), in one order.
    INSERT INTO daily_earnings (account_id, day, earned)
        SELECT a, d, 0 FROM (SELECT DISTINCT a, d FROM unnest(p_users || p_active, p_days || p_active_days)
                             AS k(a, d)) AS k
        ORDER BY a COLLATE "C", d
        ON CONFLICT (account_id, day) DO UPDATE SET earned = daily_earnings.earned WHERE false;
    PERFORM 1 FROM accounts WHERE id = ANY(p_users || p_pool) ORDER BY id COLLATE "C" FOR NO KEY UPDATE;
    FOR i IN 1 .. coalesce(array_length(p_transfers, 1), 0) LOOP
        v_amount := ledger_pay_award(p_transfers[i], p_users[i], p_pool, p_amounts[i], p_reasons[i], p_days[i], p_cap,
                                     p_at, p_events -> (i - 1) ->> 'id', p_events -> (i - 1), false);
        v_paid := v_paid || v_amount;
        v_total := v_total + v_amount;
    END LOOP;
    IF v_total > 0 THEN
        UPDATE accounts SET balance = accounts.balance - v_total WHERE id = p_pool;
    END IF;
    RETURN v_paid;
END $$;
"""

SIGNATURES = ("ledger_pay_awards(text[], text[], text, bigint[], text[], date[], text[], date[], integer, "
              "timestamptz, jsonb)",
              "ledger_pay_award(text, text, text, bigint, text, date, integer, timestamptz, text, jsonb, boolean)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PAY_AWARD)
        op.execute(PAY_AWARDS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature in SIGNATURES:
            op.execute(f"DROP FUNCTION {signature}")
