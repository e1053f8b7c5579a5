import { lazy, Suspense, useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { projectQuery, qk } from "../api/queries";
import type { Id, PlanStep, ProjectPublic, ReplyRequest } from "../api/types";
import { useIdParam } from "../lib/params";
import { planProgress, STEP_ICON } from "../lib/plan";
import { answerForm } from "../lib/question";
import { stepNumber } from "../lib/steps";
import { isActive } from "../lib/status";
import { formatTokens } from "../lib/format";
import { usePageTitle } from "../components/PageTitle";
import { StatusBadge } from "../components/StatusBadge";
import { ProgressBar } from "../components/ProgressBar";
import { RelativeTime } from "../components/RelativeTime";
import { ConfirmButton } from "../components/ConfirmButton";
import { Button, ErrorBox, Loading, Spinner, TextArea, cx } from "../components/ui";
import { useProjectEvents } from "../features/logs/useProjectEvents";
import ActivityPane from "../features/activity/ActivityPane";
import { StepOutcome } from "../features/activity/StepOutcome";
import { PortHint } from "../features/preview/PortHint";
import { AddStep, InstructionBox, StepControls } from "../features/plan/PlanEdit";
import { Cockpit } from "../features/project/Cockpit";
import { DELETE_PROJECT_BODY } from "../lib/copy";
import { SaveAsTemplate } from "../features/templates/Templates";

// Only the phone's first view (the Activity feed) comes with the page; every other pane loads
// when its tab is opened.
const TerminalPane = lazy(() => import("../features/terminal/TerminalPane"));
const LogsPane = lazy(() => import("../features/logs/LogsPane").then((m) => ({ default: m.LogsPane })));
const FilesPane = lazy(() => import("../features/files/FilesPane").then((m) => ({ default: m.FilesPane })));
const PreviewPane = lazy(() => import("../features/preview/PreviewPane"));
const ProcessesPane = lazy(() => import("../features/processes/ProcessesPane").then((m) => ({ default: m.ProcessesPane })));

type Tab = "activity" | "terminal" | "logs" | "files" | "preview" | "processes" | "description" | "architecture";
const TABS: { id: Tab; label: string; short: string }[] = [
  { id: "activity", label: "Activity", short: "Feed" },
  { id: "terminal", label: "Terminal", short: "Term" },
  { id: "logs", label: "Logs", short: "Logs" },
  { id: "files", label: "Files", short: "Files" },
  { id: "preview", label: "Preview", short: "View" },
  { id: "processes", label: "Processes", short: "Procs" },
  { id: "description", label: "Description", short: "Goal" },
  { id: "architecture", label: "Architecture", short: "Arch" },
];

function NeedsHelp({ p }: { p: ProjectPublic }) {
  const [text, setText] = useState("");
  const form = answerForm(p.question);
  const reply = useMutation({
    mutationFn: (body: ReplyRequest) =>
      unwrap(api.POST("/api/projects/{project_id}/reply", { params: { path: { project_id: p.id } }, body })),
    onSuccess: (_data, body) => {
      if (body.text) setText("");
      toast.success(body.decision === "approve" ? "Approved" : body.decision === "deny" ? "Denied" : "Reply sent to the agent");
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (text.trim()) reply.mutate({ text });
  }
  const busy = (b: ReplyRequest) => reply.isPending && JSON.stringify(reply.variables) === JSON.stringify(b);
  return (
    <section id="needs-help" role="alert" aria-label="Needs help" className="rounded-lg border border-amber-400 bg-amber-50 p-3 text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-50">
      <p className="font-semibold">⚠ needs help</p>
      <p className="mt-1 break-words" data-testid="question-text">
        {p.question?.text ?? p.status_reason ?? "The agent is waiting for you"}
      </p>
      {form.kind === "decision" && (
        <div className="mt-2 flex gap-2">
          <Button variant="primary" className="flex-1 sm:flex-none" busy={busy({ decision: "approve" })} disabled={reply.isPending} onClick={() => reply.mutate({ decision: "approve" })}>
            Approve
          </Button>
          <Button className="flex-1 sm:flex-none" busy={busy({ decision: "deny" })} disabled={reply.isPending} onClick={() => reply.mutate({ decision: "deny" })}>
            Deny
          </Button>
        </div>
      )}
      {form.kind === "choices" && (
        <div role="group" aria-label="Choices" className="mt-2 flex flex-col gap-2 sm:flex-row sm:flex-wrap">
          {form.choices.map((c, i) => (
            <Button key={i} variant={i === 0 ? "primary" : "secondary"} busy={busy({ choice: i + 1 })} disabled={reply.isPending} onClick={() => reply.mutate({ choice: i + 1 })}>
              {i + 1}. {c}
            </Button>
          ))}
        </div>
      )}
      {form.kind === "decision" ? (
        <details className="mt-2 text-sm">
          <summary className="cursor-pointer">Answer in words instead</summary>
          <ReplyForm text={text} setText={setText} submit={submit} busy={busy({ text })} />
        </details>
      ) : (
        <ReplyForm text={text} setText={setText} submit={submit} busy={busy({ text })} />
      )}
    </section>
  );
}

function ReplyForm({ text, setText, submit, busy }: { text: string; setText: (t: string) => void; submit: (e: FormEvent) => void; busy: boolean }) {
  return (
    <form onSubmit={submit} className="mt-2 flex flex-col gap-2 sm:flex-row sm:items-end">
      <div className="flex-1">
        <label htmlFor="reply" className="sr-only">
          Reply to the agent
        </label>
        <textarea
          id="reply"
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) submit(e);
          }}
          placeholder="Your answer (or type in the terminal)"
          className="w-full rounded-md border border-amber-400 bg-white px-3 py-2 text-slate-900 dark:border-amber-700 dark:bg-slate-900 dark:text-slate-100"
        />
      </div>
      <Button type="submit" variant="primary" busy={busy} disabled={!text.trim()}>
        Reply
      </Button>
    </form>
  );
}

