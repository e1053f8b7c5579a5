import createClient from "openapi-fetch";
import type { paths } from "./schema";
import type { TokenPair } from "./types";
import { ApiError, errorMessage } from "./errors";
import { AuthSession, RefreshError } from "../auth/session";

async function rawRefresh(): Promise<TokenPair> {
  let res: Response;
  try {
    res = await fetch("/api/auth/refresh", { method: "POST", credentials: "same-origin" });
  } catch {
    throw new RefreshError("Can't reach the server", true);
  }
  if (!res.ok) {
    // A gateway error while the server restarts is not a rejection of the session.
    throw new RefreshError(`refresh failed (${res.status})`, res.status >= 502);
  }
  return (await res.json()) as TokenPair;
}

export const session = new AuthSession({
  refresh: rawRefresh,
  logout: async () => {
    await fetch("/api/auth/logout", { method: "POST", credentials: "same-origin" });
  },
});

const NO_RETRY = ["/api/auth/login", "/api/auth/refresh", "/api/auth/logout"];

/** fetch with the in-memory bearer token; on 401 refreshes once and retries. */
async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const token = session.accessToken;
  if (token) input.headers.set("Authorization", `Bearer ${token}`);
  const res = await fetch(input);
  const path = new URL(input.url, window.location.origin).pathname;
  if (res.status !== 401 || NO_RETRY.includes(path)) return res;
  const fresh = await session.refresh();
  if (!fresh) return res;
  retry.headers.set("Authorization", `Bearer ${fresh}`);
  const again = await fetch(retry);
  if (again.status === 401) session.expired();
  return again;
}

export const api = createClient<paths>({ baseUrl: window.location.origin, fetch: authFetch });

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Returns data or throws an ApiError with the server's message. */
export async function unwrap<T>(p: Promise<Result<T>>): Promise<T> {
  let r: Result<T>;
  try {
    r = await p;
  } catch {
    throw new ApiError(0, errorMessage(null, 0));
  }
  if (!r.response.ok) {
    const detail = r.error && typeof r.error === "object" && "detail" in r.error ? (r.error as { detail: unknown }).detail : undefined;
    throw new ApiError(r.response.status, errorMessage(r.error, r.response.status), detail);
  }
  return r.data as T;
}

export async function login(username: string, password: string): Promise<void> {
  const pair = await unwrap(api.POST("/api/auth/login", { body: { username, password } }));
  session.accept(pair);
}

export async function wsTicket(): Promise<string> {
  const t = await unwrap(api.POST("/api/auth/ws-ticket"));
  return t.ticket;
}

export function wsUrl(path: string, params: Record<string, string | number>): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return `${proto}//${window.location.host}${path}?${qs.toString()}`;
}
