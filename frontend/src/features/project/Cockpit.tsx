import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { qk } from "../../api/queries";
import type { LogPublic, ProjectPublic } from "../../api/types";
import { STATUS } from "../../lib/status";
import { planProgress } from "../../lib/plan";
import { formatExact, formatTokens } from "../../lib/format";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Button, cx } from "../../components/ui";
import { downloadArchive } from "../files/transfer";
import { action, elapsed, lastAction, moreActions, primaryAction, suggestedBudget, type Action, type ActionId } from "./cockpit";

type Verb = "start" | "stop" | "restart" | "retry";
type Editing = null | "name" | "budget" | "raise";

const ICON_TONE: Record<ProjectPublic["status"], string> = {
  running: "text-blue-700 dark:text-blue-300",
  planning: "text-blue-700 dark:text-blue-300",
  cloning: "text-blue-700 dark:text-blue-300",
  needs_help: "text-amber-700 dark:text-amber-300",
  paused: "text-slate-600 dark:text-slate-400",
  failed: "text-red-700 dark:text-red-400",
  completed: "text-green-700 dark:text-green-400",
  created: "text-slate-600 dark:text-slate-400",
};

const TONE: Record<ProjectPublic["status"], string> = {
  running: "border-blue-300 bg-blue-50 dark:border-blue-800 dark:bg-blue-950/60",
  planning: "border-blue-300 bg-blue-50 dark:border-blue-800 dark:bg-blue-950/60",
  cloning: "border-blue-300 bg-blue-50 dark:border-blue-800 dark:bg-blue-950/60",
  needs_help: "border-amber-400 bg-amber-50 dark:border-amber-700 dark:bg-amber-950/60",
  paused: "border-slate-300 bg-slate-50 dark:border-slate-700 dark:bg-slate-900",
  failed: "border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950/60",
  completed: "border-green-300 bg-green-50 dark:border-green-800 dark:bg-green-950/60",
  created: "border-slate-300 bg-slate-50 dark:border-slate-700 dark:bg-slate-900",
};

function useNow(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(t);
  }, [ms]);
  return now;
}

/** The banner's two lines: what happens now, or why it stopped. */
function words(p: ProjectPublic, logs: readonly LogPublic[], now: number): [string, string | null] {
  const prog = planProgress(p);
  const step = prog.total ? `Step ${prog.currentNumber} of ${prog.total}${prog.currentTitle ? ` · ${prog.currentTitle}` : ""}` : null;
  switch (p.status) {
    case "running":
    case "planning": {
      const started = p.status === "running" ? p.implementation_plan[prog.currentNumber - 1]?.started_at : null;
      const last = lastAction(logs);
      const time = elapsed(started, now);
      const detail = [time && `${time} in this step`, last && `last: ${last}`].filter(Boolean).join(" · ");
      return [p.status === "planning" ? "Writing the plan" : (step ?? "Working"), detail || null];
    }
    case "cloning":
      return ["Copying the repository", p.git_url ?? null];
    case "needs_help":
      // the question itself is in the card right below, with its answers
      return ["Waiting for your answer", null];
    case "created":
      return ["Not started", prog.total ? `${prog.total} step${prog.total === 1 ? "" : "s"} planned` : "The agent writes a plan first"];
    case "completed":
      if (prog.total && prog.finished === prog.total) return [prog.total === 1 ? "The step is done" : `All ${prog.total} steps done`, null];
      return ["Done; new steps wait", null];
    case "paused":
    case "failed": {
      const r = p.reason;
      let detail = r?.message ?? p.status_reason ?? null;
      if (r?.resume_at) detail = `${detail ?? ""} · resumes by itself at ${formatExact(r.resume_at)}`;
      const word = p.status === "failed" ? "Failed" : "Paused";
      return [step ? `${word} · ${step}` : word, detail];
    }
  }
}

function focusIn(id: string) {
  const el = document.getElementById(id);
  if (!el) return;
  if (el instanceof HTMLDetailsElement) el.open = true;
  el.scrollIntoView({ block: "center" });
  const target = el.querySelector<HTMLElement>("textarea, input, button:not([disabled])");
  target?.focus({ preventScroll: true });
}

