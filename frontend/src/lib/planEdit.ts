import type { PlanStep } from "../api/types";

/** Whether a step already happened (done, failed, skipped, running): it is shown locked, never edited. */
export const isLocked = (s: Pick<PlanStep, "status">): boolean => s.status !== "pending";

/** 1-based numbers of the pending steps, in plan order. */
export function pendingNumbers(plan: Pick<PlanStep, "status">[]): number[] {
  return plan.flatMap((s, i) => (isLocked(s) ? [] : [i + 1]));
}

/**
 * The `order` for POST /steps/reorder that moves pending step `n` (1-based) past its pending neighbour
 * (`dir` -1 up, +1 down), or null when it cannot move that way. Locked steps never move.
 */
export function moveOrder(plan: Pick<PlanStep, "status">[], n: number, dir: -1 | 1): number[] | null {
  const order = pendingNumbers(plan);
  const at = order.indexOf(n);
  const to = at + dir;
  if (at < 0 || to < 0 || to >= order.length) return null;
  [order[at], order[to]] = [order[to]!, order[at]!];
  return order;
}

/** Work is left: a pending (or failed, or interrupted) step, or no plan yet (the agent writes one). */
export function hasWorkLeft(plan: readonly Pick<PlanStep, "status">[]): boolean {
  if (plan.length === 0) return true;
  return plan.some((s) => s.status === "pending" || s.status === "failed" || s.status === "running");
}
