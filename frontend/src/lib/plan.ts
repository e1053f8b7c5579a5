import type { PlanStep, ProjectStatus } from "../api/types";

export interface PlanProgress {
  total: number;
  /** Steps finished (done or skipped). */
  finished: number;
  /** 1-based number of the step being worked on, clamped to the plan; 0 when there is no plan. */
  currentNumber: number;
  currentTitle: string | null;
  /** 0..100, for the progress bar. */
  percent: number;
  /** Short text for cards: "3/7 · Write the API tests". */
  label: string;
}

interface ProgressInput {
  implementation_plan: PlanStep[];
  current_step: number;
  status: ProjectStatus;
}

export function planProgress(p: ProgressInput): PlanProgress {
  const steps = p.implementation_plan;
  const total = steps.length;
  const finished = steps.filter((s) => s.status === "done" || s.status === "skipped").length;
  if (total === 0) {
    const label = p.status === "planning" ? "Writing the plan…" : p.status === "created" ? "The agent will plan" : "No plan yet";
    return { total, finished, currentNumber: 0, currentTitle: null, percent: 0, label };
  }
  const percent = Math.round((finished / total) * 100);
  if (finished === total) {
    return { total, finished, currentNumber: total, currentTitle: null, percent, label: `${finished}/${total} · all steps done` };
  }
  // Prefer the step the server marks as running; fall back to current_step.
  const runningIdx = steps.findIndex((s) => s.status === "running");
  const idx = runningIdx >= 0 ? runningIdx : Math.min(Math.max(0, p.current_step), total - 1);
  const step = steps[idx];
  const title = step ? step.title : null;
  return {
    total,
    finished,
    currentNumber: idx + 1,
    currentTitle: title,
    percent,
    label: title ? `${idx + 1}/${total} · ${title}` : `${idx + 1}/${total}`,
  };
}

export const STEP_ICON: Record<PlanStep["status"], string> = {
  done: "✓",
  running: "▶",
  pending: "○",
  failed: "✕",
  skipped: "↷",
};
