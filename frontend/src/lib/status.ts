import type { ProjectStatus } from "../api/types";

export interface StatusMeta {
  word: string;
  icon: string;
  /** Tailwind classes for text + background of the badge (AA in both themes). */
  badge: string;
  /** Colour for the bar / card edge, in both themes (a dark border colour on the card would hide it). */
  accent: string;
  pulse: boolean;
  meaning: string;
}

export const STATUS: Record<ProjectStatus, StatusMeta> = {
  running: {
    word: "running",
    icon: "●",
    badge: "bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-200",
    accent: "border-l-blue-500 dark:border-l-blue-500",
    pulse: true,
    meaning: "working, nothing to do",
  },
  planning: {
    word: "planning",
    icon: "◌",
    badge: "bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-200",
    accent: "border-l-blue-500 dark:border-l-blue-500",
    pulse: false,
    meaning: "writing the plan",
  },
  cloning: {
    word: "cloning",
    icon: "⇣",
    badge: "bg-blue-100 text-blue-800 dark:bg-blue-950 dark:text-blue-200",
    accent: "border-l-blue-500 dark:border-l-blue-500",
    pulse: false,
    meaning: "copying its repository",
  },
  needs_help: {
    word: "needs help",
    icon: "⚠",
    badge: "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200",
    accent: "border-l-amber-500 dark:border-l-amber-500",
    pulse: false,
    meaning: "waiting for you",
  },
  paused: {
    word: "paused",
    icon: "❙❙",
    badge: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
    accent: "border-l-slate-400 dark:border-l-slate-400",
    pulse: false,
    meaning: "stopped on purpose",
  },
  completed: {
    word: "completed",
    icon: "✓",
    badge: "bg-green-100 text-green-800 dark:bg-green-950 dark:text-green-200",
    accent: "border-l-green-600 dark:border-l-green-600",
    pulse: false,
    meaning: "done",
  },
  failed: {
    word: "failed",
    icon: "✕",
    badge: "bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200",
    accent: "border-l-red-600 dark:border-l-red-600",
    pulse: false,
    meaning: "stopped by an error; the log says why",
  },
  created: {
    word: "created",
    icon: "○",
    badge: "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
    accent: "border-l-slate-400 dark:border-l-slate-400",
    pulse: false,
    meaning: "not started",
  },
};

const ORDER: Record<ProjectStatus, number> = {
  needs_help: 0,
  running: 1,
  planning: 1,
  cloning: 1,
  failed: 2,
  paused: 3,
  created: 4,
  completed: 5,
};

/** Needs-help first, then running, then the rest; most recent activity first within a group. */
export function sortProjectsForDashboard<T extends { status: ProjectStatus; last_activity_at?: string | null; updated_at: string }>(
  projects: T[],
): T[] {
  const t = (p: T) => Date.parse(p.last_activity_at ?? p.updated_at) || 0;
  return [...projects].sort((a, b) => ORDER[a.status] - ORDER[b.status] || t(b) - t(a));
}

export function isActive(status: ProjectStatus): boolean {
  return status === "running" || status === "planning" || status === "needs_help";
}
