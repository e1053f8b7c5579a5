import type { TokenPair, UserPublic } from "../api/types";

export type SessionState =
  | { status: "loading" }
  | { status: "authenticated"; user: UserPublic; accessToken: string; expiresAt: number }
  | { status: "anonymous"; message: string | null }
  | { status: "offline" };

export class RefreshError extends Error {
  /** True when the server could not be reached at all (not a rejection). */
  readonly network: boolean;
  constructor(message: string, network: boolean) {
    super(message);
    this.name = "RefreshError";
    this.network = network;
  }
}

export interface SessionDeps {
  /** POST /api/auth/refresh; resolves to a new pair or throws RefreshError. */
  refresh: () => Promise<TokenPair>;
  /** POST /api/auth/logout (best effort). */
  logout: () => Promise<void>;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export const SESSION_ENDED = "Your session has ended. Please sign in again.";

/** How long before expiry to refresh: 20 % of the lifetime, between 5 s and 60 s. */
export function refreshLeadMs(expiresInSec: number): number {
  const life = expiresInSec * 1000;
  return Math.min(60_000, Math.max(5_000, life * 0.2), life / 2);
}

/**
 * Holds the access token in memory only and keeps it fresh. The refresh token is an
 * httpOnly cookie the browser sends to /api/auth/refresh; scripts never see it.
 */
export class AuthSession {
  private state: SessionState = { status: "loading" };
  private listeners = new Set<(s: SessionState) => void>();
  private timer: unknown = null;
  private inflight: Promise<string | null> | null = null;
  private readonly deps: Required<SessionDeps>;

  constructor(deps: SessionDeps) {
    this.deps = {
      now: () => Date.now(),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...deps,
    };
  }

  get current(): SessionState {
    return this.state;
  }

  get accessToken(): string | null {
    return this.state.status === "authenticated" ? this.state.accessToken : null;
  }

  subscribe(fn: (s: SessionState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private set(s: SessionState): void {
    this.state = s;
    for (const fn of this.listeners) fn(s);
  }

  /** Accepts a token pair from login or refresh and schedules the next refresh. */
  accept(pair: TokenPair): void {
    const now = this.deps.now();
    this.set({ status: "authenticated", user: pair.user, accessToken: pair.access_token, expiresAt: now + pair.expires_in * 1000 });
    this.schedule(pair.expires_in);
  }

  updateUser(user: UserPublic): void {
    if (this.state.status === "authenticated") this.set({ ...this.state, user });
  }

  private schedule(expiresInSec: number): void {
    this.cancelTimer();
    const delay = Math.max(0, expiresInSec * 1000 - refreshLeadMs(expiresInSec));
    this.timer = this.deps.setTimer(() => {
      this.timer = null;
      void this.refresh();
    }, delay);
  }

  private cancelTimer(): void {
    if (this.timer !== null) {
      this.deps.clearTimer(this.timer);
      this.timer = null;
    }
  }

  /** On app load: the cookie may still hold a session. Never shows an error message. */
  async restore(): Promise<void> {
    try {
      this.accept(await this.deps.refresh());
    } catch (e) {
      if (e instanceof RefreshError && e.network) this.set({ status: "offline" });
      else this.set({ status: "anonymous", message: null });
    }
  }

  /**
   * Gets a new access token; concurrent callers share one request. A rejected refresh logs
   * the user out with a message; a network failure keeps the session and retries soon.
   */
  refresh(): Promise<string | null> {
    if (this.inflight) return this.inflight;
    const wasAuthenticated = this.state.status === "authenticated";
    this.inflight = this.deps
      .refresh()
      .then((pair) => {
        this.accept(pair);
        return pair.access_token;
      })
      .catch((e: unknown) => {
        if (e instanceof RefreshError && e.network && this.state.status === "authenticated") {
          // Keep the user in; try again shortly (the token may still be valid for a while).
          this.cancelTimer();
          this.timer = this.deps.setTimer(() => {
            this.timer = null;
            void this.refresh();
          }, 5_000);
          return null;
        }
        this.end(wasAuthenticated ? SESSION_ENDED : null);
        return null;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }

  /** A request was rejected with 401 even after a refresh. */
  expired(): void {
    if (this.state.status === "authenticated") this.end(SESSION_ENDED);
  }

  async logout(): Promise<void> {
    this.cancelTimer();
    try {
      await this.deps.logout();
    } catch {
      // The cookie is cleared server-side when reachable; locally we forget the token anyway.
    }
    this.end("You have signed out.");
  }

  private end(message: string | null): void {
    this.cancelTimer();
    this.set({ status: "anonymous", message });
  }

  dispose(): void {
    this.cancelTimer();
    this.listeners.clear();
  }
}
