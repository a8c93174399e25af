/**
 * The signed-in session: Cognito's tokens, kept in localStorage (never in a URL) so a reload stays signed in.
 *
 * The access token is refreshed a minute before it expires, by a timer and again before any request that
 * finds it stale; concurrent callers share one refresh. When the refresh token is refused, the session ends
 * with a reason the sign-in page shows ("Your session has expired").
 *
 *   const token = await session.accessToken();   // null when signed out
 *   session.subscribe(() => render(session.current()));
 */

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token: string;
  expires_in: number;
}

export interface Session {
  username: string;
  accessToken: string;
  idToken: string;
  refreshToken: string;
  expiresAt: number; // epoch ms
  groups: string[];
}

const KEY = "social.session";
const REFRESH_MARGIN_MS = 60_000;

type Listener = () => void;
type Refresher = (refreshToken: string) => Promise<Tokens>;

/** The claims of a JWT's payload (no signature check: the API checks; the app only reads its own token). */
export function claims(token: string): Record<string, unknown> {
  const part = token.split(".")[1] ?? "";
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function fromTokens(tokens: Tokens, refreshToken?: string): Session {
  const id = claims(tokens.id_token);
  const access = claims(tokens.access_token);
  const username = String(id["cognito:username"] ?? access["username"] ?? "").toLowerCase();
  const groups = (access["cognito:groups"] ?? id["cognito:groups"] ?? []) as string[];
  return {
    username,
    accessToken: tokens.access_token,
    idToken: tokens.id_token,
    // Cognito's refresh answer carries no new refresh token: keep the one we have.
    refreshToken: tokens.refresh_token || refreshToken || "",
    expiresAt: Date.now() + tokens.expires_in * 1000,
    groups: Array.isArray(groups) ? groups : [],
  };
}

class SessionStore {
  private session: Session | null = null;
  private listeners = new Set<Listener>();
  private refreshing: Promise<string | null> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private refresher: Refresher | null = null;
  /** Why the last session ended, for the sign-in page ("expired"); cleared when read. */
  private endReason: string | null = null;

  constructor() {
    try {
      const stored = localStorage.getItem(KEY);
      this.session = stored ? (JSON.parse(stored) as Session) : null;
    } catch {
      this.session = null;
    }
    window.addEventListener("storage", (event) => {
      // Another tab signed in, refreshed or out: follow it.
      if (event.key !== KEY) return;
      this.session = event.newValue ? (JSON.parse(event.newValue) as Session) : null;
      this.schedule();
      this.emit();
    });
  }

  /** Set how tokens are refreshed (the API client's POST /auth/refresh); starts the timer. */
  useRefresher(refresher: Refresher): void {
    this.refresher = refresher;
    this.schedule();
  }

  current(): Session | null {
    return this.session;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  signIn(tokens: Tokens): Session {
    this.session = fromTokens(tokens);
    this.endReason = null;
    this.save();
    return this.session;
  }

  signOut(reason: string | null = null): void {
    this.session = null;
    this.endReason = reason;
    this.save();
  }

  takeEndReason(): string | null {
    const reason = this.endReason;
    this.endReason = null;
    return reason;
  }

  /** A valid access token (refreshed first when about to expire), or null when signed out. */
  async accessToken(): Promise<string | null> {
    const session = this.session;
    if (!session) return null;
    if (session.expiresAt - Date.now() > REFRESH_MARGIN_MS) return session.accessToken;
    return this.refresh();
  }

  /** Refresh now (one refresh at a time); ends the session when the refresh token is refused. */
  refresh(): Promise<string | null> {
    if (this.refreshing) return this.refreshing;
    const session = this.session;
    if (!session || !this.refresher) return Promise.resolve(null);
    this.refreshing = this.refresher(session.refreshToken)
      .then((tokens) => {
        this.session = fromTokens(tokens, session.refreshToken);
        this.save();
        return this.session.accessToken;
      })
      .catch((error: unknown) => {
        const status = (error as { status?: number }).status;
        // Offline or a 5xx: keep the session and try again later; a refused token ends it.
        if (status === 400 || status === 401 || status === 403) this.signOut("expired");
        return null;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private save(): void {
    if (this.session) localStorage.setItem(KEY, JSON.stringify(this.session));
    else localStorage.removeItem(KEY);
    this.schedule();
    this.emit();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.session || !this.refresher) return;
    const wait = Math.max(0, this.session.expiresAt - Date.now() - REFRESH_MARGIN_MS);
    this.timer = setTimeout(() => void this.refresh(), wait);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

export const session = new SessionStore();
