/** Whether the WebSocket is open right now (messages are sent over it). */
import { useSyncExternalStore } from "react";
import { realtime } from "../../realtime/socket";

export function useConnected(): boolean {
  return useSyncExternalStore(
    (listener) => realtime.onState(listener),
    () => realtime.open,
  );
}
