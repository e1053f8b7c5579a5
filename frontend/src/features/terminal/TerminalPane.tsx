import { useEffect, useRef, useState } from "react";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { WebLinksAddon } from "@xterm/addon-web-links";
import "@xterm/xterm/css/xterm.css";
import { wsTicket, wsUrl } from "../../api/client";
import type { Id } from "../../api/types";
import { backoffDelay } from "../../lib/backoff";
import { Button, cx } from "../../components/ui";
import { KEYS } from "./keys";

type Conn = "connecting" | "open" | "reconnecting" | "ended" | "gone";

const encoder = new TextEncoder();

const FONT = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace';
const SCROLLBAR = 14; // xterm's default scroll bar width, which fitting leaves free

/**
 * The terminal's grid for `el`, from the font's metrics (no layout of the page needed), so
 * xterm starts at about the size fitting gives it and renders once rather than twice.
 */
function estimateGrid(el: HTMLElement, fontSize: number): { cols: number; rows: number } | Record<string, never> {
  const ctx = document.createElement("canvas").getContext("2d");
  if (!ctx) return {};
  ctx.font = `${fontSize}px ${FONT}`;
  const m = ctx.measureText("W".repeat(32));
  const width = m.width / 32;
  const height = Math.ceil(m.fontBoundingBoxAscent + m.fontBoundingBoxDescent);
  // As the fit addon measures: the container's computed size, less the scroll bar.
  const style = getComputedStyle(el);
  const w = parseInt(style.width) - SCROLLBAR;
  const h = parseInt(style.height);
  if (!(width > 0 && height > 0 && w > 0 && h > 0)) return {};
  return { cols: Math.max(2, Math.floor(w / width)), rows: Math.max(1, Math.floor(h / height)) };
}

/** Resolves after the next frame has been painted. */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// A palette whose common pairs stay readable (AA) on the dark background, and for tmux's
// status line (black on green).
const DARK = {
  background: "#0b1120",
  foreground: "#e2e8f0",
  cursor: "#60a5fa",
  selectionBackground: "#334155",
  black: "#1e293b",
  red: "#f87171",
  green: "#4ade80",
  yellow: "#facc15",
  blue: "#60a5fa",
  magenta: "#e879f9",
  cyan: "#22d3ee",
  white: "#e2e8f0",
  brightBlack: "#94a3b8",
  brightRed: "#fca5a5",
  brightGreen: "#86efac",
  brightYellow: "#fde047",
  brightBlue: "#93c5fd",
  brightMagenta: "#f0abfc",
  brightCyan: "#67e8f9",
  brightWhite: "#f8fafc",
};

interface StartOptions {
  el: HTMLDivElement;
  projectId: Id;
  readOnly: boolean;
  /** The first connection's ticket, already on its way. */
  ticket: Promise<string>;
  setConn: (c: Conn) => void;
  sendRef: { current: (data: string) => void };
  isStopped: () => boolean;
}

