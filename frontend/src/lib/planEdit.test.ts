import { describe, expect, it } from "vitest";
import { hasWorkLeft, moveOrder, pendingNumbers } from "./planEdit";
import { planProgress } from "./plan";
import { DECISION_MODEL_TOOLS, DELETE_AGENT_BODY, DELETE_PROJECT_BODY, TOOLS_HINT } from "./copy";
import type { PlanStep } from "../api/types";

const st = (status: PlanStep["status"], title = "s"): PlanStep => ({ title, detail: "", status });

describe("plan editing", () => {
  const plan = [st("done"), st("pending"), st("failed"), st("pending"), st("pending")];

  it("numbers only pending steps", () => {
    expect(pendingNumbers(plan)).toEqual([2, 4, 5]);
  });

  it("moves a pending step past its pending neighbour, jumping locked steps", () => {
    expect(moveOrder(plan, 4, -1)).toEqual([4, 2, 5]);
    expect(moveOrder(plan, 2, 1)).toEqual([4, 2, 5]);
    expect(moveOrder(plan, 5, -1)).toEqual([2, 5, 4]);
  });

  it("refuses moves past the ends and of locked steps", () => {
    expect(moveOrder(plan, 2, -1)).toBeNull();
    expect(moveOrder(plan, 5, 1)).toBeNull();
    expect(moveOrder(plan, 1, 1)).toBeNull();
    expect(moveOrder(plan, 3, -1)).toBeNull();
  });

  it("finds work left only in a pending, failed or interrupted step, or in no plan yet", () => {
    expect(hasWorkLeft([st("done"), st("done")])).toBe(false);
    expect(hasWorkLeft([st("done"), st("skipped")])).toBe(false);
    expect(hasWorkLeft([st("done"), st("pending")])).toBe(true);
    expect(hasWorkLeft([st("failed")])).toBe(true);
    expect(hasWorkLeft([st("running")])).toBe(true);
    expect(hasWorkLeft([])).toBe(true);
  });

  it("does not call a completed project with a new step 'all steps done'", () => {
    const p = planProgress({ status: "completed", current_step: 2, implementation_plan: [st("done", "A"), st("done", "B"), st("pending", "C")] });
    expect(p.label).toBe("3/3 · C");
    expect(p.finished).toBe(2);
  });
});

describe("what the UI promises", () => {
  it("delete dialogs say the workspace files are deleted, as the server does", () => {
    for (const body of [DELETE_PROJECT_BODY, DELETE_AGENT_BODY]) {
      expect(body).not.toMatch(/stay/i);
      expect(body).toMatch(/workspace files are deleted/);
    }
  });

  it("the Tools hint names what the tools list enables, not Claude Code tool names", () => {
    for (const name of DECISION_MODEL_TOOLS) expect(TOOLS_HINT).toContain(name);
    expect(TOOLS_HINT).not.toMatch(/\b(Bash|Edit|WebFetch)\b/);
    expect(TOOLS_HINT).toMatch(/decision model/);
  });
});
