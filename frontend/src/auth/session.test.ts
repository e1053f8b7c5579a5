import { describe, expect, it, vi } from "vitest";
import { AuthSession, RefreshError, SESSION_ENDED, refreshLeadMs } from "./session";
import type { TokenPair } from "../api/types";

function pair(token: string, expiresIn = 900): TokenPair {
  return {
    access_token: token,
    token_type: "bearer",
    refresh_token: "cookie-only",
    expires_in: expiresIn,
    user: { id: 1, username: "ada", is_admin: false, disabled: false, created_at: "2026-01-01T00:00:00Z" },
  };
}

function fakeClock() {
  let now = 0;
  const timers: { at: number; fn: () => void; id: number }[] = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimer: (h: unknown) => {
      const i = timers.findIndex((t) => t.id === h);
      if (i >= 0) timers.splice(i, 1);
    },
    pending: () => timers.map((t) => t.at - now),
    async advance(ms: number) {
      const target = now + ms;
      for (;;) {
        timers.sort((a, b) => a.at - b.at);
        const t = timers[0];
        if (!t || t.at > target) break;
        timers.shift();
        now = t.at;
        t.fn();
        await Promise.resolve();
        await new Promise((r) => setTimeout(r, 0));
      }
      now = target;
    },
  };
}

describe("AuthSession", () => {
  it("schedules a refresh before the access token expires", async () => {
    const clock = fakeClock();
    const refresh = vi.fn().mockResolvedValueOnce(pair("t2"));
    const s = new AuthSession({ refresh, logout: async () => {}, ...clock });
    s.accept(pair("t1", 900));
    expect(s.accessToken).toBe("t1");
    const [delay] = clock.pending();
    expect(delay).toBe(900_000 - 60_000);
    await clock.advance(840_000 - 1);
    expect(refresh).not.toHaveBeenCalled();
    await clock.advance(1);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(s.accessToken).toBe("t2");
    // and the next refresh is scheduled from the new pair
    expect(clock.pending()).toEqual([840_000]);
  });

  it("refreshes short-lived tokens well before expiry", () => {
    expect(refreshLeadMs(30)).toBe(6_000);
    expect(refreshLeadMs(8)).toBe(4_000);
    expect(refreshLeadMs(3600)).toBe(60_000);
  });

  it("logs out with a message when the refresh is rejected", async () => {
    const clock = fakeClock();
    const refresh = vi.fn().mockRejectedValue(new RefreshError("expired", false));
    const s = new AuthSession({ refresh, logout: async () => {}, ...clock });
    const seen: string[] = [];
    s.subscribe((st) => seen.push(st.status));
    s.accept(pair("t1", 60));
    await clock.advance(60_000);
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(s.current).toEqual({ status: "anonymous", message: SESSION_ENDED });
    expect(s.accessToken).toBeNull();
    expect(seen).toEqual(["authenticated", "anonymous"]);
    expect(clock.pending()).toEqual([]);
  });

  it("keeps the session and retries when the server can't be reached", async () => {
    const clock = fakeClock();
    const refresh = vi
      .fn()
      .mockRejectedValueOnce(new RefreshError("offline", true))
      .mockResolvedValueOnce(pair("t2"));
    const s = new AuthSession({ refresh, logout: async () => {}, ...clock });
    s.accept(pair("t1", 100));
    await clock.advance(80_000);
    expect(s.current.status).toBe("authenticated");
    expect(s.accessToken).toBe("t1");
    await clock.advance(5_000);
    expect(s.accessToken).toBe("t2");
  });

  it("shares one request between concurrent refreshes", async () => {
    let resolve!: (p: TokenPair) => void;
    const refresh = vi.fn(() => new Promise<TokenPair>((r) => (resolve = r)));
    const s = new AuthSession({ refresh, logout: async () => {}, ...fakeClock() });
    const a = s.refresh();
    const b = s.refresh();
    resolve(pair("t9"));
    expect(await a).toBe("t9");
    expect(await b).toBe("t9");
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it("restores a session on load, or stays anonymous without a message", async () => {
    const ok = new AuthSession({ refresh: async () => pair("r1"), logout: async () => {}, ...fakeClock() });
    await ok.restore();
    expect(ok.current.status).toBe("authenticated");

    const no = new AuthSession({
      refresh: async () => {
        throw new RefreshError("no cookie", false);
      },
      logout: async () => {},
      ...fakeClock(),
    });
    await no.restore();
    expect(no.current).toEqual({ status: "anonymous", message: null });
  });

  it("a 401 after refresh ends the session with a message", () => {
    const s = new AuthSession({ refresh: async () => pair("x"), logout: async () => {}, ...fakeClock() });
    s.accept(pair("t1"));
    s.expired();
    expect(s.current).toEqual({ status: "anonymous", message: SESSION_ENDED });
  });
});
