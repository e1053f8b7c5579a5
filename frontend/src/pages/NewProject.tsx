import { useEffect, useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { agentQuery, qk } from "../api/queries";
import { formErrors } from "../api/errors";
import { focusFirstInvalid } from "../lib/forms";
import { useIdParam } from "../lib/params";
import { usePageTitle } from "../components/PageTitle";
import { PlanEditor, newStep, type DraftStep } from "../components/PlanEditor";
import { Button, Card, PageHeader, TextArea, TextField } from "../components/ui";
import { TemplatePicker, type Template } from "../features/templates/Templates";
import { DeployKey } from "../features/templates/DeployKey";
import { gitKind, gitUrlProblem } from "../features/templates/gitUrl";

const SLUG_RE = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function slugify(name: string): string {
  return name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

export default function NewProjectPage() {
  const agentId = useIdParam("agentId") ?? 0;
  const agent = useQuery(agentQuery(agentId));
  const navigate = useNavigate();
  const qc = useQueryClient();
  usePageTitle("New project");
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  const [goal, setGoal] = useState("");
  const [arch, setArch] = useState("");
  const [mode, setMode] = useState<"agent" | "manual">("agent");
  const [steps, setSteps] = useState<DraftStep[]>([newStep()]);
  const [budget, setBudget] = useState("");
  const [touched, setTouched] = useState(false);
  const [gitUrl, setGitUrl] = useState("");
  const [template, setTemplate] = useState<string | null>(null);
  const fromGit = gitUrl.trim() !== "";

  function pick(t: Template) {
    setTemplate(t.id);
    setGoal(t.description);
    setArch(t.architecture);
    if (t.implementation_plan.length) {
      setSteps(t.implementation_plan.map((s) => newStep(s.title, s.detail ?? "")));
      setMode("manual");
    }
    if (!name.trim()) setName(t.builtin ? "" : t.name);
  }

  const effSlug = slug || slugify(name);
  const errors = {
    name: name.trim() ? null : "A name is required",
    slug: !effSlug || SLUG_RE.test(effSlug) ? null : "Lowercase letters, digits and dashes; up to 40",
    goal: goal.trim() || fromGit ? null : "Describe the goal so the agent knows what done means",
    gitUrl: gitUrlProblem(gitUrl),
    steps: mode === "manual" && !steps.some((s) => s.title.trim()) ? "Add at least one step, or let the agent plan" : null,
    budget: budget === "" || (/^\d+$/.test(budget) && Number(budget) > 0) ? null : "A whole number of tokens",
  };
  const valid = Object.values(errors).every((e) => !e);
  const form = useRef<HTMLFormElement>(null);

  const create = useMutation({
    meta: { silent: true }, // refusals show at their fields and by the button, not as a toast
    mutationFn: () =>
      unwrap(
        api.POST("/api/agents/{agent_id}/projects", {
          params: { path: { agent_id: agentId } },
          body: {
            name: name.trim(),
            slug: effSlug || null,
            description: goal,
            architecture: arch,
            implementation_plan: mode === "manual" ? steps.filter((s) => s.title.trim()).map((s) => ({ title: s.title.trim(), detail: s.detail })) : [],
            budget_tokens: budget ? Number(budget) : null,
            git_url: fromGit ? gitUrl.trim() : null,
          },
        }),
      ),
    onSuccess: (p) => {
      void qc.invalidateQueries({ queryKey: qk.projects });
      void qc.invalidateQueries({ queryKey: qk.agentProjects(agentId) });
      toast.success(p.status === "cloning" ? `Project “${p.name}” created — cloning its repository` : `Project “${p.name}” created — press Start when ready`);
      navigate(`/projects/${p.id}`);
    },
  });

  const server = formErrors(create.error, {
    name: "name",
    slug: "slug",
    description: "goal",
    git_url: "gitUrl",
    implementation_plan: "steps",
    budget_tokens: "budget",
  } as const);
  // What the server refused was the form as sent: any change makes it stale.
  const { reset } = create;
  useEffect(() => reset(), [reset, name, slug, goal, arch, mode, steps, budget, gitUrl]);
  // A refusal at a field brings that field into view.
  useEffect(() => {
    if (create.isError) focusFirstInvalid(form.current);
  }, [create.isError]);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (valid) {
      setTouched(true);
      create.mutate();
      return;
    }
    // Rendered now, so the first error can be found and shown.
    flushSync(() => setTouched(true));
    focusFirstInvalid(form.current);
  }
  const show = (k: keyof typeof errors) => (touched ? errors[k] : null) ?? server.fields[k] ?? null;

  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="New project">{agent.data && <p className="text-slate-700 dark:text-slate-300">for {agent.data.name}</p>}</PageHeader>
      <form ref={form} onSubmit={submit} noValidate className="space-y-4">
        <TemplatePicker chosen={template} onPick={pick} />
        <Card className="space-y-4">
          <TextField label="Project name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Eshop" required maxLength={100} error={show("name")} />
          <TextField label="Folder name (slug)" value={slug} placeholder={slugify(name) || "eshop"} onChange={(e) => setSlug(e.target.value)} error={errors.slug ?? server.fields.slug} hint="The workspace folder; made from the name if empty." />
          <TextField
            label="Start from a git repository (optional)"
            value={gitUrl}
            onChange={(e) => setGitUrl(e.target.value)}
            placeholder="https://github.com/you/app.git"
            inputMode="url"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            maxLength={2000}
            error={errors.gitUrl ?? server.fields.gitUrl}
            hint="https://, ssh:// (or git@host:path) or git://. It is cloned into the project folder; with no plan, the agent plans from its README."
          />
          {gitKind(gitUrl) === "ssh" && (
            <div className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
              <p className="mb-2 text-sm font-medium">For an ssh address, add your deploy key to the repository’s host first:</p>
              <DeployKey compact />
            </div>
          )}
          <TextArea label={fromGit ? "Goal (optional)" : "Goal"} value={goal} onChange={(e) => setGoal(e.target.value)} rows={5} required={!fromGit} error={show("goal")} hint={fromGit ? "What to do with the repository; empty: the agent takes it from the README." : "What should exist when the agent is done?"} />
          <TextArea label="Architecture (optional)" value={arch} onChange={(e) => setArch(e.target.value)} rows={5} hint="Stack, structure, constraints." />
        </Card>
        <Card className="space-y-3">
          <fieldset>
            <legend className="text-sm font-medium">Plan</legend>
            <div className="mt-2 flex flex-wrap gap-4">
              <label className="flex items-center gap-2">
                <input type="radio" name="plan-mode" checked={mode === "agent"} onChange={() => setMode("agent")} /> Let the agent plan
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="plan-mode" checked={mode === "manual"} onChange={() => setMode("manual")} /> Write the steps myself
              </label>
            </div>
          </fieldset>
          {mode === "manual" && <PlanEditor steps={steps} onChange={setSteps} error={show("steps")} />}
          {mode === "manual" && steps.length === 0 && show("steps") && (
            <p tabIndex={-1} data-invalid className="text-sm text-red-700 dark:text-red-400">
              {show("steps")}
            </p>
          )}
          <TextField label="Token budget (optional)" inputMode="numeric" value={budget} onChange={(e) => setBudget(e.target.value.trim())} error={errors.budget ?? server.fields.budget} hint="The project pauses when it has used this many tokens." />
        </Card>
        {server.other && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {server.other}
          </p>
        )}
        <div className="flex gap-2">
          <Button type="submit" variant="primary" busy={create.isPending}>
            Create project
          </Button>
          <Button onClick={() => navigate(-1)}>Cancel</Button>
        </div>
      </form>
    </div>
  );
}
