/** A signed ledger amount: "+10" in green for coins in, "−25" in red for coins out (the sign says it too). */
const number = new Intl.NumberFormat();

export function Amount({ value }: { value: number }) {
  const sign = value > 0 ? "+" : value < 0 ? "−" : "";
  return (
    <span className={`coins amount ${value < 0 ? "out" : "in"}`}>
      {sign}
      {number.format(Math.abs(value))}
      <span className="visually-hidden"> coins</span>
    </span>
  );
}
