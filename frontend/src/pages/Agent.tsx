import { useState } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { agentProjectsQuery, agentQuery, qk } from "../api/queries";
import type { AgentPublic } from "../api/types";
import { useIdParam } from "../lib/params";
import { planProgress } from "../lib/plan";
import { sortProjectsForDashboard } from "../lib/status";
import { usePageTitle } from "../components/PageTitle";
import { StatusBadge } from "../components/StatusBadge";
import { RelativeTime } from "../components/RelativeTime";
import { ConfirmButton } from "../components/ConfirmButton";
import { Button, Card, ErrorBox, Loading, PageHeader, TextArea } from "../components/ui";
import { DELETE_AGENT_BODY } from "../lib/copy";

function RulesEditor({ agent }: { agent: AgentPublic }) {
  const qc = useQueryClient();
  const [rules, setRules] = useState(agent.global_rules);
  const save = useMutation({
    mutationFn: () => unwrap(api.PUT("/api/agents/{agent_id}", { params: { path: { agent_id: agent.id } }, body: { global_rules: rules } })),
    onSuccess: (a) => {
      qc.setQueryData(qk.agent(a.id), a);
      toast.success("Rules saved");
    },
  });
  const dirty = rules !== agent.global_rules;
  return (
    <Card className="space-y-3">
      <TextArea label="Global rules" rows={8} value={rules} onChange={(e) => setRules(e.target.value)} hint="RULES.md: what this agent always does, in every project." />
      <div className="flex gap-2">
        <Button variant="primary" busy={save.isPending} disabled={!dirty} onClick={() => save.mutate()}>
          Save rules
        </Button>
        {dirty && <Button onClick={() => setRules(agent.global_rules)}>Discard</Button>}
      </div>
    </Card>
  );
}

export default function AgentPage() {
  const id = useIdParam("agentId") ?? 0;
  const navigate = useNavigate();
  const qc = useQueryClient();
  const agent = useQuery(agentQuery(id));
  const projects = useQuery(agentProjectsQuery(id));
  usePageTitle(agent.data?.name ?? "Agent");
  const del = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/agents/{agent_id}", { params: { path: { agent_id: id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: qk.agents });
      void qc.invalidateQueries({ queryKey: qk.projects });
      toast.success("Agent deleted");
      navigate("/");
    },
  });
  if (agent.isPending) return <Loading />;
  if (agent.isError) return <ErrorBox error={agent.error} onRetry={() => void agent.refetch()} />;
  const a = agent.data;
  return (
    <div className="mx-auto max-w-4xl space-y-5">
      <PageHeader
        title={a.name}
        actions={
          <>
            <Link to={`/agents/${a.id}/projects/new`} className="inline-flex min-h-10 items-center rounded-md bg-blue-700 px-3 py-2 text-sm font-medium text-white hover:bg-blue-800 dark:bg-blue-500 dark:text-slate-950">
              + New project
            </Link>
            <Link to={`/agents/${a.id}/edit`} className="inline-flex min-h-10 items-center rounded-md border border-slate-300 px-3 py-2 text-sm font-medium hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800">
              Edit agent
            </Link>
            <ConfirmButton label="Delete agent" title={`Delete agent “${a.name}”?`} body={DELETE_AGENT_BODY} confirmLabel={`Delete ${a.name}`} onConfirm={() => del.mutateAsync()} />
          </>
        }
      >
        <p className="text-slate-700 dark:text-slate-300">
          <span className="font-mono text-sm">{a.model}</span> · permissions: {a.permission_policy}
          {a.tools.length > 0 && ` · tools: ${a.tools.join(", ")}`}
        </p>
      </PageHeader>
      {a.identity && (
        <Card>
          <h2 className="text-sm font-semibold text-slate-600 dark:text-slate-400">Identity</h2>
          <p className="mt-1 whitespace-pre-wrap">{a.identity}</p>
        </Card>
      )}
      <section aria-labelledby="projects-h" className="space-y-2">
        <h2 id="projects-h" className="text-lg font-semibold">
          Projects
        </h2>
        {projects.isPending ? (
          <Loading />
        ) : projects.isError ? (
          <ErrorBox error={projects.error} />
        ) : projects.data.length === 0 ? (
          <p className="text-slate-700 dark:text-slate-300">No projects yet. Press “+ New project” to give this agent a goal.</p>
        ) : (
          <ul className="divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
            {sortProjectsForDashboard(projects.data).map((p) => (
              <li key={p.id}>
                <Link to={`/projects/${p.id}`} className="flex flex-wrap items-center gap-x-3 gap-y-1 p-3 hover:bg-slate-50 dark:hover:bg-slate-800">
                  {/* a phone: name and status on the first line, progress and time under them */}
                  <span className="min-w-0 flex-1 truncate font-medium">{p.name}</span>
                  <span className="sm:order-last">
                    <StatusBadge status={p.status} />
                  </span>
                  <span className="flex min-w-0 basis-full gap-x-3 text-sm text-slate-600 sm:basis-auto dark:text-slate-400">
                    <span className="min-w-0 truncate">{planProgress(p).label}</span>
                    <RelativeTime iso={p.last_activity_at ?? p.updated_at} />
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <RulesEditor key={a.updated_at} agent={a} />
    </div>
  );
}
