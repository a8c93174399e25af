/**
 * Why coins moved, as a sentence. The codes are the ledger's transfer reasons
 * (runtime/chalicelib/ledger/rules.py, bonus.py, rewards.py); an unknown one reads as its words.
 */
const REASONS: Record<string, string> = {
  post: "You wrote a post",
  like_received: "Someone liked your post",
  comment: "You commented on a post",
  weekly_bonus: "Weekly bonus for being active",
  redemption: "You redeemed a reward",
};

export function reasonText(code: string): string {
  const known = REASONS[code];
  if (known) return known;
  const words = code.replace(/[_-]+/g, " ").trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : "Coins moved";
}
