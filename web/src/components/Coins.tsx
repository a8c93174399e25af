/** An amount of coins, grouped by the reader's locale, with its unit for screen readers (signed ledger amounts:
 * coins/Amount.tsx). */
import { Icon } from "./Icon";

const number = new Intl.NumberFormat();

export function Coins({ amount }: { amount: number }) {
  return (
    <span className="coins">
      {number.format(amount)}
      <Icon name="coin" size={16} />
      <span className="visually-hidden"> coins</span>
    </span>
  );
}
