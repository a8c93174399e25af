/** An amount of coins, grouped by the reader's locale, with its unit for screen readers. */
const number = new Intl.NumberFormat();

export function Coins({ amount, signed = false }: { amount: number; signed?: boolean }) {
  const text = `${signed && amount > 0 ? "+" : ""}${number.format(amount)}`;
  return (
    <span className="coins">
      {text}
      <span aria-hidden="true"> 🪙</span>
      <span className="visually-hidden"> coins</span>
    </span>
  );
}
