import { describe, expect, it } from "vitest";
import { closeAction, ReconnectingEventStream, type ProjectEvent, type SocketLike, type StreamStatus } from "./eventStream";
import { backoffDelay } from "./backoff";

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  open() {
    this.onopen?.({});
  }
  send(obj: unknown) {
    this.onmessage?.({ data: JSON.stringify(obj) });
  }
  drop(code = 1006, reason = "") {
    this.onclose?.({ code, reason });
  }
  close() {
    this.closed = true;
  }
}

const log = (id: number) => ({
  type: "log" as const,
  id,
  entry: { id, project_id: 1, agent_instance_id: null, level: "info" as const, message: `m${id}`, data: null, timestamp: "2026-01-01T00:00:00Z" },
});

function setup(afterId = 0) {
  const sockets: FakeSocket[] = [];
  const delays: number[] = [];
  const timers: (() => void)[] = [];
  const events: ProjectEvent[] = [];
  const statuses: StreamStatus[] = [];
  const details: (string | undefined)[] = [];
  let tickets = 0;
  const stream = new ReconnectingEventStream({
    afterId,
    getTicket: async () => `t${++tickets}`,
    url: (ticket, after) => `/ws/projects/1/events?ticket=${ticket}&after_id=${after}`,
    onEvent: (e) => events.push(e),
    onStatus: (s, d) => {
      statuses.push(s);
      details.push(d);
    },
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
    setTimer: (fn, ms) => {
      delays.push(ms);
      timers.push(fn);
      return timers.length;
    },
    clearTimer: () => {},
  });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  const fire = async () => {
    const fn = timers.shift();
    fn?.();
    await flush();
  };
  return { stream, sockets, delays, events, statuses, details, flush, fire };
}

describe("ReconnectingEventStream", () => {
  it("resumes from the last log id with a fresh ticket and drops repeats", async () => {
    const t = setup();
    t.stream.start();
    await t.flush();
    expect(t.sockets[0]!.url).toBe("/ws/projects/1/events?ticket=t1&after_id=0");
    t.sockets[0]!.open();
    t.sockets[0]!.send(log(1));
    t.sockets[0]!.send(log(2));
    t.sockets[0]!.drop();
    expect(t.statuses.at(-1)).toBe("reconnecting");
    await t.fire();
    expect(t.sockets[1]!.url).toBe("/ws/projects/1/events?ticket=t2&after_id=2");
    t.sockets[1]!.open();
    t.sockets[1]!.send(log(2)); // server overlap: must not show twice
    t.sockets[1]!.send(log(3));
    expect(t.events.map((e) => e.id)).toEqual([1, 2, 3]);
    expect(t.stream.lastId).toBe(3);
    expect(t.statuses.at(-1)).toBe("open");
  });

  it("always applies state events, even with the id of the last log", async () => {
    const t = setup(5);
    t.stream.start();
    await t.flush();
    t.sockets[0]!.open();
    t.sockets[0]!.send({ type: "state", id: 5, project: { id: 1, status: "running" } });
    t.sockets[0]!.send({ type: "state", id: 5, project: { id: 1, status: "needs_help" } });
    expect(t.events.map((e) => e.type)).toEqual(["state", "state"]);
  });

  it("backs off exponentially while the server stays down, and resets once connected", async () => {
    const t = setup();
    t.stream.start();
    await t.flush();
    for (let i = 0; i < 5; i++) {
      t.sockets.at(-1)!.drop();
      await t.fire();
    }
    expect(t.delays).toEqual([100, 200, 400, 800, 1000]);
    t.sockets.at(-1)!.open();
    t.sockets.at(-1)!.drop();
    expect(t.delays.at(-1)).toBe(100);
  });

  it("gives up when the project is gone, and stops cleanly", async () => {
    const t = setup();
    t.stream.start();
    await t.flush();
    t.sockets[0]!.drop(4404);
    expect(t.statuses.at(-1)).toBe("closed");
    expect(t.delays).toEqual([]);

    const u = setup();
    u.stream.start();
    await u.flush();
    u.stream.stop();
    expect(u.sockets[0]!.closed).toBe(true);
    expect(u.delays).toEqual([]);
  });

  it("says why when the server refuses a socket for too many open ones, and keeps trying", async () => {
    const t = setup();
    t.stream.start();
    await t.flush();
    t.sockets[0]!.drop(4429, "at most 32 live connections per user");
    expect(t.statuses.at(-1)).toBe("reconnecting");
    expect(t.details.at(-1)).toMatch(/Too many live views are open/);
    await t.fire();
    t.sockets[1]!.open();
    expect(t.statuses.at(-1)).toBe("open");
    expect(t.details.at(-1)).toBeUndefined();
  });

  it("stops with the server's reason when it may not follow the project", async () => {
    const t = setup();
    t.stream.start();
    await t.flush();
    t.sockets[0]!.drop(4404, "project deleted");
    expect([t.statuses.at(-1), t.details.at(-1)]).toEqual(["closed", "project deleted"]);
    expect(t.delays).toEqual([]);
  });

  it.each([
    [4000, "retry"],
    [4008, "retry"],
    [4401, "retry"],
    [4403, "stop"],
    [4404, "stop"],
    [4429, "retry"],
    [4500, "retry"],
    [1006, "retry"],
    [1011, "retry"],
  ] as const)("close code %i means %s", (code, then) => {
    expect(closeAction(code).then).toBe(then);
  });

  it("jitter stays within its share of the delay", () => {
    const opts = { initialMs: 1000, maxMs: 10_000, factor: 2, jitter: 0.2 };
    expect(backoffDelay(0, opts, () => 0)).toBe(800);
    expect(backoffDelay(0, opts, () => 1)).toBe(1000);
    expect(backoffDelay(10, opts, () => 1)).toBe(10_000);
  });
});
