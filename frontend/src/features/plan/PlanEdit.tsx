import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { qk } from "../../api/queries";
import type { ProjectPublic } from "../../api/types";
import { Button, TextArea, TextField } from "../../components/ui";
import { isLocked, moveOrder } from "../../lib/planEdit";

type Change =
  | { kind: "add"; title: string; detail: string }
  | { kind: "edit"; n: number; title: string; detail: string }
  | { kind: "remove"; n: number }
  | { kind: "reorder"; order: number[] };

/** One mutation for every plan change; the server answers with the project, which replaces the cached one. */
export function usePlanChange(p: ProjectPublic) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (c: Change) => {
      const path = { project_id: p.id };
      if (c.kind === "add") return unwrap(api.POST("/api/projects/{project_id}/steps", { params: { path }, body: { title: c.title, detail: c.detail } }));
      if (c.kind === "edit") return unwrap(api.PUT("/api/projects/{project_id}/steps/{step}", { params: { path: { ...path, step: c.n } }, body: { title: c.title, detail: c.detail } }));
      if (c.kind === "remove") return unwrap(api.DELETE("/api/projects/{project_id}/steps/{step}", { params: { path: { ...path, step: c.n } } }));
      return unwrap(api.POST("/api/projects/{project_id}/steps/reorder", { params: { path }, body: { order: c.order } }));
    },
    onSuccess: (np) => {
      qc.setQueryData(qk.project(np.id), np);
      void qc.invalidateQueries({ queryKey: qk.projects, exact: true });
    },
    onError: (e) => toast.error((e as Error).message),
  });
}

/** The controls of one step: pending ones can be edited, moved and removed; the rest are locked. */
export function StepControls({ p, index, editable, children }: { p: ProjectPublic; index: number; editable: boolean; children?: ReactNode }) {
  const step = p.implementation_plan[index]!;
  const n = index + 1;
  const change = usePlanChange(p);
  const [editing, setEditing] = useState(false);
  const [title, setTitle] = useState(step.title);
  const [detail, setDetail] = useState(step.detail);
  if (isLocked(step)) {
    return (
      <div className="ml-7 flex basis-full items-center justify-between gap-2 sm:ml-0 sm:basis-auto">
        <span className="text-xs text-slate-600 dark:text-slate-400" title="Steps that already ran are kept as they were">
          {step.status} · locked
        </span>
        {children}
      </div>
    );
  }
  if (!editable) return null;
  const up = moveOrder(p.implementation_plan, n, -1);
  const down = moveOrder(p.implementation_plan, n, 1);
  if (editing) {
    return (
      <form
        className="mt-2 basis-full space-y-2"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          if (title.trim()) change.mutate({ kind: "edit", n, title: title.trim(), detail }, { onSuccess: () => setEditing(false) });
        }}
      >
        <TextField label={`Step ${n} title`} value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} />
        <TextArea label={`Step ${n} detail`} rows={3} value={detail} onChange={(e) => setDetail(e.target.value)} />
        <div className="flex gap-2">
          <Button type="submit" variant="primary" busy={change.isPending} disabled={!title.trim()}>
            Save step {n}
          </Button>
          <Button onClick={() => setEditing(false)}>Cancel</Button>
        </div>
      </form>
    );
  }
  return (
    <div className="ml-7 flex basis-full gap-1 sm:ml-0 sm:basis-auto sm:shrink-0">
      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={`Edit step ${n}`} onClick={() => { setTitle(step.title); setDetail(step.detail); setEditing(true); }}>
        Edit
      </Button>
      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={`Move step ${n} up`} disabled={!up || change.isPending} onClick={() => up && change.mutate({ kind: "reorder", order: up })}>
        ↑
      </Button>
      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={`Move step ${n} down`} disabled={!down || change.isPending} onClick={() => down && change.mutate({ kind: "reorder", order: down })}>
        ↓
      </Button>
      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={`Remove step ${n}`} disabled={change.isPending} onClick={() => change.mutate({ kind: "remove", n })}>
        ✕
      </Button>
    </div>
  );
}

/** Append a pending step (a completed project can then be started again to run it). */
export function AddStep({ p }: { p: ProjectPublic }) {
  const change = usePlanChange(p);
  const [title, setTitle] = useState("");
  const [detail, setDetail] = useState("");
  function submit(e: FormEvent) {
    e.preventDefault();
    if (!title.trim()) return;
    change.mutate(
      { kind: "add", title: title.trim(), detail },
      {
        onSuccess: () => {
          setTitle("");
          setDetail("");
          toast.success("Step added");
        },
      },
    );
  }
  return (
    <form onSubmit={submit} aria-label="Add a step" className="space-y-2 rounded-md border border-dashed border-slate-300 p-3 dark:border-slate-700">
      <TextField label="New step" value={title} onChange={(e) => setTitle(e.target.value)} maxLength={200} placeholder="What Claude Code should do next" />
      <TextArea label="Detail (optional)" rows={2} value={detail} onChange={(e) => setDetail(e.target.value)} placeholder="What done looks like" />
      <Button type="submit" variant="primary" busy={change.isPending} disabled={!title.trim()}>
        + Add step
      </Button>
    </form>
  );
}

/** A message for Claude Code, given at the running project's next turn boundary. */
export function InstructionBox({ p }: { p: ProjectPublic }) {
  const [text, setText] = useState("");
  const send = useMutation({
    mutationFn: () => unwrap(api.POST("/api/projects/{project_id}/instructions", { params: { path: { project_id: p.id } }, body: { text: text.trim() } })),
    onSuccess: () => {
      setText("");
      toast.success("Instruction queued: Claude Code gets it after its current turn");
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (text.trim()) send.mutate();
  }
  return (
    <form onSubmit={submit} aria-label="Send an instruction" className="flex flex-col gap-2 sm:flex-row sm:items-end">
      <div className="flex-1">
        <TextField
          label="Send an instruction"
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder="e.g. Use SQLite, not Postgres"
          hint="Claude Code gets it when its current turn ends."
          error={send.isError ? (send.error as Error).message : null}
        />
      </div>
      <Button type="submit" busy={send.isPending} disabled={!text.trim()} className="sm:mb-6">
        Send
      </Button>
    </form>
  );
}
