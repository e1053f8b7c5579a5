/**
 * The Activity feed, built from the project's log rows: rows carrying `data.activity` (what
 * Claude Code said and did, a question, an answer) and the supervisor's decisions. A tool's
 * result joins its card; an answer joins the question it answers. Pure, so it is tested by a table.
 */

export interface FeedRow {
  id: number;
  level: string;
  message: string;
  timestamp: string;
  data?: Record<string, unknown> | null;
}

export type DiffLine = ["+" | "-" | " ", string];

export interface ToolResult {
  ok: boolean;
  exitCode: number | null;
  output: string | null;
  outputTruncated: boolean;
  rejected: boolean;
}

export type FeedItem =
  | { kind: "message"; key: string; at: string; step: number | null; text: string }
  | { kind: "error"; key: string; at: string; step: number | null; text: string }
  | { kind: "decision"; key: string; at: string; step: number | null; text: string }
  | {
      kind: "tool";
      key: string;
      at: string;
      step: number | null;
      tool: string;
      path: string | null;
      diff: DiffLine[] | null;
      diffTruncated: boolean;
      command: string | null;
      target: string | null;
      result: ToolResult | null;
      /** the question this call waits on (a permission you are asked), while it has no result */
      waitingOn: { answer: string | null } | null;
    }
  | {
      kind: "question";
      key: string;
      at: string;
      step: number | null;
      by: "claude" | "supervisor";
      text: string;
      choices: string[];
      answer: string | null;
      answeredBy: "you" | "claude" | null;
    }
  | { kind: "answer"; key: string; at: string; step: number | null; text: string };

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function diffOf(v: unknown): DiffLine[] | null {
  if (!Array.isArray(v)) return null;
  const out: DiffLine[] = [];
  for (const d of v) {
    if (Array.isArray(d) && (d[0] === "+" || d[0] === "-" || d[0] === " ") && typeof d[1] === "string") out.push([d[0], d[1]]);
  }
  return out;
}

/** The feed of all rows, in order; `step` on each item is the plan step (1-based) it belongs to. */
export function buildFeed(rows: readonly FeedRow[]): FeedItem[] {
  const items: FeedItem[] = [];
  const tools = new Map<string, Extract<FeedItem, { kind: "tool" | "question" }>>();
  let step: number | null = null;
  let openQuestion: Extract<FeedItem, { kind: "question" }> | null = null;
  let lastTool: Extract<FeedItem, { kind: "tool" }> | null = null;
  for (const row of rows) {
    const data = row.data ?? {};
    if (typeof data.step === "number") step = data.step;
    const key = String(row.id);
    const act = data.activity;
    if (act === null || typeof act !== "object" || Array.isArray(act)) {
      if (row.level === "agent_decision") items.push({ kind: "decision", key, at: row.timestamp, step, text: row.message });
      // the server's own errors (a supervisor that crashed, a clone that failed) say why work stopped
      else if (row.level === "error") items.push({ kind: "error", key, at: row.timestamp, step, text: row.message });
      continue;
    }
    const a = act as Record<string, unknown>;
    const type = str(a.type);
    const id = str(a.id);
    if (type === "message" || type === "error") {
      items.push({ kind: type, key, at: row.timestamp, step, text: str(a.text) ?? "" });
    } else if (type === "tool") {
      const card: FeedItem = {
        kind: "tool",
        key,
        at: row.timestamp,
        step,
        tool: str(a.tool) ?? "Tool",
        path: str(a.path),
        diff: diffOf(a.diff),
        diffTruncated: a.diff_truncated === true,
        command: str(a.command),
        target: str(a.target),
        result: null,
        waitingOn: null,
      };
      items.push(card);
      lastTool = card;
      if (id) tools.set(id, card);
    } else if (type === "question") {
      const by = a.by === "claude" ? "claude" : "supervisor";
      const choices = Array.isArray(a.choices) ? a.choices.filter((c): c is string => typeof c === "string") : [];
      const q: FeedItem = { kind: "question", key, at: row.timestamp, step, by, text: str(a.text) ?? "", choices, answer: null, answeredBy: null };
      items.push(q);
      if (by === "claude" && id) tools.set(id, q);
      if (by === "supervisor") {
        openQuestion = q;
        if (lastTool && lastTool.result === null) lastTool.waitingOn = q;
      }
    } else if (type === "result" && id) {
      const target = tools.get(id);
      if (target?.kind === "tool") {
        target.result = {
          ok: a.ok === true,
          exitCode: typeof a.exit_code === "number" ? a.exit_code : null,
          output: str(a.output),
          outputTruncated: a.output_truncated === true,
          rejected: a.rejected === true,
        };
      } else if (target?.kind === "question" && target.answer === null) {
        target.answer = str(a.answer) ?? (a.ok === true ? str(a.output) : "declined");
        target.answeredBy = "claude";
      }
    } else if (type === "answer") {
      const text = str(a.text) ?? "";
      if (openQuestion && openQuestion.answer === null) {
        openQuestion.answer = text;
        openQuestion.answeredBy = "you";
      } else {
        items.push({ kind: "answer", key, at: row.timestamp, step, text });
      }
      openQuestion = null;
    }
  }
  return items;
}

/** The items of one step (all of them for `null`); errors that belong to no step show in every step. */
export function itemsOfStep(items: readonly FeedItem[], step: number | null): FeedItem[] {
  return step === null ? [...items] : items.filter((i) => i.step === step || (i.step === null && i.kind === "error"));
}
