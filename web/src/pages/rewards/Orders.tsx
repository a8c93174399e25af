/** The caller's orders, newest first: which reward (named from the catalog), what it cost, its status, when. */
import { Link } from "react-router-dom";
import { keys } from "../../api/keys";
import type { Order } from "../../api/types";
import { useRewardNames } from "../../components/coins/wallet";
import { Coins } from "../../components/Coins";
import { PagedList } from "../../components/PagedList";
import { RelativeTime } from "../../components/RelativeTime";
import { Title } from "../../components/Title";

const STATUS: Record<string, string> = {
  placed: "Placed",
  fulfilled: "Fulfilled",
  shipped: "Shipped",
  cancelled: "Cancelled",
  refunded: "Refunded",
};

function statusText(status: string): string {
  return STATUS[status] ?? status.charAt(0).toUpperCase() + status.slice(1).replace(/_/g, " ");
}

export default function Orders() {
  const { names, complete } = useRewardNames();
  // A reward taken off the catalog has no name to show any more; until the catalog loads, say less.
  const nameOf = (order: Order) => names.get(order.reward_id) ?? (complete ? "A reward no longer offered" : "A reward");
  return (
    <>
      <Title text="Your orders" actions={<Link to="/rewards">Browse the catalog</Link>} />
      <PagedList<Order>
        queryKey={keys.orders}
        path="/orders"
        label="Your orders"
        empty={
          <>
            No orders yet. <Link to="/rewards">Browse the catalog</Link> to spend your coins.
          </>
        }
        render={(order) => (
          <article className="card order">
            <h2 className="order-name">{nameOf(order)}</h2>
            <p className="order-facts">
              <Coins amount={order.cost} />
              <span className={`order-status status-${order.status}`}>
                <span className="visually-hidden">Status: </span>
                {statusText(order.status)}
              </span>
              <small className="muted">
                Ordered <RelativeTime iso={order.created_at} />
              </small>
            </p>
          </article>
        )}
      />
    </>
  );
}