function StepDiff({ projectId, n }: { projectId: Id; n: number }) {
  const q = useQuery({
    queryKey: ["projects", projectId, "diff", n],
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}/steps/{step}/diff", { params: { path: { project_id: projectId, step: n } } })),
  });
  if (q.isPending) return <Spinner />;
  if (q.isError) return <p className="text-sm text-red-700 dark:text-red-400">{(q.error as Error).message}</p>;
  return q.data.diff ? (
    <pre className="mt-2 max-h-80 overflow-auto rounded bg-slate-100 p-2 text-xs dark:bg-slate-950">{q.data.diff}</pre>
  ) : (
    <p className="text-sm text-slate-600 dark:text-slate-400">No file changes recorded for this step.</p>
  );
}

const STEP_CLS: Record<PlanStep["status"], string> = {
  done: "text-green-700 dark:text-green-400",
  running: "text-blue-700 dark:text-blue-300",
  pending: "text-slate-500 dark:text-slate-400",
  failed: "text-red-700 dark:text-red-400",
  skipped: "text-slate-500 dark:text-slate-400",
};

function Plan({ p }: { p: ProjectPublic }) {
  const prog = planProgress(p);
  const [open, setOpen] = useState<number | null>(null);
  return (
    <section aria-labelledby="plan-h" className="space-y-2">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h2 id="plan-h" className="font-semibold">
          Plan
        </h2>
        <span aria-hidden="true" className="font-mono tracking-wider">
          {p.implementation_plan.map((s, i) => (
            <span key={i} className={STEP_CLS[s.status]}>
              {STEP_ICON[s.status]}
            </span>
          ))}
        </span>
        <span className="text-sm text-slate-700 dark:text-slate-300">
          {prog.total ? `Step ${prog.currentNumber} of ${prog.total} · ${prog.finished} done` : prog.label}
        </span>
      </div>
      <ProgressBar percent={prog.percent} label="Plan progress" />
      {p.implementation_plan.length > 0 && (
        <details className="group" open={p.status === "completed" || undefined}>
          <summary className="cursor-pointer text-sm text-blue-700 dark:text-blue-300">Show steps</summary>
          <ol className="mt-2 space-y-1">
            {p.implementation_plan.map((s, i) => (
              <li key={i} className="rounded-md border border-slate-200 p-2 dark:border-slate-800">
                <div className="flex flex-wrap items-start gap-2">
                  <span className={cx("w-5 shrink-0 text-center font-mono", STEP_CLS[s.status])} aria-label={s.status}>
                    {STEP_ICON[s.status]}
                  </span>
                  <div className="min-w-0 flex-1 break-words">
                    <p className={cx(s.status === "running" && "font-semibold")}>
                      {i + 1}. {s.title}
                    </p>
                    {s.detail && <p className="text-sm text-slate-600 dark:text-slate-400">{s.detail}</p>}
                    <StepOutcome step={s} />
                  </div>
                  <StepControls key={`${i}:${s.title}:${s.status}`} p={p} index={i} editable={!isActive(p.status)}>
                    {(s.status === "done" || s.status === "failed") && (
                      <Button variant="ghost" className="min-h-8 py-1" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>
                        {open === i ? "Hide changes" : `Changes in step ${stepNumber(i)}`}
                      </Button>
                    )}
                  </StepControls>
                </div>
                {open === i && <StepDiff projectId={p.id} n={stepNumber(i)} />}
              </li>
            ))}
          </ol>
        </details>
      )}
      {isActive(p.status) ? (
        <InstructionBox p={p} />
      ) : (
        <details id="add-step" open={p.status === "completed" || p.implementation_plan.length === 0 || undefined}>
          <summary className="cursor-pointer text-sm text-blue-700 dark:text-blue-300">Add a step</summary>
          <div className="mt-2">
            <AddStep p={p} />
          </div>
        </details>
      )}
    </section>
  );
}

