/**
 * What a person reads when the API says no: the contract's error codes as plain sentences.
 *
 * The API's own message is the fallback (it is written for people too); these read better in the app.
 *
 *   <p role="alert">{describe(error)}</p>
 */
import { ApiError } from "./client";

const MESSAGES: Record<string, string> = {
  network_error: "Can't reach the server. Check your connection and try again.",
  unauthorized: "Please sign in again.",
  token_expired: "Your session has expired. Please sign in again.",
  invalid_token: "Your session has expired. Please sign in again.",
  username_taken: "That username is taken. Try another one.",
  invalid_username: "Usernames are 3 to 30 lowercase letters, digits or underscores.",
  weak_password: "Choose a stronger password: at least 8 characters with upper and lower case letters, a digit and a symbol.",
  invalid_credentials: "Wrong username or password.",
  user_not_confirmed: "Confirm your account first: enter the code we emailed you.",
  expired_code: "That code has expired. Ask for a new one.",
  invalid_session: "The sign-in took too long. Sign in again.",
  invalid_code: "That code isn't right. Check it and try again.",
  challenge_required: "Enter the code from your authenticator app.",
  mfa_required: "Admins must turn on two-factor sign-in first (Settings → Two-factor sign-in).",
  admins_only: "Only admins can do that.",
  insufficient_balance: "You don't have enough coins for this reward yet.",
  out_of_stock: "This reward is out of stock.",
  reward_not_found: "This reward no longer exists.",
  post_not_found: "This post was deleted or never existed.",
  user_not_found: "No one has that username.",
  comment_not_found: "This comment was deleted.",
  not_your_post: "You can only change your own posts.",
  not_your_comment: "You can only change your own comments.",
  not_your_media: "That photo or video isn't yours.",
  cannot_follow_yourself: "You can't follow yourself.",
  cannot_message_yourself: "You can't message yourself.",
  not_a_follower: "You can only message people who follow you.",
  direct_messages_disabled: "Direct messages are turned off right now.",
  text_too_long: "That's too long. Shorten it and try again.",
  payload_too_large: "That file is too large.",
  unsupported_media_type: "That kind of file isn't supported. Use JPEG, PNG, GIF, WebP, HEIC, MP4, MOV or WebM.",
  invalid_media: "That photo or video can't be used: it failed to process.",
  video_uploads_disabled: "Video uploads are turned off right now.",
  search_disabled: "Search is turned off right now.",
  search_unavailable: "Search is unavailable right now. Try again in a moment.",
  query_too_long: "That search is too long.",
  throttled: "You're going a little fast. Wait a moment and try again.",
  busy: "The server is busy. Try again in a moment.",
  unavailable: "The service is unavailable right now. Try again in a moment.",
  internal_error: "Something went wrong on our side. Try again in a moment.",
};

export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (MESSAGES[error.code]) return MESSAGES[error.code]!;
    if (error.status >= 500) return MESSAGES.internal_error!;
    return error.message;
  }
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Try again.";
}
