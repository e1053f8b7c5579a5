import { useEffect, useMemo, useRef, useState } from "react";
import type { LogPublic, ProjectPublic } from "../../api/types";
import { formatExact } from "../../lib/format";
import { cx } from "../../components/ui";
import { buildFeed, itemsOfStep, type DiffLine, type FeedItem, type ToolResult } from "./feed";

const CARD = "min-w-0 rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-700 dark:bg-slate-900";
const CODE = "mt-2 max-h-64 overflow-auto rounded bg-slate-50 p-2 font-mono text-xs leading-relaxed dark:bg-slate-950";

function Time({ at }: { at: string }) {
  return (
    <time dateTime={at} title={formatExact(at)} className="shrink-0 text-xs tabular-nums text-slate-500 dark:text-slate-400">
      {new Date(at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" })}
    </time>
  );
}

function Diff({ lines, truncated }: { lines: DiffLine[]; truncated: boolean }) {
  return (
    <pre className={CODE} aria-label="Changes">
      {lines.map(([op, text], i) => (
        <span
          key={i}
          className={cx(
            "block whitespace-pre",
            op === "+" && "bg-green-50 text-green-800 dark:bg-green-950/60 dark:text-green-300",
            op === "-" && "bg-red-50 text-red-800 dark:bg-red-950/60 dark:text-red-300",
            op === " " && "text-slate-600 dark:text-slate-400",
          )}
        >
          <span className="select-none">{op} </span>
          {text}
        </span>
      ))}
      {truncated && <span className="block text-slate-500 dark:text-slate-400">… more changes not shown</span>}
    </pre>
  );
}

function ResultBadge({ result, waiting }: { result: ToolResult | null; waiting: boolean }) {
  const [label, cls] = !result
    ? waiting
      ? ["waiting for you", "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200"]
      : ["running…", "bg-blue-100 text-blue-900 dark:bg-blue-950 dark:text-blue-200"]
    : result.rejected
      ? ["declined", "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200"]
      : result.exitCode !== null
        ? [`exit ${result.exitCode}`, result.exitCode === 0 ? "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200" : "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200"]
        : result.ok
          ? ["done", "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200"]
          : ["failed", "bg-red-100 text-red-900 dark:bg-red-950 dark:text-red-200"];
  return <span className={cx("shrink-0 rounded-full px-2 py-0.5 text-xs font-medium", cls)}>{label}</span>;
}

function ToolCard({ item }: { item: Extract<FeedItem, { kind: "tool" }> }) {
  const what = item.path ?? item.target;
  const out = item.result?.output;
  return (
    <article className={CARD} aria-label={`${item.tool} ${what ?? item.command ?? ""}`.trim()}>
      <header className="flex min-w-0 items-center gap-2">
        <span className="shrink-0 rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs font-semibold text-slate-800 dark:bg-slate-800 dark:text-slate-200">
          {item.tool}
        </span>
        {what && <span className="min-w-0 flex-1 truncate font-mono text-sm" title={what}>{what}</span>}
        {!what && <span className="flex-1" />}
        <ResultBadge result={item.result} waiting={item.waitingOn !== null && item.waitingOn.answer === null} />
        <Time at={item.at} />
      </header>
      {item.command !== null && (
        <pre className={CODE}>
          <span aria-hidden="true" className="select-none text-slate-500">$ </span>
          {item.command}
        </pre>
      )}
      {item.diff && item.diff.length > 0 && <Diff lines={item.diff} truncated={item.diffTruncated} />}
      {out && (item.command !== null || !item.result?.ok) && (
        <pre className={cx(CODE, "text-slate-700 dark:text-slate-300")} aria-label="Output">
          {out}
          {item.result?.outputTruncated && "\n…"}
        </pre>
      )}
    </article>
  );
}

function QuestionCard({ item }: { item: Extract<FeedItem, { kind: "question" }> }) {
  return (
    <article className={cx(CARD, "border-amber-300 dark:border-amber-700")} aria-label="Question">
      <header className="flex items-start gap-2">
        <p className="min-w-0 flex-1 whitespace-pre-wrap break-words font-medium">
          <span className="text-amber-800 dark:text-amber-300">{item.by === "claude" ? "Claude Code asks: " : "Asked you: "}</span>
          {item.text.replace(/^Claude Code asks:\s*/, "")}
        </p>
        <Time at={item.at} />
      </header>
      {item.choices.length > 0 && (
        <ol className="mt-2 list-decimal space-y-0.5 pl-6 text-sm text-slate-700 dark:text-slate-300">
          {item.choices.map((c, i) => (
            <li key={i} className="break-words">{c}</li>
          ))}
        </ol>
      )}
      <p className={cx("mt-2 text-sm font-medium", item.answer === null ? "text-slate-600 dark:text-slate-400" : "text-slate-900 dark:text-slate-100")}>
        {item.answer === null ? "Waiting for an answer…" : item.answeredBy === "you" ? `You answered: ${item.answer}` : `Answer: ${item.answer}`}
      </p>
    </article>
  );
}

function Item({ item }: { item: FeedItem }) {
  switch (item.kind) {
    case "message":
      return (
        <div className="flex min-w-0 gap-2">
          <p className="min-w-0 flex-1 whitespace-pre-wrap break-words">{item.text}</p>
          <Time at={item.at} />
        </div>
      );
    case "error":
      return (
        <p role="note" className="whitespace-pre-wrap break-words rounded-md bg-red-50 p-2 text-sm text-red-800 dark:bg-red-950/60 dark:text-red-300">
          {item.text}
        </p>
      );
    case "decision":
      return (
        <p className="flex min-w-0 gap-2 border-l-2 border-violet-400 pl-2 text-sm text-violet-900 dark:border-violet-500 dark:text-violet-200">
          <span className="min-w-0 flex-1 break-words">
            <span className="font-medium">Supervisor: </span>
            {item.text}
          </span>
          <Time at={item.at} />
        </p>
      );
    case "answer":
      return <p className="text-sm font-medium">You answered: {item.text}</p>;
    case "tool":
      return <ToolCard item={item} />;
    case "question":
      return <QuestionCard item={item} />;
  }
}

/** What Claude Code says and does in the current step (or all steps), live from the project's log. */
export default function ActivityPane({ logs, project }: { logs: LogPublic[]; project: ProjectPublic }) {
  const feed = useMemo(() => buildFeed(logs), [logs]);
  const total = project.implementation_plan.length;
  const current = total > 0 ? Math.min(project.current_step, total - 1) + 1 : null;
  const [all, setAll] = useState(false);
  const shown = useMemo(() => itemsOfStep(feed, all ? null : current), [feed, all, current]);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  const title = current !== null ? project.implementation_plan[current - 1]?.title : undefined;
  return (
    <div className="flex h-[75dvh] min-h-80 min-w-0 flex-col lg:h-[calc(100dvh-22rem)]">
      <div className="flex min-w-0 items-center gap-2 border-b border-slate-200 p-2 dark:border-slate-800">
        <p className="min-w-0 flex-1 truncate text-sm font-medium">
          {all || current === null ? "Every step so far" : `Step ${current}${title ? `: ${title}` : ""}`}
        </p>
        {current !== null && (
          <button
            type="button"
            aria-pressed={all}
            onClick={() => setAll(!all)}
            className="min-h-9 shrink-0 rounded-md border border-slate-300 px-2 text-sm dark:border-slate-600"
          >
            All steps
          </button>
        )}
      </div>
      <div
        ref={box}
        role="log"
        aria-label="Activity"
        aria-live="polite"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="min-h-0 min-w-0 flex-1 space-y-3 overflow-y-auto overflow-x-hidden p-3"
      >
        {shown.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-400">
            {project.status === "created" ? "Nothing yet: press Start and Claude Code's work shows here." : "No activity in this step yet."}
          </p>
        ) : (
          shown.map((item) => <Item key={item.key} item={item} />)
        )}
      </div>
    </div>
  );
}
