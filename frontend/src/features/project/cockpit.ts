/**
 * What the project page's cockpit offers in each state: the one primary action, the rest for
 * the "More" menu with a line each, the banner's words. Pure, so it is tested by a table.
 */
import type { PlanStep, ProjectStatus } from "../../api/types";
import type { FeedRow } from "../activity/feed";
import { hasWorkLeft } from "../../lib/planEdit";
import { isActive } from "../../lib/status";

export type ActionId =
  | "start"
  | "pause"
  | "answer"
  | "resume"
  | "raise_budget"
  | "retry"
  | "add_steps"
  | "download"
  | "open_settings"
  | "open_logs"
  | "stop"
  | "restart"
  | "rename"
  | "budget";

export interface Action {
  id: ActionId;
  label: string;
  /** one line in the More menu */
  explain: string;
  /** asks before it acts */
  confirm?: boolean;
}

interface ReasonLike {
  kind: string;
  message: string;
  fix?: string | null;
  resume_at?: string | null;
}

export interface CockpitInput {
  status: ProjectStatus;
  implementation_plan: Pick<PlanStep, "status">[];
  reason?: ReasonLike | null;
  budget_tokens?: number | null;
}

const A: Record<ActionId, Action> = {
  start: { id: "start", label: "Start", explain: "Run the plan's pending steps" },
  pause: { id: "pause", label: "Pause", explain: "Stop the agent; Resume continues at the current step" },
  answer: { id: "answer", label: "Answer", explain: "The agent waits for your answer" },
  resume: { id: "resume", label: "Resume", explain: "Continue at the current step" },
  raise_budget: { id: "raise_budget", label: "Raise budget", explain: "Allow more tokens, then resume" },
  retry: { id: "retry", label: "Retry step", explain: "Run the failed step again from its start" },
  add_steps: { id: "add_steps", label: "Add steps", explain: "Give the agent more work" },
  download: { id: "download", label: "Download", explain: "All the project's files as a .zip" },
  open_settings: { id: "open_settings", label: "Open Settings", explain: "Add an Anthropic key or a Claude token" },
  open_logs: { id: "open_logs", label: "Open the log", explain: "Read what went wrong" },
  stop: { id: "stop", label: "Stop", explain: "End this run now; the step in progress starts over", confirm: true },
  restart: { id: "restart", label: "Restart", explain: "Stop and start again at the current step", confirm: true },
  rename: { id: "rename", label: "Rename", explain: "Change the project's name" },
  budget: { id: "budget", label: "Change budget", explain: "The agent pauses after this many tokens" },
};

export const action = (id: ActionId): Action => A[id];

const hasWork = (p: CockpitInput): boolean => hasWorkLeft(p.implementation_plan);

const FIX: Record<string, ActionId> = {
  resume: "resume",
  raise_budget: "raise_budget",
  retry: "retry",
  answer: "answer",
  open_settings: "open_settings",
  add_steps: "add_steps",
  open_logs: "open_logs",
  wait: "stop", // a usage limit ends by itself; stopping is the only thing to do
};

/** The one action the state calls for (null while a repository is being copied). */
export function primaryAction(p: CockpitInput): Action | null {
  switch (p.status) {
    case "created":
      return A.start;
    case "cloning":
      return null;
    case "planning":
    case "running":
      return A.pause;
    case "needs_help":
      return A.answer;
    case "completed":
      return hasWork(p) ? A.start : A.add_steps;
    case "paused":
    case "failed": {
      const fix = p.reason?.fix ? FIX[p.reason.fix] : undefined;
      if (fix === "resume" && !hasWork(p)) return A.add_steps;
      return A[fix ?? (p.status === "failed" ? "retry" : "resume")];
    }
  }
}

/** The rest, for the More menu: never the primary action again. */
export function moreActions(p: CockpitInput): Action[] {
  const primary = primaryAction(p)?.id;
  const active = isActive(p.status);
  const ids: ActionId[] = [];
  if (active) ids.push("stop", "restart");
  const waiting = p.status === "paused" && p.reason?.fix === "wait"; // its supervisor still runs
  if ((p.status === "paused" || p.status === "failed") && hasWork(p) && !waiting) {
    ids.push(p.status === "failed" ? "retry" : "resume");
  }
  if (p.status === "paused" && p.budget_tokens) ids.push("raise_budget");
  if (!active && !waiting && p.status !== "cloning") ids.push("add_steps");
  ids.push("download", "rename", "budget");
  if (p.status === "failed" || p.status === "paused") ids.push("open_logs");
  return [...new Set(ids)].filter((id) => id !== primary).map((id) => A[id]);
}

/** "3 min", "1 h 5 min", "12 s": time since `iso`. */
export function elapsed(iso: string | null | undefined, now: number): string | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return null;
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

/** The agent's latest action, in a few words: a tool call ("Bash npm test", "Write app.py") or a decision. */
export function lastAction(rows: readonly FeedRow[]): string | null {
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i]!;
    const act = row.data?.activity;
    if (act && typeof act === "object" && !Array.isArray(act)) {
      const a = act as Record<string, unknown>;
      if (a.type === "tool") {
        const tool = typeof a.tool === "string" ? a.tool : "Tool";
        const what = [a.command, a.path, a.target].find((v): v is string => typeof v === "string" && v.length > 0);
        return oneLine(what ? `${tool} ${what}` : tool);
      }
      if (a.type === "message" && typeof a.text === "string" && a.text.trim()) return oneLine(`said: ${a.text}`);
      continue;
    }
    if (row.level === "agent_decision") return oneLine(row.message);
  }
  return null;
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 80 ? `${t.slice(0, 79)}…` : t;
}

/** A budget to suggest when raising it: twice what is used, rounded up to a clean number. */
export function suggestedBudget(used: number, budget: number | null | undefined): number {
  const base = Math.max(used, budget ?? 0);
  const want = base * 2 || 100_000;
  const unit = want >= 1_000_000 ? 100_000 : want >= 10_000 ? 10_000 : 1_000;
  return Math.ceil(want / unit) * unit;
}