/** Open xterm in `el` and attach it to the project's session; returns the teardown. */
async function startTerminal({ el, projectId, readOnly, ticket: firstTicket, setConn, sendRef, isStopped }: StartOptions): Promise<(() => void) | null> {
  const fontSize = window.innerWidth < 640 ? 12 : 14;
  const term = new Terminal({
    ...estimateGrid(el, fontSize),
    cursorBlink: true,
    fontFamily: FONT,
    fontSize,
    scrollback: 5000,
    theme: DARK,
    disableStdin: readOnly,
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.loadAddon(new WebLinksAddon());
  term.open(el);
  await nextTask();
  if (isStopped()) {
    term.dispose();
    return null;
  }
  fit.fit(); // usually nothing left to do: the estimate was right

  let ws: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let reattached = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const sendResize = () => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "resize", cols: term.cols, rows: term.rows }));
  };
  const send = (data: string) => {
    if (!readOnly && ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
  };
  sendRef.current = send;

  const connect = async () => {
    setConn(attempt === 0 ? "connecting" : "reconnecting");
    let ticket: string;
    try {
      ticket = await (attempt === 0 && !reattached ? firstTicket : wsTicket());
    } catch {
      schedule();
      return;
    }
    if (stopped) return;
    const params: Record<string, string | number> = { ticket, cols: term.cols, rows: term.rows };
    if (readOnly) params.mode = "ro";
    const sock = new WebSocket(wsUrl(`/ws/projects/${projectId}/terminal`, params));
    sock.binaryType = "arraybuffer";
    ws = sock;
    let exited = false;
    sock.onopen = () => {
      setConn("open");
      if (attempt > 0 || reattached) term.reset(); // tmux repaints everything on attach
      attempt = 0;
      reattached = true;
      sendResize();
    };
    sock.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (typeof ev.data === "string") {
        try {
          const msg = JSON.parse(ev.data) as { type?: string };
          if (msg.type === "exit") exited = true;
        } catch {
          // not a control frame
        }
        return;
      }
      term.write(new Uint8Array(ev.data));
    };
    sock.onclose = (ev) => {
      if (ws !== sock || stopped) return;
      ws = null;
      if (ev.code === 4404) {
        setConn("gone");
        return;
      }
      if (ev.code === 4403) {
        // Refused by the server's policy (the local runtime is for admins only): retrying won't help.
        setConn("ended");
        term.write(`\r\n\x1b[33m[${ev.reason || "terminal refused by the server"}]\x1b[0m\r\n`);
        return;
      }
      if (exited || ev.code === 4000) {
        setConn("ended");
        term.write("\r\n\x1b[2m[session ended — press Reconnect to attach again]\x1b[0m\r\n");
        return;
      }
      schedule();
    };
  };
  const schedule = () => {
    if (stopped) return;
    setConn("reconnecting");
    timer = setTimeout(() => void connect(), backoffDelay(attempt++));
  };

  const dataSub = term.onData(send);
  const resizeSub = term.onResize(sendResize);
  const ro = new ResizeObserver(() => {
    try {
      fit.fit();
    } catch {
      // hidden pane: nothing to fit
    }
  });
  ro.observe(el);
  void connect();
  await nextTask();
  if (!isStopped() && !readOnly && window.matchMedia("(pointer: fine)").matches) term.focus();

  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    ro.disconnect();
    dataSub.dispose();
    resizeSub.dispose();
    ws?.close(1000);
    term.dispose();
  };
}

/** Live tmux session of a project, re-attached with backoff after drops. */
export default function TerminalPane({ projectId }: { projectId: Id }) {
  const host = useRef<HTMLDivElement>(null);
  const sendRef = useRef<(data: string) => void>(() => {});
  const [readOnly, setReadOnly] = useState(false);
  const [conn, setConn] = useState<Conn>("connecting");
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let stopped = false;
    let teardown: (() => void) | null = null;
    // xterm's start-up (measuring the font, building rows, fitting) is the heaviest work on the
    // page: start it after the page has painted, in separate tasks, so input is never held up long.
    // The first ticket is asked for while xterm starts, not after.
    const ticket = wsTicket();
    ticket.catch(() => {}); // a failure is handled (and retried) by the first connection attempt
    void (async () => {
      await afterPaint();
      if (stopped) return;
      teardown = await startTerminal({ el, projectId, readOnly, ticket, setConn, sendRef, isStopped: () => stopped });
      if (stopped) teardown?.();
    })();
    return () => {
      stopped = true;
      teardown?.();
    };
  }, [projectId, readOnly, generation]);

  const label: Record<Conn, string> = {
    connecting: "connecting…",
    open: readOnly ? "attached, read-only" : "attached",
    reconnecting: "reconnecting…",
    ended: "session ended",
    gone: "project not found",
  };

  return (
    <div className="flex h-full min-h-0 flex-col bg-[#0b1120]">
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-700 bg-slate-900 px-2 py-1 text-sm text-slate-200">
        <span role="status" className="flex items-center gap-1.5">
          <span aria-hidden="true" className={cx("inline-block size-2 rounded-full", conn === "open" ? "bg-green-400" : conn === "reconnecting" || conn === "connecting" ? "bg-amber-400" : "bg-slate-500")} />
          {label[conn]}
        </span>
        <label className="ml-auto flex items-center gap-1.5">
          <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} />
          Read-only
        </label>
        {(conn === "ended" || conn === "gone") && (
          <Button variant="ghost" className="min-h-8 py-1 text-slate-100" onClick={() => setGeneration((g) => g + 1)}>
            Reconnect
          </Button>
        )}
      </div>
      <div ref={host} className="min-h-0 flex-1 overflow-hidden p-1" aria-label="Terminal" role="region" />
      {!readOnly && (
        <div role="toolbar" aria-label="Terminal keys" className="flex gap-1 border-t border-slate-700 bg-slate-900 p-1 lg:hidden">
          {KEYS.map((k) => (
            <button
              key={k.name}
              type="button"
              aria-label={k.name}
              // Keep focus (and the phone keyboard) in the terminal.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => sendRef.current(k.seq)}
              className="min-h-10 min-w-0 flex-1 rounded bg-slate-800 px-1 font-mono text-slate-100 active:bg-slate-600"
            >
              {k.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