/** The project's status banner and its actions: the one the state calls for, the rest under "More". */
export function Cockpit({ p, logs, onOpenLogs }: { p: ProjectPublic; logs: readonly LogPublic[]; onOpenLogs: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const now = useNow(5_000);
  const [editing, setEditing] = useState<Editing>(null);
  const [menu, setMenu] = useState(false);
  const menuId = useId();
  const menuRef = useRef<HTMLDivElement>(null);
  const verb = useMutation({
    mutationFn: (v: Verb) => {
      const opts = { params: { path: { project_id: p.id } } };
      if (v === "start") return unwrap(api.POST("/api/projects/{project_id}/start", opts));
      if (v === "stop") return unwrap(api.POST("/api/projects/{project_id}/stop", opts));
      if (v === "retry") return unwrap(api.POST("/api/projects/{project_id}/retry", opts));
      return unwrap(api.POST("/api/projects/{project_id}/restart", opts));
    },
    onSuccess: (np) => {
      qc.setQueryData(qk.project(np.id), np);
      void qc.invalidateQueries({ queryKey: qk.projects, exact: true });
    },
  });
  const download = useMutation({
    mutationFn: () => downloadArchive(p.id, p.slug, "", "zip"),
  });

  useEffect(() => {
    if (!menu) return;
    const close = (e: MouseEvent | KeyboardEvent) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !menuRef.current?.contains(e.target as Node)) setMenu(false);
    };
    document.addEventListener("mousedown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("mousedown", close);
      document.removeEventListener("keydown", close);
    };
  }, [menu]);

  const verbOf: Partial<Record<ActionId, Verb>> = { start: "start", resume: "start", pause: "stop", stop: "stop", restart: "restart", retry: "retry" };
  function run(id: ActionId) {
    const v = verbOf[id];
    if (v) return verb.mutateAsync(v);
    setMenu(false);
    if (id === "answer") focusIn("needs-help");
    else if (id === "add_steps") focusIn("add-step");
    else if (id === "download") download.mutate();
    else if (id === "open_settings") void navigate("/settings");
    else if (id === "open_logs") onOpenLogs();
    else if (id === "rename") setEditing("name");
    else if (id === "budget") setEditing("budget");
    else if (id === "raise_budget") setEditing("raise");
    return undefined;
  }
  const busy = (id: ActionId) =>
    (verb.isPending && verb.variables === verbOf[id]) || (id === "download" && download.isPending);

  const primary = primaryAction(p);
  const more = moreActions(p);
  const [head, detail] = words(p, logs, now);
  const meta = STATUS[p.status];
  const startBlocked = primary?.id === "start" && p.implementation_plan.length === 0 && !p.description.trim() && !p.git_url;

  return (
    <section aria-label="Status" className={cx("rounded-lg border p-3", TONE[p.status])}>
      <div className="flex flex-wrap items-start gap-x-3 gap-y-2">
        <div className="min-w-0 flex-1 basis-56" role="status">
          <p className="break-words font-semibold">
            <span aria-hidden="true" className={cx("mr-1.5", ICON_TONE[p.status], meta.pulse && "animate-pulse")}>
              {meta.icon}
            </span>
            {head}
          </p>
          {detail && (
            <p className="mt-0.5 line-clamp-2 break-words text-sm text-slate-700 dark:text-slate-300" data-testid="status-detail">
              {detail}
            </p>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {primary && (
            <Button variant="primary" busy={busy(primary.id)} disabled={verb.isPending || startBlocked} title={primary.explain} onClick={() => void run(primary.id)}>
              {primary.label}
            </Button>
          )}
          {p.status === "completed" && primary?.id !== "download" && (
            <Button busy={busy("download")} onClick={() => void run("download")}>
              {action("download").label}
            </Button>
          )}
          <div ref={menuRef} className="relative">
            <Button variant="ghost" aria-haspopup="true" aria-expanded={menu} aria-controls={menuId} onClick={() => setMenu(!menu)}>
              More <span aria-hidden="true">▾</span>
            </Button>
            {menu && (
              <div id={menuId} role="group" aria-label="More actions" className="absolute right-0 z-30 mt-1 w-72 max-w-[calc(100vw-2rem)] rounded-lg border border-slate-200 bg-white p-1 shadow-lg dark:border-slate-700 dark:bg-slate-900">
                {more.filter((a) => a.id !== "download" || p.status !== "completed").map((a) => (
                  <MenuItem key={a.id} a={a} p={p} busy={busy(a.id)} onRun={() => run(a.id)} />
                ))}
              </div>
            )}
          </div>
        </div>
      </div>
      {editing === "name" && <NameEdit p={p} onDone={() => setEditing(null)} />}
      {(editing === "budget" || editing === "raise") && (
        <BudgetEdit p={p} raise={editing === "raise"} onDone={() => setEditing(null)} onResume={() => verb.mutateAsync("start")} />
      )}
    </section>
  );
}

function MenuItem({ a, p, busy, onRun }: { a: Action; p: ProjectPublic; busy: boolean; onRun: () => Promise<unknown> | undefined }) {
  const explain = <span className="block text-xs font-normal text-slate-600 dark:text-slate-400">{a.explain}</span>;
  if (a.confirm) {
    return (
      <div className="[&>button]:w-full [&>button]:flex-col [&>button]:items-start [&>button]:text-left">
        <ConfirmButton
          variant="ghost"
          label={
            <span className="block text-left">
              {a.label}
              {explain}
            </span>
          }
          title={`${a.label} “${p.name}”?`}
          body={a.explain}
          confirmLabel={a.label}
          onConfirm={() => onRun()}
        />
      </div>
    );
  }
  return (
    <Button variant="ghost" busy={busy} className="w-full flex-col !items-start text-left" onClick={() => void onRun()}>
      <span className="block text-left">
        {a.label}
        {explain}
      </span>
    </Button>
  );
}

function NameEdit({ p, onDone }: { p: ProjectPublic; onDone: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(p.name);
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/projects/{project_id}", { params: { path: { project_id: p.id } }, body: { name: name.trim() } })),
    onSuccess: (np) => {
      qc.setQueryData(qk.project(np.id), np);
      void qc.invalidateQueries({ queryKey: qk.projects, exact: true });
      toast.success("Renamed");
      onDone();
    },
  });
  const problem = !name.trim() ? "A name is needed" : name.trim().length > 100 ? "At most 100 characters" : null;
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!problem) save.mutate();
  }
  return (
    <form aria-label="Rename the project" onSubmit={submit} className="mt-3 flex flex-wrap items-end gap-2">
      <div className="min-w-0 flex-1 basis-48 text-sm font-medium">
        <label htmlFor="name-input">Name</label>
        <input
          id="name-input"
          autoFocus
          value={name}
          maxLength={120}
          aria-invalid={!!problem}
          onChange={(e) => setName(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        />
        {problem && <span className="mt-1 block text-sm text-red-700 dark:text-red-400">{problem}</span>}
      </div>
      <Button type="submit" variant="primary" busy={save.isPending} disabled={!!problem || name.trim() === p.name}>
        Save name
      </Button>
      <Button onClick={onDone}>Cancel</Button>
    </form>
  );
}

function BudgetEdit({ p, raise, onDone, onResume }: { p: ProjectPublic; raise: boolean; onDone: () => void; onResume: () => Promise<unknown> }) {
  const qc = useQueryClient();
  const used = p.input_tokens + p.output_tokens;
  const [value, setValue] = useState(() => String(raise ? suggestedBudget(used, p.budget_tokens) : (p.budget_tokens ?? "")));
  const n = Number(value);
  const problem = !/^\d+$/.test(value.trim()) || n < 1 ? "A whole number of tokens, at least 1" : raise && n <= used ? `More than the ${formatTokens(used)} used` : null;
  const save = useMutation({
    mutationFn: async () => {
      const np = await unwrap(api.PUT("/api/projects/{project_id}", { params: { path: { project_id: p.id } }, body: { budget_tokens: n } }));
      qc.setQueryData(qk.project(np.id), np);
      if (raise) await onResume();
      return np;
    },
    onSuccess: () => {
      toast.success(raise ? "Budget raised; resuming" : "Budget saved");
      onDone();
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!problem) save.mutate();
  }
  return (
    <form aria-label="Change the token budget" onSubmit={submit} className="mt-3 flex flex-wrap items-end gap-2">
      <div className="min-w-0 flex-1 basis-40 text-sm font-medium">
        <label htmlFor="budget-input">Token budget</label>
        <input
          id="budget-input"
          autoFocus
          inputMode="numeric"
          value={value}
          aria-invalid={!!problem}
          aria-describedby="budget-hint"
          onChange={(e) => setValue(e.target.value)}
          className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-base text-slate-900 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
        />
        <span id="budget-hint" className={cx("mt-1 block text-sm", problem ? "text-red-700 dark:text-red-400" : "text-slate-600 dark:text-slate-400")}>
          {problem ?? `${formatTokens(used)} used so far`}
        </span>
      </div>
      <Button type="submit" variant="primary" busy={save.isPending} disabled={!!problem}>
        {raise ? "Save and resume" : "Save budget"}
      </Button>
      <Button onClick={onDone}>Cancel</Button>
    </form>
  );
}