function TextEditor({ p, field, label }: { p: ProjectPublic; field: "description" | "architecture"; label: string }) {
  const qc = useQueryClient();
  const [value, setValue] = useState(p[field]);
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/projects/{project_id}", { params: { path: { project_id: p.id } }, body: { [field]: value } })),
    onSuccess: (np) => {
      qc.setQueryData(qk.project(np.id), np);
      toast.success(`${label} saved`);
    },
  });
  const dirty = value !== p[field];
  return (
    <div className="space-y-2 p-3">
      <TextArea label={label} rows={14} value={value} onChange={(e) => setValue(e.target.value)} hint="The agent reads this when it composes the next step." />
      <div className="flex gap-2">
        <Button variant="primary" busy={save.isPending} disabled={!dirty} onClick={() => save.mutate()}>
          Save {label.toLowerCase()}
        </Button>
        {dirty && <Button onClick={() => setValue(p[field])}>Discard</Button>}
      </div>
    </div>
  );
}

export function ReconnectingBar({ show }: { show: boolean }) {
  if (!show) return null;
  return (
    <div role="status" className="fixed inset-x-0 top-0 z-50 flex h-6 items-center justify-center bg-amber-400 text-xs font-medium text-amber-950">
      <Spinner className="mr-2 size-3" /> reconnecting…
    </div>
  );
}

