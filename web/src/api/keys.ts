/**
 * Query keys, one place: a mutation on one page invalidates what another page shows (a like updates the
 * feed, a redemption the wallet), so every page names its data the same way.
 */
export const keys = {
  me: ["me"] as const,
  flags: ["flags"] as const,
  feed: ["feed"] as const,
  post: (id: string) => ["post", id] as const,
  comments: (postId: string) => ["comments", postId] as const,
  user: (username: string) => ["user", username] as const,
  userPosts: (username: string) => ["posts", "user", username] as const,
  followers: (username: string) => ["followers", username] as const,
  following: (username: string) => ["following", username] as const,
  tagPosts: (tag: string) => ["posts", "tag", tag] as const,
  trends: ["trends"] as const,
  search: (q: string, type: string) => ["search", type, q] as const,
  notifications: ["notifications"] as const,
  unread: ["notifications", "unread"] as const,
  preferences: ["notifications", "preferences"] as const,
  conversations: ["conversations"] as const,
  messages: (conversationId: string) => ["conversations", conversationId] as const,
  wallet: ["wallet"] as const,
  transactions: ["wallet", "transactions"] as const,
  rewards: ["rewards"] as const,
  orders: ["orders"] as const,
  coinReport: (days: number) => ["admin", "coins", days] as const,
};
