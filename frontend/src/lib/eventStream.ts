import type { CloseCode, EventFrame } from "../api/types";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";

export type ProjectEvent = EventFrame;

export type StreamStatus = "connecting" | "open" | "reconnecting" | "closed";

/** The subset of WebSocket the stream uses, so tests can drive it. */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface EventStreamOptions {
  /** Fetches a fresh one-time ticket (each connection needs its own). */
  getTicket: () => Promise<string>;
  url: (ticket: string, afterId: number) => string;
  onEvent: (ev: ProjectEvent) => void;
  onStatus?: (status: StreamStatus, detail?: string) => void;
  createSocket?: (url: string) => SocketLike;
  afterId?: number;
  backoff?: BackoffOptions;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (h: unknown) => void;
}

/** What the stream does when the server closes the socket with a code: stop (reconnecting
 * cannot help) or reconnect, saying why meanwhile. Typed on the server's CloseCode, so a code
 * the server gains does not compile until it has a meaning here. */
export type CloseAction = { then: "stop"; message: string } | { then: "retry"; message?: string };

export const EVENTS_CLOSE: Record<CloseCode, CloseAction> = {
  4000: { then: "retry" }, // a terminal's session ended (not sent on this socket)
  4008: { then: "retry" }, // too far behind: resume from the last id
  4401: { then: "retry" }, // a fresh ticket tells whether the login still lives
  4403: { then: "stop", message: "You may not follow this project" },
  4404: { then: "stop", message: "Project not found" },
  4429: { then: "retry", message: "Too many live views are open; close another tab or device (retrying)" },
  4500: { then: "retry" },
};

/** The action for any close: a code outside the protocol (a dropped connection) retries. */
export function closeAction(code: number, reason?: string): CloseAction {
  const action = (EVENTS_CLOSE as Partial<Record<number, CloseAction>>)[code] ?? { then: "retry" };
  return action.then === "stop" ? { then: "stop", message: reason || action.message } : action;
}

export function parseEvent(data: unknown): ProjectEvent | null {
  if (typeof data !== "string") return null;
  try {
    const msg = JSON.parse(data) as Record<string, unknown>;
    if (typeof msg.id !== "number") return null;
    if (msg.type === "log" && msg.entry && typeof msg.entry === "object") return msg as unknown as ProjectEvent;
    if (msg.type === "state" && msg.project && typeof msg.project === "object") return msg as unknown as ProjectEvent;
  } catch {
    // ignore malformed frames
  }
  return null;
}

/**
 * Follows a project's events over a WebSocket that may drop at any time. Reconnects with
 * exponential backoff and a new ticket, resuming from the last log id seen; log events
 * at or below that id are dropped, so nothing shows twice.
 */
export class ReconnectingEventStream {
  private socket: SocketLike | null = null;
  private attempt = 0;
  private timer: unknown = null;
  private stopped = false;
  private lastLogId: number;
  private readonly o: Required<Omit<EventStreamOptions, "afterId">>;

  constructor(opts: EventStreamOptions) {
    this.lastLogId = opts.afterId ?? 0;
    this.o = {
      onStatus: () => {},
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      backoff: DEFAULT_BACKOFF,
      random: Math.random,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      ...opts,
    };
  }

  get lastId(): number {
    return this.lastLogId;
  }

  start(): void {
    this.stopped = false;
    this.o.onStatus("connecting");
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.o.clearTimer(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.close(1000, "bye");
    }
    this.o.onStatus("closed");
  }

  private async connect(): Promise<void> {
    let ticket: string;
    try {
      ticket = await this.o.getTicket();
    } catch {
      this.retry();
      return;
    }
    if (this.stopped) return;
    const sock = this.o.createSocket(this.o.url(ticket, this.lastLogId));
    this.socket = sock;
    sock.onopen = () => {
      this.attempt = 0;
      this.o.onStatus("open");
    };
    sock.onmessage = (ev) => {
      const msg = parseEvent(ev.data);
      if (!msg) return;
      if (msg.type === "log") {
        if (msg.id <= this.lastLogId) return;
        this.lastLogId = msg.id;
      }
      this.o.onEvent(msg);
    };
    sock.onerror = () => {};
    sock.onclose = (ev) => {
      if (this.socket !== sock) return;
      this.socket = null;
      if (this.stopped) return;
      const action = closeAction(ev.code, ev.reason);
      if (action.then === "stop") {
        this.stopped = true;
        this.o.onStatus("closed", action.message);
        return;
      }
      this.retry(action.message);
    };
  }

  private retry(detail?: string): void {
    if (this.stopped) return;
    this.o.onStatus("reconnecting", detail);
    const delay = backoffDelay(this.attempt, this.o.backoff, this.o.random);
    this.attempt += 1;
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}