function ProjectView({ p }: { p: ProjectPublic }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  // a phone follows the agent in the Activity feed; a desktop opens on the terminal
  const [tab, setTab] = useState<Tab>(() => (window.matchMedia("(max-width: 767px)").matches ? "activity" : "terminal"));
  const events = useProjectEvents(p.id);
  usePageTitle(p.name, p.status);
  const del = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/projects/{project_id}", { params: { path: { project_id: p.id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: qk.projects });
      void qc.invalidateQueries({ queryKey: qk.agentProjects(p.agent_id) });
      toast.success(`Project “${p.name}” deleted`);
      navigate(`/agents/${p.agent_id}`);
    },
  });

  return (
    <div className="mx-auto flex max-w-6xl flex-col gap-3">
      <ReconnectingBar show={events.status === "reconnecting"} />
      <header className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="sr-only flex-wrap items-center gap-2 lg:not-sr-only lg:flex">
            <h1 className="truncate text-2xl font-semibold">{p.name}</h1>
            <StatusBadge status={p.status} />
          </div>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            <RelativeTime iso={p.last_activity_at ?? p.updated_at} prefix="active" /> · {formatTokens(p.input_tokens + p.output_tokens)} tokens
            {p.budget_tokens ? ` of ${formatTokens(p.budget_tokens)}` : ""}
          </p>
          {p.git_url && <p className="mt-1 break-all text-sm text-slate-600 dark:text-slate-400">from {p.git_url}{p.status === "cloning" ? " · cloning…" : ""}</p>}
        </div>
        <div className="flex flex-wrap gap-2">
          <SaveAsTemplate projectId={p.id} projectName={p.name} />
          <ConfirmButton variant="ghost" label="Delete" title={`Delete project “${p.name}”?`} body={DELETE_PROJECT_BODY} confirmLabel={`Delete ${p.name}`} onConfirm={() => del.mutateAsync()} />
        </div>
      </header>
      <Cockpit p={p} logs={events.logs} onOpenLogs={() => setTab("logs")} />
      {events.detail && <ErrorBox error={events.detail} />}
      {p.status === "needs_help" && <NeedsHelp p={p} />}
      <section aria-label="Goal" className="space-y-1">
        <p className="line-clamp-3 whitespace-pre-wrap text-slate-800 dark:text-slate-200">{p.description || <em>No goal written yet.</em>}</p>
        {p.architecture && (
          <details>
            <summary className="cursor-pointer text-sm text-blue-700 dark:text-blue-300">Architecture</summary>
            <p className="mt-1 whitespace-pre-wrap text-sm text-slate-700 dark:text-slate-300">{p.architecture}</p>
          </details>
        )}
      </section>
      <Plan p={p} />
      <PortHint projectId={p.id} hidden={tab === "preview" || tab === "processes"} onOpen={() => setTab("preview")} />
      <div className="overflow-hidden rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
        <div role="tablist" aria-label="Project views" className="grid grid-cols-3 gap-1 bg-slate-100 p-1 sm:flex sm:gap-0 sm:bg-transparent sm:p-0 sm:border-b sm:border-slate-200 dark:bg-slate-950 sm:dark:bg-transparent sm:dark:border-slate-800">
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              aria-label={t.label}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
              onKeyDown={(e) => {
                const i = TABS.findIndex((x) => x.id === tab);
                const d = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
                if (d) {
                  const next = TABS[(i + d + TABS.length) % TABS.length]!;
                  setTab(next.id);
                  document.getElementById(`tab-${next.id}`)?.focus();
                }
              }}
              className={cx(
                "min-h-10 truncate rounded-md px-2 py-2 text-sm font-medium sm:rounded-none sm:border-b-2 sm:px-4",
                tab === t.id
                  ? "bg-white text-slate-950 shadow-sm sm:border-blue-600 sm:shadow-none dark:bg-slate-800 dark:text-white sm:dark:bg-transparent sm:dark:border-blue-400"
                  : "text-slate-700 hover:text-slate-950 sm:border-transparent dark:text-slate-300 dark:hover:text-white",
              )}
            >
              <span className="sm:hidden">{t.short}</span>
              <span className="hidden sm:inline">{t.label}</span>
            </button>
          ))}
        </div>
        <div id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} className={cx(tab === "terminal" || tab === "logs" || tab === "files" || tab === "preview" ? "h-[75dvh] min-h-80 lg:h-[calc(100dvh-22rem)]" : "")}>
          {tab === "terminal" && (
            <Suspense fallback={<Loading label="Loading terminal…" />}>
              <TerminalPane projectId={p.id} claudeRunning={isActive(p.status) && !!p.screen_state && p.screen_state !== "exited"} />
            </Suspense>
          )}
          {tab === "activity" && <ActivityPane logs={events.logs} project={p} />}
          <Suspense fallback={<Loading />}>
            {tab === "logs" && <LogsPane logs={events.logs} />}
            {tab === "files" && <FilesPane projectId={p.id} slug={p.slug} />}
            {tab === "preview" && <PreviewPane projectId={p.id} />}
            {tab === "processes" && <ProcessesPane projectId={p.id} onPreview={() => setTab("preview")} />}
          </Suspense>
          {tab === "description" && <TextEditor key={`d${p.id}`} p={p} field="description" label="Description" />}
          {tab === "architecture" && <TextEditor key={`a${p.id}`} p={p} field="architecture" label="Architecture" />}
        </div>
      </div>
    </div>
  );
}

export default function ProjectPage() {
  const id = useIdParam("projectId") ?? 0;
  const q = useQuery(projectQuery(id));
  usePageTitle(q.data?.name ?? "Project", q.data?.status ?? null);
  if (q.isPending) return <Loading />;
  if (q.isError) return <ErrorBox error={q.error} onRetry={() => void q.refetch()} />;
  return <ProjectView p={q.data} />;
}
