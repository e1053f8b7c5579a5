import type { LogPublic, ProjectPublic } from "../api/types";
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff";

export type ProjectEvent =
  | { type: "log"; id: number; entry: LogPublic }
  | { type: "state"; id: number; project: ProjectPublic };

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

/** Close codes after which reconnecting cannot help. */
const FATAL_CODES = new Set([4404, 4403]);

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
      if (FATAL_CODES.has(ev.code)) {
        this.stopped = true;
        this.o.onStatus("closed", ev.reason || "Project not found");
        return;
      }
      this.retry();
    };
  }

  private retry(): void {
    if (this.stopped) return;
    this.o.onStatus("reconnecting");
    const delay = backoffDelay(this.attempt, this.o.backoff, this.o.random);
    this.attempt += 1;
    this.timer = this.o.setTimer(() => {
      this.timer = null;
      void this.connect();
    }, delay);
  }
}
