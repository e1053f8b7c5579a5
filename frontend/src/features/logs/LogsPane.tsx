import { useEffect, useMemo, useRef, useState } from "react";
import type { LogLevel, LogPublic } from "../../api/types";
import { formatClock, formatExact } from "../../lib/format";
import { cx } from "../../components/ui";
import { plural } from "../../lib/plural";

const LEVELS: { value: LogLevel | "all"; label: string }[] = [
  { value: "all", label: "All" },
  { value: "info", label: "Info" },
  { value: "action", label: "Actions" },
  { value: "agent_decision", label: "Decisions" },
  { value: "warning", label: "Warnings" },
  { value: "error", label: "Errors" },
];

const LEVEL_CLS: Record<LogLevel, string> = {
  info: "text-slate-700 dark:text-slate-300",
  action: "text-blue-800 dark:text-blue-300",
  agent_decision: "text-violet-800 dark:text-violet-300",
  warning: "text-amber-800 dark:text-amber-300",
  error: "text-red-700 dark:text-red-400",
};

export function LogsPane({ logs }: { logs: LogPublic[] }) {
  const [level, setLevel] = useState<LogLevel | "all">("all");
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const shown = useMemo(() => (level === "all" ? logs : logs.filter((l) => l.level === level)), [logs, level]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  return (
    <div className="flex h-full min-h-0 flex-col">
      <div className="flex items-center gap-2 border-b border-slate-200 p-2 dark:border-slate-800">
        <label htmlFor="log-level" className="text-sm font-medium">
          Level
        </label>
        <select
          id="log-level"
          value={level}
          onChange={(e) => setLevel(e.target.value as LogLevel | "all")}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-900"
        >
          {LEVELS.map((l) => (
            <option key={l.value} value={l.value}>
              {l.label}
            </option>
          ))}
        </select>
        <span className="ml-auto text-xs text-slate-600 dark:text-slate-400">{plural(shown.length, "entry", "entries")}</span>
      </div>
      <div
        ref={box}
        role="log"
        aria-label="Project log"
        aria-live="polite"
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
        className="min-h-0 flex-1 overflow-auto p-2 font-mono text-xs leading-relaxed sm:text-sm"
      >
        {shown.length === 0 ? (
          <p className="p-4 font-sans text-slate-600 dark:text-slate-400">No log entries yet.</p>
        ) : (
          shown.map((l) => (
            <div key={l.id} className={cx("flex gap-2 whitespace-pre-wrap break-words", LEVEL_CLS[l.level])}>
              <time dateTime={l.timestamp} title={formatExact(l.timestamp)} className="shrink-0 text-slate-500 dark:text-slate-400">
                {formatClock(l.timestamp)}
              </time>
              <span className="shrink-0 uppercase">{l.level === "agent_decision" ? "decide" : l.level}</span>
              <span className="min-w-0">{l.message}</span>
            </div>
          ))
        )}
      </div>
    </div>
  );
}
