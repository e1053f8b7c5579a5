import { useRef, useState, type FormEvent } from "react";
import { flushSync } from "react-dom";
import { useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { agentQuery, qk } from "../api/queries";
import type { AgentPublic, PermissionPolicy } from "../api/types";
import { useIdParam } from "../lib/params";
import { usePageTitle } from "../components/PageTitle";
import { Button, Card, ErrorBox, Loading, PageHeader, TextArea, TextField } from "../components/ui";
import { toast } from "sonner";
import { TOOLS_HINT } from "../lib/copy";
import { focusFirstInvalid } from "../lib/forms";

const MODEL_RE = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._:/-]+$/;
const MODELS = ["anthropic/claude-opus-4-6", "anthropic/claude-sonnet-4-5", "openai/gpt-5.3-codex"];
const POLICIES: { value: PermissionPolicy; label: string; hint: string }[] = [
  { value: "auto", label: "Auto", hint: "The supervisor approves routine requests and asks you about risky ones." },
  { value: "ask", label: "Ask", hint: "Every permission request waits for you." },
  { value: "bypass", label: "Bypass", hint: "Claude Code runs without permission prompts. Only in a sandbox." },
];

function AgentForm({ agent }: { agent?: AgentPublic }) {
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [name, setName] = useState(agent?.name ?? "");
  const [model, setModel] = useState(agent?.model ?? MODELS[0]!);
  const [identity, setIdentity] = useState(agent?.identity ?? "");
  const [rules, setRules] = useState(agent?.global_rules ?? "");
  const [tools, setTools] = useState((agent?.tools ?? []).join(", "));
  const [mcp, setMcp] = useState(JSON.stringify(agent?.mcp_servers ?? {}, null, 2));
  const [policy, setPolicy] = useState<PermissionPolicy>(agent?.permission_policy ?? "auto");
  const [touched, setTouched] = useState(false);

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
    // Rendered now, so the first error can be found, focused and scrolled to.
    flushSync(() => setTouched(true));
    focusFirstInvalid(form.current);
  }

  return (
    <form ref={form} onSubmit={submit} className="space-y-4" noValidate>
      <Card className="space-y-4">
        <TextField label="Name" value={name} onChange={(e) => setName(e.target.value)} onBlur={() => setTouched(true)} placeholder="Web developer" error={touched ? nameError : null} required maxLength={100} />
        <div>
          <TextField label="Model" value={model} onChange={(e) => setModel(e.target.value)} list="model-options" error={modelError} hint="provider/model" required />
          <datalist id="model-options">
            {MODELS.map((m) => (
              <option key={m} value={m} />
            ))}
          </datalist>
        </div>
        <TextArea label="Identity" value={identity} onChange={(e) => setIdentity(e.target.value)} rows={5} hint="Who the agent is and how it works, e.g. “A careful senior web developer who writes tests first.”" />
        <TextArea label="Global rules" value={rules} onChange={(e) => setRules(e.target.value)} rows={6} hint="Saved as RULES.md; applies to every project of this agent." />
      </Card>
      <Card className="space-y-4">
        <TextField label="Tools" value={tools} onChange={(e) => setTools(e.target.value)} hint={TOOLS_HINT} />
        <TextArea label="MCP servers (JSON)" value={mcp} onChange={(e) => setMcp(e.target.value)} rows={5} error={mcpError} spellCheck={false} />
        <fieldset>
          <legend className="text-sm font-medium">Permission policy</legend>
          <div className="mt-2 space-y-2">
            {POLICIES.map((p) => (
              <label key={p.value} className="flex cursor-pointer items-start gap-2 rounded-md p-2 hover:bg-slate-100 dark:hover:bg-slate-800">
                <input type="radio" name="policy" value={p.value} checked={policy === p.value} onChange={() => setPolicy(p.value)} className="mt-1" />
                <span>
                  <span className="font-medium">{p.label}</span>
                  <span className="block text-sm text-slate-600 dark:text-slate-400">{p.hint}</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>
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
