/**
 * A notification as a sentence a person reads, and where it leads:
 *   like  -> "ada and 2 others liked your post"   (/posts/:id)
 *   coins -> "You earned 5 coins"                  (/wallet)
 *   follow-> "bob followed you"                    (/u/bob)
 */
import type { Notification } from "../../api/types";

const number = new Intl.NumberFormat();

/** "ada", "ada and bob", "ada and 3 others": the grouped actors, newest first. */
export function who(notification: Notification): string {
  const first = notification.actor ?? notification.actors[0] ?? "Someone";
  const total = Math.max(notification.count, notification.actors.length, 1);
  const others = total - 1;
  if (others <= 0) return first;
  const second = notification.actors.find((name) => name !== first);
  if (others === 1 && second) return `${first} and ${second}`;
  return `${first} and ${number.format(others)} ${others === 1 ? "other" : "others"}`;
}

export function sentence(n: Notification): string {
  switch (n.type) {
    case "like":
      return `${who(n)} liked your post`;
    case "comment":
      return `${who(n)} commented on your post`;
    case "follow":
      return `${who(n)} followed you`;
    case "mention":
      return `${who(n)} mentioned you in a post`;
    case "coins": {
      const amount = n.amount ?? n.count;
      return `You earned ${number.format(amount)} ${amount === 1 ? "coin" : "coins"}`;
    }
    case "order":
      return n.reward_name
        ? `Your order for ${n.reward_name} is ${n.status ?? "updated"}`
        : `Your order is ${n.status ?? "updated"}`;
    case "message":
      return `${who(n)} sent you a message`;
    default:
      return "Something happened on your account";
  }
}

export function target(n: Notification, me: string): string {
  switch (n.type) {
    case "like":
    case "comment":
    case "mention":
      return n.post_id ? `/posts/${n.post_id}` : "/";
    case "follow":
      return n.count > 1 || !n.actor ? `/u/${me}/followers` : `/u/${n.actor}`;
    case "coins":
      return "/wallet";
    case "order":
      return "/orders";
    case "message":
      return n.actor ? `/messages/${n.actor}` : "/messages";
    default:
      return "/";
  }
}

export const ICONS: Record<string, string> = {
  like: "❤️", comment: "💬", follow: "👤", mention: "@", coins: "🪙", order: "🎁", message: "✉️",
};
