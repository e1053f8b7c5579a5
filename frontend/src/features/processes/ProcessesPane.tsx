import { useEffect, useRef, useState, type ReactNode } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import type { Id } from "../../api/types";
import { ConfirmButton } from "../../components/ConfirmButton";
import { RelativeTime } from "../../components/RelativeTime";
import { Button, ErrorBox, Loading, Spinner, cx } from "../../components/ui";
import { formatBytes } from "../files/format";
import { formatCpu, formatListener, listeningPorts, programName, type ListeningPort, type ProcessPublic } from "./format";

const REFRESH_MS = 3000;

export const processesKey = (projectId: Id) => ["projects", projectId, "processes"] as const;

/** The processes of the project's tmux session: what runs, its ports, its output; stop one. */
export function ProcessesPane({ projectId, onPreview }: { projectId: Id; onPreview?: () => void }) {
  const list = useQuery({
    queryKey: processesKey(projectId),
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}/processes", { params: { path: { project_id: projectId } } })),
    // Only while this tab is shown (the pane is mounted) and the page is visible.
    refetchInterval: REFRESH_MS,
  });
  const [open, setOpen] = useState<number | null>(null);
  const procs = list.data ?? [];
  const ports = listeningPorts(procs);

  return (
    <div className="flex flex-col gap-3 p-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <p className="text-sm text-slate-600 dark:text-slate-400">
          What runs in this project's session: the agent, its shell and everything they started.
        </p>
        <span className="flex items-center gap-1 text-xs text-slate-500 dark:text-slate-400" aria-live="polite">
          {list.isFetching ? <Spinner className="size-3" /> : <span aria-hidden="true">●</span>}
          {list.isFetching ? "Refreshing" : `Every ${REFRESH_MS / 1000} s`}
        </span>
      </div>

      <PortHints
        ports={ports}
        action={
          onPreview
            ? () => (
                <button type="button" onClick={onPreview} className="text-sm font-medium text-blue-700 underline dark:text-blue-300">
                  Preview
                </button>
              )
            : undefined
        }
      />

      {list.isPending && <Loading label="Reading processes…" />}
      {list.isError && <ErrorBox error={list.error} onRetry={() => void list.refetch()} />}
      {list.data && procs.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 p-4 text-sm text-slate-600 dark:border-slate-700 dark:text-slate-400">
          Nothing runs in this project's session. What you or the agent start in the terminal (a dev server, a test watcher) shows up
          here, with the ports it listens on.
        </p>
      )}

      {procs.length > 0 && (
        <div className="overflow-hidden rounded-lg border border-slate-200 dark:border-slate-800">
          <div
            aria-hidden="true"
            className="hidden grid-cols-[minmax(0,1fr)_4rem_5rem_6rem_7rem_9.5rem] gap-3 border-b border-slate-200 bg-slate-50 px-3 py-2 text-xs font-medium uppercase tracking-wide text-slate-500 md:grid dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400"
          >
            <span>Command</span>
            <span className="text-right">CPU</span>
            <span className="text-right">Memory</span>
            <span>Started</span>
            <span>Ports</span>
            <span />
          </div>
          <ul aria-label="Processes" className="divide-y divide-slate-100 dark:divide-slate-800">
            {procs.map((p) => (
              <ProcessRow
                key={p.pid}
                p={p}
                projectId={projectId}
                open={open === p.pid}
                onToggle={() => setOpen(open === p.pid ? null : p.pid)}
              />
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** "Port 8080 is listening" for each listening port of the session; `action` adds a control
 * to each (the Preview tab's link, for one). */
export function PortHints({ ports, action }: { ports: readonly ListeningPort[]; action?: (port: number) => ReactNode }) {
  if (ports.length === 0) return null;
  return (
    <ul aria-label="Listening ports" className="flex flex-col gap-2">
      {ports.map((p) => (
        <li
          key={p.port}
          data-testid="port-hint"
          className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 rounded-lg border border-blue-200 bg-blue-50 px-3 py-2 text-sm text-blue-900 dark:border-blue-900 dark:bg-blue-950 dark:text-blue-100"
        >
          <span className="font-medium">Port {p.port} is listening</span>
          <span className="min-w-0 flex-1 truncate font-mono text-xs" title={p.command}>
            {programName(p.command)} · pid {p.pid}
          </span>
          {action?.(p.port)}
        </li>
      ))}
    </ul>
  );
}

function ProcessRow({ p, projectId, open, onToggle }: { p: ProcessPublic; projectId: Id; open: boolean; onToggle: () => void }) {
  const qc = useQueryClient();
  const stop = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/projects/{project_id}/processes/{pid}/stop", { params: { path: { project_id: projectId, pid: p.pid } } })),
    onSuccess: (r) => {
      toast.success(r.result === "kill" ? `Killed ${programName(p.command)} (it ignored the stop signal)` : `Stopped ${programName(p.command)}`);
      void qc.invalidateQueries({ queryKey: processesKey(projectId) });
    },
    onError: (e) => {
      toast.error(e instanceof Error ? e.message : "Could not stop the process");
      void qc.invalidateQueries({ queryKey: processesKey(projectId) });
    },
  });
  return (
    <li data-testid="process" data-pid={p.pid} className="px-3 py-2">
      <div className="grid grid-cols-[minmax(0,1fr)_auto] items-center gap-x-3 gap-y-1 md:grid-cols-[minmax(0,1fr)_4rem_5rem_6rem_7rem_9.5rem]">
        <div className="col-span-2 min-w-0 md:col-span-1">
          <p className="line-clamp-2 break-all font-mono text-sm md:line-clamp-1" title={p.command}>
            {p.command}
          </p>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            pid {p.pid}
            {p.window && <> · window {p.window}</>}
            {p.state === "Z" && <> · ended, not yet reaped</>}
          </p>
        </div>
        {/* On a phone the figures share one line under the command. */}
        <div className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-600 md:contents md:text-sm dark:text-slate-300">
          <span className="tabular-nums md:text-right">
            <span className="md:hidden">CPU </span>
            {formatCpu(p.cpu_percent)}
          </span>
          <span className="tabular-nums md:text-right">{formatBytes(p.rss_bytes)}</span>
          <span>
            <RelativeTime iso={p.started_at} />
          </span>
          <span className="flex flex-wrap gap-1">
            {p.listening.length === 0 ? (
              <span className="hidden text-slate-400 md:inline">—</span>
            ) : (
              p.listening.map((l) => (
                <span
                  key={`${l.address}-${l.port}`}
                  className="rounded bg-blue-100 px-1.5 py-0.5 font-mono text-xs text-blue-900 dark:bg-blue-900 dark:text-blue-100"
                >
                  {formatListener(l)}
                </span>
              ))
            )}
          </span>
        </div>
        <div className="flex items-center justify-end gap-1">
          {p.has_output && (
            <Button variant="ghost" aria-expanded={open} aria-label={`Output of ${programName(p.command)}`} onClick={onToggle}>
              {open ? "Hide" : "Output"}
            </Button>
          )}
          <ConfirmButton
            variant="secondary"
            label="Stop"
            title={`Stop ${programName(p.command)}?`}
            body={
              <>
                <p className="break-all font-mono text-xs">{p.command}</p>
                <p className="mt-2">It gets a stop signal (TERM) and is killed if it still runs 3 seconds later.</p>
              </>
            }
            confirmLabel="Stop process"
            busy={stop.isPending}
            onConfirm={() => stop.mutateAsync()}
          />
        </div>
      </div>
      {open && <ProcessOutput projectId={projectId} pid={p.pid} />}
    </li>
  );
}

function ProcessOutput({ projectId, pid }: { projectId: Id; pid: number }) {
  const out = useQuery({
    queryKey: ["projects", projectId, "processes", pid, "output"],
    queryFn: () =>
      unwrap(
        api.GET("/api/projects/{project_id}/processes/{pid}/output", {
          params: { path: { project_id: projectId, pid }, query: { lines: 200 } },
        }),
      ),
    refetchInterval: REFRESH_MS,
  });
  const pre = useRef<HTMLPreElement>(null);
  const text = out.data?.text;
  useEffect(() => {
    // The last lines are what matters: keep the view at the bottom as output comes.
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return (
    <div className="mt-2">
      {out.isPending && <Loading label="Reading output…" />}
      {out.isError && <ErrorBox error={out.error} />}
      {out.data && (
        <pre
          ref={pre}
          aria-label={`Output of process ${pid}`}
          className={cx(
            "max-h-72 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-950 p-3 font-mono text-xs text-slate-100",
            !out.data.text.trim() && "text-slate-400",
          )}
        >
          {out.data.text.trim() ? out.data.text : "(no output yet)"}
        </pre>
      )}
    </div>
  );
}
