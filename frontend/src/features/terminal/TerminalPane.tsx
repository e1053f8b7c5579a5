import { useEffect, useRef, useState } from "react";
import { Terminal } from "@xterm/xterm";
import { FitAddon } from "@xterm/addon-fit";
import { WebLinksAddon } from "@xterm/addon-web-links";
import "@xterm/xterm/css/xterm.css";
import { wsTicket, wsUrl } from "../../api/client";
import type { Id, TerminalClientFrame, TerminalServerFrame, TerminalWindow } from "../../api/types";
import { backoffDelay } from "../../lib/backoff";
import { Button, cx } from "../../components/ui";
import { KEYS } from "./keys";
import { canType, closeOutcome, isUnlocked, setUnlocked } from "./connection";

type Conn = "connecting" | "open" | "reconnecting" | "ended" | "gone" | "refused";

const encoder = new TextEncoder();
const control = (frame: TerminalClientFrame) => JSON.stringify(frame);

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
  /** The window asked for; null: Claude Code's while it runs, else the shell (the server picks). */
  window: TerminalWindow | null;
  /** Whether typing reaches the terminal now (Claude Code's window is locked until unlocked). */
  typing: { current: (shown: TerminalWindow | null) => boolean };
  onWindow: (w: TerminalWindow) => void;
  onRefused: (message: string) => void;
  /** The first connection's ticket, already on its way. */
  ticket: Promise<string>;
  setConn: (c: Conn) => void;
  sendRef: { current: (data: string) => void };
  isStopped: () => boolean;
}

