/**
 * The API client: JSON over fetch to the same origin's /v1, with the session's bearer token.
 *
 * Every failure becomes an `ApiError` carrying the contract's `{error: {code, message}}`; a network failure is
 * `network_error` (status 0). A 401 refreshes the token once and retries; if that fails too, the session ends
 * and the app returns to sign-in with a note.
 *
 *   const post = await api.post<Post>("/posts", { content: "hello" });
 *   const page = await api.get<Page<Post>>("/feed", { limit: 20, cursor });
 */
import { session, type Tokens } from "../auth/session";

export const API_ROOT = "/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Sent as Idempotency-Key: a retried create returns the first answer instead of a second copy. */
  idempotencyKey?: string;
  /** Requests that must not carry a token (sign-in, refresh). */
  anonymous?: boolean;
  signal?: AbortSignal;
  /** "text" for CSV downloads. */
  as?: "json" | "text";
}

export function url(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.set(key, String(value));
  }
  const search = params.toString();
  return `${API_ROOT}${path}${search ? `?${search}` : ""}`;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = response.statusText || "The request failed.";
  let details: unknown;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    details = body.error?.details;
  } catch {
    // Not JSON (a proxy's page): keep the status.
  }
  return new ApiError(response.status, code, message, details);
}

async function send(method: string, path: string, options: RequestOptions, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: options.as === "text" ? "text/csv" : "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (!options.anonymous) {
    const token = await session.accessToken();
    if (token) headers["Authorization"] = `Bearer ${token}`;
  }
  let response: Response;
  try {
    response = await fetch(url(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "network_error", "Can't reach the server. Check your connection and try again.");
  }
  if (response.status === 401 && !options.anonymous && session.current()) {
    if (!retried && (await session.refresh())) return send(method, path, options, true);
    session.signOut("expired");
  }
  return response;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(method, path, options);
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  if (options.as === "text") return (await response.text()) as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body?: unknown, options: RequestOptions = {}) =>
    request<T>("POST", path, { ...options, body: body ?? {} }),
  put: <T>(path: string, body?: unknown) => request<T>("PUT", path, { body }),
  patch: <T>(path: string, body: unknown) => request<T>("PATCH", path, { body }),
  del: <T = void>(path: string) => request<T>("DELETE", path),
  text: (path: string, query?: Query) => request<string>("GET", path, { query, as: "text" }),
};

/** A fresh Idempotency-Key for one user action (kept across that action's retries). */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

session.useRefresher((refreshToken) =>
  request<Tokens>("POST", "/auth/refresh", { body: { refresh_token: refreshToken }, anonymous: true }),
);
