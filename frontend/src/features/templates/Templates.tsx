import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ConfirmButton } from "../../components/ConfirmButton";
import { Button, Card, ErrorBox, TextField, cx } from "../../components/ui";

export type Template = components["schemas"]["TemplatePublic"];

export const templatesKey = ["templates"] as const;
export const templatesQuery = () => ({
  queryKey: templatesKey,
  queryFn: () => unwrap(api.GET("/api/templates")),
});

/** The templates to start a new project from: built-in ones and the user's own. */
export function TemplatePicker({ chosen, onPick }: { chosen: string | null; onPick: (t: Template) => void }) {
  const qc = useQueryClient();
  const templates = useQuery(templatesQuery());
  const del = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/templates/{template_id}", { params: { path: { template_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: templatesKey }),
  });
  if (templates.isError) return <ErrorBox error={templates.error} onRetry={() => void templates.refetch()} />;
  return (
    <Card className="space-y-3">
      <div>
        <h2 className="text-lg font-semibold">Start from a template</h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">Fills the goal, the architecture and a starting plan; change anything after.</p>
      </div>
      <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3" aria-label="Templates">
        {(templates.data ?? []).map((t) => (
          <li key={t.id} className="min-w-0">
            <div
              className={cx(
                "flex h-full flex-col gap-1 rounded-md border p-3",
                chosen === t.id ? "border-blue-600 bg-blue-50 dark:border-blue-400 dark:bg-blue-950" : "border-slate-200 dark:border-slate-700",
              )}
            >
              <button type="button" className="min-w-0 text-left" aria-pressed={chosen === t.id} onClick={() => onPick(t)}>
                <span className="block truncate font-medium">{t.name}</span>
                <span className="line-clamp-2 block text-sm text-slate-600 dark:text-slate-400">{t.summary || t.description || "Your template"}</span>
                <span className="mt-1 block text-xs text-slate-500 dark:text-slate-400">
                  {t.builtin ? "Built in" : "Yours"} · {t.implementation_plan.length} steps
                </span>
              </button>
              {!t.builtin && (
                <div className="mt-auto">
                  <ConfirmButton
                    variant="ghost"
                    label="Delete"
                    title={`Delete template “${t.name}”?`}
                    body="Projects made from it stay as they are."
                    confirmLabel={`Delete ${t.name}`}
                    onConfirm={() => del.mutateAsync(t.id).then(() => toast.success(`Template “${t.name}” deleted`))}
                  />
                </div>
              )}
            </div>
          </li>
        ))}
      </ul>
    </Card>
  );
}

/** "Save as template" on a project page: its goal, architecture and plan become one of your templates. */
export function SaveAsTemplate({ projectId, projectName }: { projectId: number; projectName: string }) {
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState(projectName);
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/projects/{project_id}/save-template", { params: { path: { project_id: projectId } }, body: { name: name.trim(), summary: "" } })),
    onSuccess: (t) => {
      setOpen(false);
      void qc.invalidateQueries({ queryKey: templatesKey });
      toast.success(`Saved as template “${t.name}”`);
    },
  });
  if (!open) return <Button variant="ghost" onClick={() => setOpen(true)}>Save as template</Button>;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) save.mutate();
  };
  return (
    <form onSubmit={submit} className="flex w-full flex-wrap items-end gap-2 sm:w-auto">
      <TextField label="Template name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} className="min-w-0 flex-1" />
      <Button type="submit" variant="primary" busy={save.isPending} disabled={!name.trim()}>Save</Button>
      <Button onClick={() => setOpen(false)}>Cancel</Button>
    </form>
  );
}
