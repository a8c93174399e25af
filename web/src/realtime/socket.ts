/**
 * One WebSocket per signed-in tab: the server's pushes (`notification`, `post`, `message`) to whoever listens.
 *
 * The access token goes in the query string, as API Gateway's WebSocket `$connect` requires (the only place a
 * token travels in a URL, and only on the wire, never in the address bar). A dropped connection comes back
 * with exponential backoff (1 s to 30 s, with jitter) and a fresh token; a ping every 5 minutes keeps API
 * Gateway's 10-minute idle timeout away.
 *
 *   const off = realtime.on("notification", (data) => ...);
 *   realtime.send({ action: "sendMessage", to: "bob", text: "hi" });
 */
import { session } from "../auth/session";
import { loadConfig, websocketUrl } from "../config";

export type PushType = "notification" | "post" | "message" | "error" | "pong";
export interface Push {
  type: PushType;
  data?: unknown;
  error?: { code: string; message: string };
}
type Handler = (push: Push) => void;

const PING_MS = 5 * 60_000;
const MAX_BACKOFF_MS = 30_000;

class Realtime {
  private socket: WebSocket | null = null;
  private handlers = new Map<PushType | "*", Set<Handler>>();
  private stateListeners = new Set<(open: boolean) => void>();
  private attempts = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;
  private wanted = false;
  open = false;

  /** Connect (idempotent) while someone is signed in. */
  start(): void {
    this.wanted = true;
    if (!this.socket) void this.connect();
  }

  stop(): void {
    this.wanted = false;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.socket?.close(1000);
    this.socket = null;
    this.setOpen(false);
  }

  on(type: PushType | "*", handler: Handler): () => void {
    if (!this.handlers.has(type)) this.handlers.set(type, new Set());
    this.handlers.get(type)!.add(handler);
    return () => this.handlers.get(type)?.delete(handler);
  }

  onState(listener: (open: boolean) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Send a frame; false when not connected (the caller says so, nothing is queued silently). */
  send(frame: Record<string, unknown>): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  private async connect(): Promise<void> {
    const [config, token] = await Promise.all([loadConfig(), session.accessToken()]);
    if (!this.wanted || !token) return;
    const target = new URL(websocketUrl(config));
    target.searchParams.set("token", token);
    const socket = new WebSocket(target.toString());
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setOpen(true);
      clearInterval(this.ping);
      this.ping = setInterval(() => this.send({ action: "ping" }), PING_MS);
    };
    socket.onmessage = (event: MessageEvent<string>) => {
      let push: Push;
      try {
        push = JSON.parse(event.data) as Push;
      } catch {
        return;
      }
      for (const key of [push.type, "*"] as const) this.handlers.get(key)?.forEach((handler) => handler(push));
    };
    socket.onclose = () => {
      if (this.socket === socket) this.socket = null;
      clearInterval(this.ping);
      this.setOpen(false);
      if (!this.wanted) return;
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempts++);
      this.retry = setTimeout(() => void this.connect(), backoff / 2 + Math.random() * (backoff / 2));
    };
  }

  private setOpen(open: boolean): void {
    this.open = open;
    this.stateListeners.forEach((listener) => listener(open));
  }
}

export const realtime = new Realtime();
