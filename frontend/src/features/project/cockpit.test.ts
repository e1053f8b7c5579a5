import { describe, expect, it } from "vitest";
import { elapsed, lastAction, moreActions, primaryAction, suggestedBudget, type CockpitInput } from "./cockpit";
import type { FeedRow } from "../activity/feed";

type Plan = CockpitInput["implementation_plan"];
const todo: Plan = [{ status: "done" }, { status: "pending" }];
const allDone: Plan = [{ status: "done" }, { status: "skipped" }];
const P = (status: CockpitInput["status"], plan: Plan = todo, fix: string | null = null, budget: number | null = null): CockpitInput => ({
  status,
  implementation_plan: plan,
  reason: fix ? { kind: "x", message: "m", fix } : null,
  budget_tokens: budget,
});

describe("primaryAction", () => {
  it.each([
    ["created", P("created"), "Start"],
    ["cloning", P("cloning"), null],
    ["planning", P("planning", []), "Pause"],
    ["running", P("running"), "Pause"],
    ["needs help", P("needs_help", todo, "answer"), "Answer"],
    ["paused by you", P("paused", todo, "resume"), "Resume"],
    ["paused by the budget", P("paused", todo, "raise_budget", 100), "Raise budget"],
    ["paused by a usage limit", P("paused", todo, "wait"), "Stop"],
    ["paused without a key", P("paused", todo, "open_settings"), "Open Settings"],
    ["paused with nothing left", P("paused", allDone, "resume"), "Add steps"],
    ["paused, no reason known", P("paused"), "Resume"],
    ["failed", P("failed", todo, "retry"), "Retry step"],
    ["failed, no reason known", P("failed"), "Retry step"],
    ["completed", P("completed", allDone), "Add steps"],
    ["completed with new steps", P("completed", todo), "Start"],
  ])("%s", (_name, p, label) => {
    expect(primaryAction(p)?.label ?? null).toBe(label);
  });
});

describe("moreActions", () => {
  it("never repeats the primary action, and explains each", () => {
    for (const p of [P("created"), P("running"), P("needs_help", todo, "answer"), P("paused", todo, "raise_budget", 9), P("failed", todo, "retry"), P("completed", allDone)]) {
      const primary = primaryAction(p)?.id;
      const more = moreActions(p);
      expect(more.map((a) => a.id)).not.toContain(primary);
      for (const a of more) expect(a.explain.length).toBeGreaterThan(5);
    }
  });
  it("asks before stopping or restarting a running project", () => {
    const more = moreActions(P("running"));
    expect(more.filter((a) => a.confirm).map((a) => a.id)).toEqual(["stop", "restart"]);
  });
  it("offers resume under a raised budget, and nothing to stop when nothing runs", () => {
    const ids = moreActions(P("paused", todo, "raise_budget", 100)).map((a) => a.id);
    expect(ids).toContain("resume");
    expect(ids).not.toContain("stop");
    expect(moreActions(P("completed", allDone)).map((a) => a.id)).toEqual(["download", "rename", "budget"]);
    // while a usage limit runs out the supervisor still runs: nothing may start a second one
    const waiting = moreActions(P("paused", todo, "wait")).map((a) => a.id);
    expect(waiting).not.toContain("resume");
    expect(waiting).not.toContain("add_steps");
  });
});

describe("elapsed", () => {
  const now = Date.parse("2026-12-07T13:00:00Z");
  it.each([
    ["2026-12-07T12:59:48Z", "12 s"],
    ["2026-12-07T12:57:00Z", "3 min"],
    ["2026-12-07T11:55:00Z", "1 h 5 min"],
    ["2026-12-07T11:00:00Z", "2 h"],
    ["2026-12-07T13:00:05Z", "0 s"],
    [null, null],
    ["nonsense", null],
  ])("%s → %s", (iso, out) => {
    expect(elapsed(iso, now)).toBe(out);
  });
});

let next = 1;
const row = (level: string, message: string, data: Record<string, unknown> | null = null): FeedRow => ({
  id: next++,
  level,
  message,
  timestamp: "2026-12-07T13:00:00Z",
  data,
});

describe("lastAction", () => {
  it("names the latest tool call, decision or message", () => {
    expect(lastAction([])).toBeNull();
    expect(lastAction([row("info", "Supervisor started")])).toBeNull();
    const rows = [
      row("action", "Write a.txt", { activity: { type: "tool", id: "t1", tool: "Write", path: "a.txt" } }),
      row("action", "done", { activity: { type: "result", id: "t1", ok: true } }),
    ];
    expect(lastAction(rows)).toBe("Write a.txt");
    rows.push(row("action", "Bash", { activity: { type: "tool", id: "t2", tool: "Bash", command: "npm   test\n--watch=false" } }));
    expect(lastAction(rows)).toBe("Bash npm test --watch=false");
    rows.push(row("agent_decision", "Step 1 ended with an error; retrying in 5s"));
    expect(lastAction(rows)).toBe("Step 1 ended with an error; retrying in 5s");
    rows.push(row("info", "Claude Code: ok", { activity: { type: "message", text: "x".repeat(200) } }));
    expect(lastAction(rows)).toHaveLength(80);
  });
});

describe("suggestedBudget", () => {
  it.each([
    [120, 100, 1_000],
    [3_000, 2_000, 6_000],
    [52_000, 50_000, 110_000],
    [900_000, 1_000_000, 2_000_000],
    [0, null, 100_000],
  ])("used %d of %s → %d", (used, budget, out) => {
    expect(suggestedBudget(used, budget)).toBe(out);
  });
});
