/**
 * Sign-up, confirmation, sign-in (with the TOTP challenge where the user turned it on) and sign-out.
 *
 *   const answer = await signIn("ada", "pw");
 *   if (answer.kind === "mfa") await answerChallenge("ada", answer.session, "123456");
 */
import { api, request } from "../api/client";
import type { MfaChallenge, Profile, TokenPair } from "../api/types";
import { realtime } from "../realtime/socket";
import { session } from "./session";

export type SignInAnswer = { kind: "signed_in" } | { kind: "mfa"; session: string };

export async function register(body: {
  username: string;
  email: string;
  password: string;
  display_name?: string;
}): Promise<Profile> {
  return request<Profile>("POST", "/auth/register", { body, anonymous: true });
}

export async function confirm(username: string, code: string): Promise<void> {
  await request("POST", "/auth/confirm", { body: { username, code }, anonymous: true });
}

export async function signIn(username: string, password: string): Promise<SignInAnswer> {
  const answer = await request<TokenPair | MfaChallenge>("POST", "/auth/login", {
    body: { username: username.trim().toLowerCase(), password },
    anonymous: true,
  });
  if ("challenge" in answer) return { kind: "mfa", session: answer.session };
  session.signIn(answer);
  return { kind: "signed_in" };
}

export async function answerChallenge(username: string, challengeSession: string, code: string): Promise<void> {
  const tokens = await request<TokenPair>("POST", "/auth/mfa/challenge", {
    body: { username: username.trim().toLowerCase(), session: challengeSession, code },
    anonymous: true,
  });
  session.signIn(tokens);
}

/** Sign out here (and revoke the refresh token where the API offers it; a failure there still signs out). */
export async function signOut(): Promise<void> {
  const current = session.current();
  realtime.stop();
  if (current) {
    await api.post("/auth/logout", { refresh_token: current.refreshToken }).catch(() => undefined);
  }
  session.signOut(null);
}
