/** The signed-in session as React state: re-renders when it changes (sign-in, refresh, sign-out, other tabs). */
import { useSyncExternalStore } from "react";
import { session, type Session } from "./session";

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.current(),
  );
}

export function useIsAdmin(): boolean {
  return useSession()?.groups.includes("admins") ?? false;
}
