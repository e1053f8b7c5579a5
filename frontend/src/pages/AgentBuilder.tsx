import { useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { agentQuery, modelsQuery, qk } from "../api/queries";
import type { AgentPublic, PermissionPolicy } from "../api/types";
import { useIdParam } from "../lib/params";
import { usePageTitle } from "../components/PageTitle";
import { Button, Card, ErrorBox, Loading, PageHeader, TextArea, TextField, cx } from "../components/ui";
import { toast } from "sonner";
import { TOOLS_HINT } from "../lib/copy";
import { focusFirstInvalid } from "../lib/forms";

const MODEL_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._:/-]+$/;
// When the user has no key yet (so no models of their own to offer), the agent still needs one.
const FALLBACK_MODEL = "anthropic/claude-opus-4-6";
const DEFAULT_POLICY: PermissionPolicy = "auto";
const POLICIES: { value: PermissionPolicy; label: string; hint: string; note?: string }[] = [
  { value: "auto", label: "Auto", hint: "The supervisor approves routine requests and asks you about risky ones.", note: "Recommended" },
  { value: "ask", label: "Ask", hint: "Every permission request waits for you. Slow, but nothing happens unseen." },
  { value: "bypass", label: "Bypass", hint: "Claude Code runs without permission prompts. Only in a sandbox.", note: "Risky" },
];

