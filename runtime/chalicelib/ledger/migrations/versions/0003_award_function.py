"""One award in one round trip: the ``ledger_award`` function (PostgreSQL only; SQLite keeps the ORM path).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

The function does what ``chalicelib.ledger.earning.apply_award`` does, in the same order and under
the same locks: the user's account (created if new), the user's day row locked, the transfer id
checked under that lock (a duplicate pays nothing), the amount cut to what remains under the cap,
the transfer written, both balances moved in account-id order (``system:`` sorts before ``user:``),
the day's earnings raised, and the ``coins.awarded`` event written to the outbox with the amount
paid and the balance after it. It returns the amount paid and that balance (0 and NULL when nothing
was paid).
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

AWARD = """
CREATE FUNCTION ledger_award(p_transfer text, p_user text, p_pool text, p_amount bigint, p_reason text,
                             p_day date, p_cap integer, p_at timestamptz, p_event_id text, p_event jsonb)
RETURNS TABLE (paid bigint, balance bigint) LANGUAGE plpgsql AS $$
DECLARE
    v_earned integer;
    v_amount bigint;
    v_balance bigint;
BEGIN
    INSERT INTO accounts (id, kind, balance, created_at) VALUES (p_user, 'user', 0, p_at) ON CONFLICT DO NOTHING;
    INSERT INTO daily_earnings (account_id, day, earned) VALUES (p_user, p_day, 0) ON CONFLICT DO NOTHING;
    SELECT d.earned INTO v_earned FROM daily_earnings d WHERE d.account_id = p_user AND d.day = p_day FOR UPDATE;
    IF EXISTS (SELECT 1 FROM transfers t WHERE t.id = p_transfer) THEN
        RETURN QUERY SELECT 0::bigint, NULL::bigint;
        RETURN;
    END IF;
    v_amount := GREATEST(0, LEAST(p_amount, p_cap - v_earned));
    IF v_amount = 0 THEN
        RETURN QUERY SELECT 0::bigint, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO transfers (id, debit_account, credit_account, amount, reason, created_at)
        VALUES (p_transfer, p_pool, p_user, v_amount, p_reason, p_at);
    UPDATE accounts SET balance = accounts.balance - v_amount WHERE id = p_pool;
    UPDATE accounts SET balance = accounts.balance + v_amount WHERE id = p_user
        RETURNING accounts.balance INTO v_balance;
    UPDATE daily_earnings SET earned = daily_earnings.earned + v_amount WHERE account_id = p_user AND day = p_day;
    INSERT INTO outbox (id, type, body, created_at, published_at)
        VALUES (p_event_id, p_event ->> 'type',
                jsonb_set(jsonb_set(p_event, '{data,amount}', to_jsonb(v_amount)), '{data,balance}',
                          to_jsonb(v_balance))::text,
                p_at, NULL)
        ON CONFLICT DO NOTHING;
    RETURN QUERY SELECT v_amount, v_balance;
END $$;
"""

SIGNATURE = "ledger_award(text, text, text, bigint, text, date, integer, timestamptz, text, jsonb)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(AWARD)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {SIGNATURE}")
