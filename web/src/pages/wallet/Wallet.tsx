/**
 * The wallet: balance, today's earnings against the daily cap, and the history of every coin in and out.
 * A coins notification (Layout invalidates keys.wallet, a prefix of keys.transactions) refreshes both.
 */
import { Link } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Wallet as WalletView, WalletEntry } from "../../api/types";
import { Amount } from "../../components/coins/Amount";
import { reasonText } from "../../components/coins/reasons";
import { useWallet } from "../../components/coins/wallet";
import { PagedList } from "../../components/PagedList";
import { RelativeTime } from "../../components/RelativeTime";
import { ErrorNotice, Loading } from "../../components/States";
import { Title } from "../../components/Title";

const number = new Intl.NumberFormat();

export default function Wallet() {
  const wallet = useWallet();
  // The amounts are the server's defaults (rules.py); only the cap reaches the client, so it is the live one.
  const cap = wallet.data?.daily_cap;
  return (
    <>
      <Title text="Wallet" />
      <div className="stack">
        {wallet.isPending ? (
          <Loading label="Loading your wallet…" />
        ) : wallet.isError ? (
          <ErrorNotice error={wallet.error} retry={() => void wallet.refetch()} />
        ) : (
          <Summary wallet={wallet.data} />
        )}
        <p className="muted how-to-earn">
          <strong>How to earn:</strong> a post earns 10 coins, a comment 5, and each like from someone else 2, up
          to {cap === undefined ? "a daily cap" : `${number.format(cap)} coins a day`}; active weeks earn a bonus
          too. <Link to="/rewards">Spend your coins</Link> in the catalog.
        </p>
        <section aria-labelledby="history-heading" className="stack">
          <h2 id="history-heading">History</h2>
          <PagedList<WalletEntry>
            queryKey={keys.transactions}
            path="/wallet/transactions"
            label="Coin history"
            empty="No coins yet. Write your first post to earn some."
            render={(entry) => <Entry entry={entry} />}
          />
        </section>
      </div>
    </>
  );
}

function Summary({ wallet }: { wallet: WalletView }) {
  const { balance, earned_today: earned, daily_cap: cap } = wallet;
  return (
    <div className="wallet-summary">
      <div className="card wallet-balance">
        <h2 id="balance-label" className="wallet-label">
          Balance
        </h2>
        {/* Announced when a coins notification refreshes it. */}
        <p className="wallet-number" aria-live="polite">
          <span data-testid="balance">{number.format(balance)}</span> <span className="wallet-unit">coins</span>
        </p>
      </div>
      <div className="card wallet-today">
        <h2 className="wallet-label">
          <label htmlFor="earned-today">Earned today</label>
        </h2>
        <meter id="earned-today" className="wallet-meter" min={0} max={Math.max(cap, 1)} value={earned}>
          {earned} of {cap}
        </meter>
        <p className="muted">
          {number.format(earned)} of {number.format(cap)} coins today
          {earned >= cap && cap > 0 ? ". You've reached today's cap: earning starts again tomorrow (UTC)." : ""}
        </p>
      </div>
    </div>
  );
}

function Entry({ entry }: { entry: WalletEntry }) {
  return (
    <div className="card ledger-entry">
      <div className="ledger-reason">
        <span>{reasonText(entry.reason)}</span>
        <small className="muted">
          <RelativeTime iso={entry.created_at} />
        </small>
      </div>
      <Amount value={entry.amount} />
    </div>
  );
}
