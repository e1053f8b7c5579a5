import { describe, expect, it } from "vitest";
import { buildFeed, itemsOfStep, type FeedRow } from "./feed";

let next = 1;
function row(level: string, message: string, data: Record<string, unknown> | null = null): FeedRow {
  return { id: next++, level, message, timestamp: "2026-12-02T18:00:00Z", data };
}

describe("buildFeed", () => {
  it("shows messages, tool cards with their results, and decisions, in order", () => {
    const feed = buildFeed([
      row("info", "Step 1 started: Notes", { step: 1, state: { current_step: 0 } }),
      row("info", "Claude Code: I will write notes.txt", { step: 1, activity: { type: "message", text: "I will write notes.txt" } }),
      row("action", "Write notes.txt", { step: 1, activity: { type: "tool", id: "t1", tool: "Write", path: "notes.txt", diff: [["+", "a"], ["x", "bad"]] } }),
      row("agent_decision", "Approved: Do you want to create notes.txt?", { reason: "edit inside the workspace" }),
      row("action", "Write done", { step: 1, activity: { type: "result", id: "t1", ok: true, output: "File created" } }),
      row("action", "Bash npm test", { step: 1, activity: { type: "tool", id: "t2", tool: "Bash", command: "npm test" } }),
      row("action", "Bash exit 1", { step: 1, activity: { type: "result", id: "t2", ok: false, exit_code: 1, output: "1 failed" } }),
      row("info", "Supervisor started", { state: { status: "running" } }),
    ]);
    expect(feed.map((i) => i.kind)).toEqual(["message", "tool", "decision", "tool"]);
    const [, write, decision, bash] = feed;
    expect(write).toMatchObject({ tool: "Write", path: "notes.txt", diff: [["+", "a"]], result: { ok: true, exitCode: null } });
    expect(decision).toMatchObject({ text: "Approved: Do you want to create notes.txt?", step: 1 });
    expect(bash).toMatchObject({ command: "npm test", result: { ok: false, exitCode: 1, output: "1 failed" } });
  });

  it("joins your answer to the question the supervisor asked you", () => {
    const feed = buildFeed([
      row("warning", "Needs help: Claude Code asks: Do you want to run rm?", {
        step: 2,
        activity: { type: "question", by: "supervisor", kind: "permission", text: "Claude Code asks: Do you want to run rm?", choices: ["Yes", "No"] },
      }),
      row("info", "You answered: no (denied)", { kind: "answer", activity: { type: "answer", by: "you", text: "no (denied)" } }),
      row("info", "You answered: go on", { kind: "answer", activity: { type: "answer", by: "you", text: "go on" } }),
    ]);
    expect(feed).toHaveLength(2);
    expect(feed[0]).toMatchObject({ kind: "question", by: "supervisor", choices: ["Yes", "No"], answer: "no (denied)", answeredBy: "you", step: 2 });
    expect(feed[1]).toMatchObject({ kind: "answer", text: "go on", step: 2 });
  });

  it("marks a call that waits on your answer, until you answer", () => {
    const rows = [
      row("action", "Bash rm -rf build", { step: 1, activity: { type: "tool", id: "b1", tool: "Bash", command: "rm -rf build" } }),
      row("warning", "Needs help", { step: 1, activity: { type: "question", by: "supervisor", text: "Do you want to proceed?", choices: [] } }),
    ];
    const waiting = buildFeed(rows)[0];
    expect(waiting?.kind === "tool" && waiting.waitingOn?.answer).toBe(null);
    const answered = buildFeed([...rows, row("info", "You answered: no (denied)", { activity: { type: "answer", by: "you", text: "no (denied)" } })])[0];
    expect(answered?.kind === "tool" && answered.waitingOn?.answer).toBe("no (denied)");
  });

  it("answers Claude Code's own question from the tool result", () => {
    const feed = buildFeed([
      row("action", "AskUserQuestion", { step: 1, activity: { type: "question", by: "claude", id: "q1", text: "Which colour?", choices: ["Red", "Blue"] } }),
      row("action", "AskUserQuestion answered: Blue", { step: 1, activity: { type: "result", id: "q1", ok: true, answer: "Blue" } }),
    ]);
    expect(feed).toEqual([expect.objectContaining({ kind: "question", answer: "Blue", answeredBy: "claude" })]);
  });

  it("ignores rows of other kinds and malformed activity", () => {
    const feed = buildFeed([
      row("info", "Claude Code started"),
      row("action", "x", { activity: "nope" }),
      row("action", "y", { activity: { type: "result", id: "unknown", ok: true } }),
      row("action", "z", { activity: { type: "mystery" } }),
    ]);
    expect(feed).toEqual([]);
  });

  it("keeps the items of one step, or all", () => {
    const feed = buildFeed([
      row("info", "a", { step: 1, activity: { type: "message", text: "one" } }),
      row("info", "b", { step: 2, activity: { type: "message", text: "two" } }),
      row("agent_decision", "Step 2 counts as done, not verified", {}),
    ]);
    expect(itemsOfStep(feed, 2).map((i) => i.kind)).toEqual(["message", "decision"]);
    expect(itemsOfStep(feed, null)).toHaveLength(3);
  });

  it("shows the server's errors, in every step when they belong to none", () => {
    const feed = buildFeed([
      row("error", "The supervisor crashed 3 times in 10 minutes; stopped restarting it.", { state: { status: "failed" } }),
      row("error", "Clone failed", null),
      row("info", "a", { step: 1, activity: { type: "message", text: "one" } }),
      row("error", "Step 1 failed: no answer", { step: 1 }),
    ]);
    expect(feed.map((i) => [i.kind, i.step])).toEqual([["error", null], ["error", null], ["message", 1], ["error", 1]]);
    expect(itemsOfStep(feed, 1)).toHaveLength(4);
    expect(itemsOfStep(feed, 2).map((i) => i.kind)).toEqual(["error", "error"]);
  });
});
