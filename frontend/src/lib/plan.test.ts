import { describe, expect, it } from "vitest";
import { planProgress } from "./plan";
import type { PlanStep } from "../api/types";

const step = (title: string, status: PlanStep["status"]): PlanStep => ({ title, detail: "", status });

describe("planProgress", () => {
  it("shows the running step and counts finished steps", () => {
    const p = planProgress({
      status: "running",
      current_step: 2,
      implementation_plan: [step("Scaffold", "done"), step("Models", "done"), step("Write the API tests", "running"), step("UI", "pending")],
    });
    expect(p).toMatchObject({ total: 4, finished: 2, currentNumber: 3, percent: 50, label: "3/4 · Write the API tests" });
  });

  it("counts skipped as finished and falls back to current_step", () => {
    const p = planProgress({
      status: "paused",
      current_step: 1,
      implementation_plan: [step("A", "skipped"), step("B", "pending"), step("C", "pending")],
    });
    expect(p.finished).toBe(1);
    expect(p.label).toBe("2/3 · B");
    expect(p.percent).toBe(33);
  });

  it("clamps an out-of-range current_step", () => {
    const p = planProgress({ status: "failed", current_step: 9, implementation_plan: [step("A", "done"), step("B", "failed")] });
    expect(p.currentNumber).toBe(2);
    expect(p.label).toBe("2/2 · B");
  });

  it("completed projects read as all done", () => {
    const p = planProgress({ status: "completed", current_step: 2, implementation_plan: [step("A", "done"), step("B", "done")] });
    expect(p).toMatchObject({ percent: 100, label: "2/2 · all steps done", currentTitle: null });
  });

  it("an empty plan explains itself", () => {
    expect(planProgress({ status: "planning", current_step: 0, implementation_plan: [] }).label).toBe("Writing the plan…");
    expect(planProgress({ status: "created", current_step: 0, implementation_plan: [] }).label).toBe("The agent will plan");
  });
});
