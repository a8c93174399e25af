/**
 * The API's shapes, named. They come from `schema.d.ts`, which `make web` generates from the API's own
 * OpenAPI document: a response the server changes breaks this app's build instead of its users.
 */
import type { components } from "./schema";

type Schemas = components["schemas"];

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export type Profile = Schemas["Profile"];
export type ProfileChange = Schemas["ProfileChange"];
export type FollowState = Schemas["FollowState"];
export type Post = Schemas["Post"];
export type Comment = Schemas["Comment"];
export type LikeState = Schemas["LikeState"];
export type Media = Schemas["Media"];
export type MediaVariant = Schemas["Variant"];
export type CreatedMedia = Schemas["CreatedMedia"];
export type UploadForm = Schemas["UploadForm"];
export type Notification = Schemas["Notification"];
export type Preferences = Schemas["Preferences"];
export type Conversation = Schemas["Conversation"];
export type DirectMessage = Schemas["DirectMessage"];
export type Wallet = Schemas["WalletView"];
export type WalletEntry = Schemas["EntryView"];
export type Reward = Schemas["RewardView"];
export type NewReward = Schemas["NewReward"];
export type RewardChange = Schemas["RewardChange"];
export type Order = Schemas["OrderView"];
export type CoinReport = Schemas["CoinReport"];
export type CoinDay = Schemas["CoinDayView"];
export type Hashtag = Schemas["Hashtag"];
export type TrendingTags = Schemas["TrendingTags"];
export type TrendingTag = Schemas["TrendingTag"];
export type Flags = Schemas["ClientFlags"];
export type TokenPair = Schemas["TokenPair"];
export type MfaChallenge = Schemas["MfaChallenge"];
export type TotpSecret = Schemas["TotpSecret"];
export type SearchResult = Post | Profile | Hashtag;
