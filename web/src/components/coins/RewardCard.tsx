/**
 * One reward in the catalog: name, cost, what's left, and "Redeem <name>" (disabled, with the reason said
 * next to it, when it's out of stock or the balance is short).
 */
import { useId } from "react";
import type { Reward } from "../../api/types";
import { Coins } from "../Coins";

const number = new Intl.NumberFormat();

interface Props {
  reward: Reward;
  /** The caller's balance; undefined while it loads (the server has the last word anyway). */
  balance: number | undefined;
  onRedeem: () => void;
}

export function RewardCard({ reward, balance, onRedeem }: Props) {
  const why = useId();
  const soldOut = reward.stock < 1;
  const short = balance === undefined ? 0 : Math.max(0, reward.cost - balance);
  const reason = soldOut ? "Out of stock" : short > 0 ? `You need ${number.format(short)} more coins` : null;
  return (
    <article className={`card reward${soldOut ? " sold-out" : ""}`}>
      <h2 className="reward-name">{reward.name}</h2>
      <p className="reward-facts">
        <Coins amount={reward.cost} />
        <span className="muted">{soldOut ? "None left" : `${number.format(reward.stock)} left`}</span>
      </p>
      <div className="row">
        <button type="button" onClick={onRedeem} disabled={reason !== null} aria-describedby={reason ? why : undefined}>
          Redeem {reward.name}
        </button>
        {reason && (
          <span id={why} className={soldOut ? "reward-reason muted" : "reward-reason"}>
            {reason}
          </span>
        )}
      </div>
    </article>
  );
}
