/**
 * The rewards catalog: each reward's cost and stock, and redeeming one after a confirmation. One confirmation
 * is one Idempotency-Key, so pressing "Confirm" again after a network failure can't buy it twice.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router-dom";
import { api, idempotencyKey } from "../../api/client";
import { keys } from "../../api/keys";
import type { Order, Reward } from "../../api/types";
import { RewardCard } from "../../components/coins/RewardCard";
import { CATALOG_PAGE, useWallet } from "../../components/coins/wallet";
import { Coins } from "../../components/Coins";
import { ConfirmDialog } from "../../components/Dialog";
import { PagedList } from "../../components/PagedList";
import { Title } from "../../components/Title";

interface Asking {
  reward: Reward;
  key: string;
}

export default function Rewards() {
  const client = useQueryClient();
  const wallet = useWallet();
  const balance = wallet.data?.balance;
  const [asking, setAsking] = useState<Asking | null>(null);
  const [redeemed, setRedeemed] = useState<string | null>(null);
  const notice = useRef<HTMLDivElement>(null);

  const redeem = useMutation({
    mutationFn: ({ reward, key }: Asking) =>
      api.post<Order>(`/rewards/${encodeURIComponent(reward.id)}/redeem`, {}, { idempotencyKey: key }),
    onSuccess: (_order, { reward }) => {
      setAsking(null);
      setRedeemed(reward.name);
    },
    onSettled: () => {
      // Success moved coins and stock; a 409 means our balance or stock was stale: refresh either way.
      for (const key of [keys.wallet, keys.transactions, keys.rewards, keys.orders]) {
        void client.invalidateQueries({ queryKey: key });
      }
    },
  });

  useEffect(() => {
    if (redeemed) notice.current?.focus();
  }, [redeemed]);

  const open = (reward: Reward) => {
    redeem.reset();
    setRedeemed(null);
    setAsking({ reward, key: idempotencyKey() });
  };
  const close = () => {
    setAsking(null);
    redeem.reset();
  };

  const reward = asking?.reward;
  return (
    <>
      <Title text="Rewards" actions={<Link to="/orders">Your orders</Link>} />
      <div className="stack">
        <p className="muted">
          {balance === undefined ? (
            "Spend the coins you earn on these rewards."
          ) : (
            <>
              You have <Coins amount={balance} /> to spend.
            </>
          )}
        </p>
        {redeemed && (
          <div ref={notice} tabIndex={-1} className="notice success" role="status">
            <span>You redeemed {redeemed}.</span> <Link to="/orders">See your orders</Link>
          </div>
        )}
        <PagedList<Reward>
          queryKey={keys.rewards}
          path="/rewards"
          pageSize={CATALOG_PAGE}
          label="Rewards"
          empty="No rewards on offer right now. Check back soon."
          render={(item) => <RewardCard reward={item} balance={balance} onRedeem={() => open(item)} />}
        />
      </div>
      <ConfirmDialog
        open={asking !== null}
        title={reward ? `Redeem ${reward.name}?` : ""}
        pending={redeem.isPending}
        error={redeem.error}
        onConfirm={() => asking && redeem.mutate(asking)}
        onClose={close}
      >
        {reward && (
          <dl className="redeem-summary">
            <dt>Cost</dt>
            <dd>
              <Coins amount={reward.cost} />
            </dd>
            {balance !== undefined && (
              <>
                <dt>Your balance after</dt>
                <dd>
                  <Coins amount={balance - reward.cost} />
                </dd>
              </>
            )}
          </dl>
        )}
      </ConfirmDialog>
    </>
  );
}