function AgentForm({ agent }: { agent?: AgentPublic }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [name, setName] = useState(agent?.name ?? "");
  const models = useQuery(modelsQuery());
  // null until the user picks one: a new agent takes the first model their keys open
  const [picked, setModel] = useState<string | null>(agent?.model ?? null);
  const model = picked ?? models.data?.[0]?.id ?? FALLBACK_MODEL;
  const [identity, setIdentity] = useState(agent?.identity ?? "");
  const [rules, setRules] = useState(agent?.global_rules ?? "");
  const [tools, setTools] = useState((agent?.tools ?? []).join(", "));
  const [mcp, setMcp] = useState(JSON.stringify(agent?.mcp_servers ?? {}, null, 2));
  const [policy, setPolicy] = useState<PermissionPolicy>(agent?.permission_policy ?? DEFAULT_POLICY);
  const [touched, setTouched] = useState(false);
  const [advanced, setAdvanced] = useState(Boolean(agent?.tools.length || Object.keys(agent?.mcp_servers ?? {}).length));

  let mcpError: string | null = null;
  let mcpValue: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(mcp || "{}");
    if (!v || typeof v !== "object" || Array.isArray(v)) mcpError = "Must be a JSON object, e.g. {\"github\": {\"command\": \"…\"}}";
    else mcpValue = v as Record<string, unknown>;
  } catch (e) {
    mcpError = `Not valid JSON: ${(e as Error).message}`;
  }
  const nameError = name.trim() ? null : "A name is required";
  const modelError = MODEL_RE.test(model.trim()) ? null : "Use provider/model, e.g. anthropic/claude-opus-4-6";
  const valid = !nameError && !modelError && !mcpError;

  const save = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        model: model.trim(),
        identity,
        global_rules: rules,
        tools: tools.split(/[,\n]/).map((t) => t.trim()).filter(Boolean),
        mcp_servers: mcpValue,
        permission_policy: policy,
      };
      return agent
        ? unwrap(api.PUT("/api/agents/{agent_id}", { params: { path: { agent_id: agent.id } }, body }))
        : unwrap(api.POST("/api/agents", { body }));
    },
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: qk.agents });
      toast.success(agent ? "Agent saved" : `Agent “${a.name}” created`);
      navigate(`/agents/${a.id}`);
    },
  });

  const form = useRef<HTMLFormElement>(null);
  function submit(e: FormEvent) {
    e.preventDefault();
    if (valid) {
      setTouched(true);
      save.mutate();
      return;
    }
    // Rendered now (the collapsed part opened when the error is there), so the first error can be
    // found, focused and scrolled to.
    flushSync(() => {
      setTouched(true);
      if (mcpError) setAdvanced(true);
    });
    focusFirstInvalid(form.current);
  }

  return (
    <form ref={form} onSubmit={submit} className="space-y-4" noValidate>
      <Card className="space-y-4">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} onBlur={() => setTouched(true)} placeholder="Web developer" error={touched ? nameError : null} required maxLength={100} />
        <div>
          <TextField label="Model" value={model} onChange={(e) => setModel(e.target.value)} list="model-options" error={modelError} hint={modelHint(models.data?.length ?? 0)} required />
          <datalist id="model-options">
            {(models.data ?? []).map((m) => (
              <option key={m.id} value={m.id} />
            ))}
          </datalist>
        </div>
        <TextArea label="Identity" value={identity} onChange={(e) => setIdentity(e.target.value)} rows={5} hint="Who the agent is and how it works, e.g. “A careful senior web developer who writes tests first.”" />
        <TextArea label="Global rules" value={rules} onChange={(e) => setRules(e.target.value)} rows={6} hint="Saved as RULES.md; applies to every project of this agent." />
      </Card>
      <Card>
        <fieldset>
          <legend className="text-lg font-semibold">Permission policy</legend>
          <p className="text-sm text-slate-700 dark:text-slate-300">What happens when Claude Code asks to run a command or write a file.</p>
          <div className="mt-3 grid gap-3 sm:grid-cols-3">
            {POLICIES.map((p) => (
              <label
                key={p.value}
                className={cx(
                  "flex min-h-24 cursor-pointer gap-3 rounded-lg border-2 p-3 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-blue-600",
                  policy === p.value ? "border-blue-700 bg-blue-50 dark:border-blue-400 dark:bg-blue-950" : "border-slate-200 hover:border-slate-400 dark:border-slate-700 dark:hover:border-slate-500",
                )}
              >
                <input type="radio" name="policy" value={p.value} checked={policy === p.value} onChange={() => setPolicy(p.value)} className="mt-1 size-4 shrink-0" />
                <span>
                  <span className="flex flex-wrap items-center gap-2">
                    <span className="text-base font-semibold">{p.label}</span>
                    {p.note && (
                      <span className={cx("rounded-full px-2 py-0.5 text-xs font-medium", p.value === DEFAULT_POLICY ? "bg-green-100 text-green-900 dark:bg-green-950 dark:text-green-200" : "bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200")}>
                        {p.note}
                      </span>
                    )}
                  </span>
                  <span className="mt-1 block text-sm text-slate-700 dark:text-slate-300">{p.hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
      </Card>
      <Card>
        <details open={advanced} onToggle={(e) => setAdvanced(e.currentTarget.open)}>
          <summary className="cursor-pointer font-semibold">
            Advanced <span className="font-normal text-slate-600 dark:text-slate-400">· tools and MCP servers{mcpError ? " · needs a fix" : ""}</span>
          </summary>
          <div className="mt-4 space-y-4">
            <TextField label="Tools" value={tools} onChange={(e) => setTools(e.target.value)} hint={TOOLS_HINT} />
            <TextArea label="MCP servers (JSON)" value={mcp} onChange={(e) => setMcp(e.target.value)} rows={5} error={mcpError} spellCheck={false} />
          </div>
        </details>
      </Card>
      <div className="flex gap-2">
        <Button type="submit" variant="primary" busy={save.isPending}>
          {agent ? "Save agent" : "Create agent"}
        </Button>
        <Button onClick={() => navigate(-1)}>Cancel</Button>
      </div>
    </form>
  );
}

function modelHint(offered: number): string {
  return offered
    ? "provider/model: pick one your keys open, or type another"
    : "provider/model. Add a key in Settings to see your providers’ models here.";
}

export default function AgentBuilderPage() {
  const id = useIdParam("agentId");
  const agent = useQuery({ ...agentQuery(id ?? 0), enabled: id !== null });
  usePageTitle(id ? "Edit agent" : "New agent");
  if (id !== null && agent.isPending) return <Loading />;
  if (id !== null && agent.isError) return <ErrorBox error={agent.error} />;
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title={id ? `Edit ${agent.data?.name ?? "agent"}` : "New agent"} />
      <AgentForm key={agent.data?.id ?? "new"} agent={agent.data} />
    </div>
  );
}