/** Open xterm in `el` and attach it to the project's session; returns the teardown. */
async function startTerminal({ el, projectId, readOnly, window: asked, typing, onWindow, onRefused, ticket: firstTicket, setConn, sendRef, isStopped }: StartOptions): Promise<(() => void) | null> {
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
  let shown: TerminalWindow | null = null;

  const sendResize = () => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(control({ type: "resize", cols: term.cols, rows: term.rows }));
  };
  const send = (data: string) => {
    if (!readOnly && typing.current(shown) && ws?.readyState === WebSocket.OPEN) ws.send(encoder.encode(data));
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
    if (asked) params.window = asked;
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
          const msg = JSON.parse(ev.data) as TerminalServerFrame;
          if (msg.type === "exit") exited = true;
          if (msg.type === "window") {
            shown = msg.window;
            onWindow(msg.window);
          }
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
      const outcome = closeOutcome(ev.code, ev.reason, exited);
      if (outcome.kind === "gone") {
        setConn("gone");
        return;
      }
      if (outcome.kind === "refused") {
        // Too many terminals, a policy refusal or a login that ended: retrying won't help.
        setConn("refused");
        onRefused(outcome.message);
        term.write(`\r\n\x1b[33m[${outcome.message}]\x1b[0m\r\n`);
        return;
      }
      if (outcome.kind === "ended") {
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

function LockIcon({ open }: { open: boolean }) {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.5">
      <rect x="3" y="7" width="10" height="7" rx="1.5" />
      <path d={open ? "M5.5 7V4.5a2.5 2.5 0 0 1 4.9-.7" : "M5.5 7V4.5a2.5 2.5 0 0 1 5 0V7"} />
    </svg>
  );
}

const WINDOWS: { id: TerminalWindow; label: string }[] = [
  { id: "agent", label: "Claude Code" },
  { id: "shell", label: "Shell" },
];

/**
 * Live tmux session of a project, re-attached with backoff after drops: Claude Code's window
 * while it runs (read-only until the user unlocks typing), or the project's shell.
 */
export default function TerminalPane({ projectId, claudeRunning = false }: { projectId: Id; claudeRunning?: boolean }) {
  const host = useRef<HTMLDivElement>(null);
  const sendRef = useRef<(data: string) => void>(() => {});
  const [readOnly, setReadOnly] = useState(false);
  const [conn, setConn] = useState<Conn>("connecting");
  const [generation, setGeneration] = useState(0);
  const [asked, setAsked] = useState<TerminalWindow | null>(null);
  const [shown, setShown] = useState<TerminalWindow | null>(null);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [unlocked, setUnlockedState] = useState(() => isUnlocked(localStorage, projectId));
  const unlockedRef = useRef(unlocked);
  useEffect(() => {
    unlockedRef.current = unlocked;
  }, [unlocked]);
  const typing = useRef((w: TerminalWindow | null) => canType(w, unlockedRef.current, false));

  useEffect(() => {
    setUnlockedState(isUnlocked(localStorage, projectId));
  }, [projectId]);

  // Follow Claude Code: it started while this terminal showed the shell by default, show it;
  // it stopped (its window closes) while shown, go back to the shell.
  useEffect(() => {
    if (claudeRunning && asked === null && shown === "shell") setGeneration((g) => g + 1);
    if (!claudeRunning && shown === "agent") {
      setAsked(null);
      setGeneration((g) => g + 1);
    }
  }, [claudeRunning, asked, shown]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    let stopped = false;
    let teardown: (() => void) | null = null;
    setRefusal(null);
    // xterm's start-up (measuring the font, building rows, fitting) is the heaviest work on the
    // page: start it after the page has painted, in separate tasks, so input is never held up long.
    // The first ticket is asked for while xterm starts, not after.
    const ticket = wsTicket();
    ticket.catch(() => {}); // a failure is handled (and retried) by the first connection attempt
    void (async () => {
      await afterPaint();
      if (stopped) return;
      teardown = await startTerminal({
        el,
        projectId,
        readOnly,
        window: asked,
        typing: typing,
        onWindow: (w) => {
          if (!stopped) setShown(w);
        },
        onRefused: (m) => {
          if (!stopped) setRefusal(m);
        },
        ticket,
        setConn,
        sendRef,
        isStopped: () => stopped,
      });
      if (stopped) teardown?.();
    })();
    return () => {
      stopped = true;
      teardown?.();
    };
  }, [projectId, readOnly, asked, generation]);

  const locked = shown === "agent" && !unlocked;
  const label: Record<Conn, string> = {
    connecting: "connecting…",
    open: readOnly || locked ? "attached, read-only" : "attached",
    reconnecting: "reconnecting…",
    ended: "session ended",
    gone: "project not found",
    refused: "refused",
  };
  const toggleUnlock = () => {
    setUnlocked(localStorage, projectId, !unlocked);
    setUnlockedState(!unlocked);
  };

  return (
    <div className="flex h-full min-h-0 flex-col bg-[#0b1120]" data-window={shown ?? ""}>
      <div className="flex flex-wrap items-center gap-2 border-b border-slate-700 bg-slate-900 px-2 py-1 text-sm text-slate-200">
        <div role="group" aria-label="Window" className="flex overflow-hidden rounded-md border border-slate-600">
          {WINDOWS.map((w) => (
            <button
              key={w.id}
              type="button"
              aria-pressed={shown === w.id}
              onClick={() => {
                if (asked === w.id && shown === w.id) return;
                setAsked(w.id);
                setGeneration((g) => g + 1);
              }}
              className={cx(
                "min-h-8 px-3 py-1",
                shown === w.id ? "bg-blue-600 font-semibold text-white" : "bg-slate-800 text-slate-200 hover:bg-slate-700",
              )}
            >
              {w.label}
            </button>
          ))}
        </div>
        <span role="status" className="flex items-center gap-1.5">
          <span aria-hidden="true" className={cx("inline-block size-2 rounded-full", conn === "open" ? "bg-green-400" : conn === "reconnecting" || conn === "connecting" ? "bg-amber-400" : "bg-slate-500")} />
          {label[conn]}
        </span>
        {shown === "agent" ? (
          <button
            type="button"
            onClick={toggleUnlock}
            title={unlocked ? "Keys you type go to Claude Code; tap to lock again" : "Claude Code's view is read-only; tap to type into it"}
            className={cx(
              "ml-auto flex min-h-8 items-center gap-1.5 rounded-md border px-2 py-1",
              unlocked ? "border-amber-400 bg-amber-900/60 text-amber-100" : "border-slate-500 bg-slate-800 text-slate-100 hover:bg-slate-700",
            )}
          >
            <LockIcon open={unlocked} />
            {unlocked ? "Lock typing" : "Unlock typing"}
          </button>
        ) : (
          <label className="ml-auto flex items-center gap-1.5">
            <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} />
            Read-only
          </label>
        )}
        {(conn === "ended" || conn === "gone" || conn === "refused") && (
          <Button variant="ghost" className="min-h-8 py-1 text-slate-100" onClick={() => setGeneration((g) => g + 1)}>
            Reconnect
          </Button>
        )}
      </div>
      {refusal && (
        <p role="alert" className="border-b border-amber-700 bg-amber-950 px-2 py-1 text-sm text-amber-100">
          {refusal}
        </p>
      )}
      <div ref={host} className="min-h-0 flex-1 overflow-hidden p-1" aria-label="Terminal" role="region" />
      {!readOnly && !locked && (
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
