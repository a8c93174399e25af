/** An amount of coins, grouped by the reader's locale, with its unit for screen readers. */
import { Icon } from "./Icon";

const number = new Intl.NumberFormat();

export function Coins({ amount, signed = false }: { amount: number; signed?: boolean }) {
  const text = `${signed && amount > 0 ? "+" : ""}${number.format(amount)}`;
  return (
    <span className="coins">
      {text}
      <Icon name="coin" size={16} />
      <span className="visually-hidden"> coins</span>
    </span>
  );
}
