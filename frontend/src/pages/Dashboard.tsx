import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { agentsQuery, projectsQuery } from "../api/queries";
import type { AgentPublic, ProjectPublic } from "../api/types";
import { planProgress } from "../lib/plan";
import { STATUS, sortProjectsForDashboard } from "../lib/status";
import { formatTokens } from "../lib/format";
import { usePageTitle } from "../components/PageTitle";
import { StatusBadge } from "../components/StatusBadge";
import { RelativeTime } from "../components/RelativeTime";
import { ProgressBar } from "../components/ProgressBar";
import { ErrorBox, Loading, PageHeader, cx } from "../components/ui";

function ProjectCard({ p, agent }: { p: ProjectPublic; agent: AgentPublic | undefined }) {
  const prog = planProgress(p);
  return (
    <li className="min-w-0">
      <Link
        to={`/projects/${p.id}`}
        className={cx(
          "block h-full rounded-lg border border-l-4 border-slate-200 bg-white p-4 shadow-sm hover:border-slate-300 hover:shadow dark:border-slate-800 dark:bg-slate-900 dark:hover:border-slate-700",
          STATUS[p.status].accent,
        )}
      >
        <div className="flex items-start justify-between gap-2">
          <div className="min-w-0">
            <h2 className="truncate text-lg font-semibold">{p.name}</h2>
            {agent && <p className="truncate text-sm text-slate-600 dark:text-slate-400">{agent.name}</p>}
          </div>
          <StatusBadge status={p.status} />
        </div>
        {p.status === "needs_help" && p.status_reason && (
          <p className="mt-2 line-clamp-2 text-sm text-amber-900 dark:text-amber-200">⚠ {p.status_reason}</p>
        )}
        <p className="mt-3 truncate text-sm">{prog.label}</p>
        <div className="mt-2">
          <ProgressBar percent={prog.percent} label={`${p.name} progress`} />
        </div>
        <p className="mt-3 flex flex-wrap justify-between gap-2 text-sm text-slate-600 dark:text-slate-400">
          <RelativeTime iso={p.last_activity_at ?? p.updated_at} prefix="active" />
          <span title={`${p.input_tokens} in · ${p.output_tokens} out`}>
            {formatTokens(p.input_tokens + p.output_tokens)} tokens
            {p.budget_tokens ? ` / ${formatTokens(p.budget_tokens)}` : ""}
          </span>
        </p>
      </Link>
    </li>
  );
}

function EmptyState({ hasAgents }: { hasAgents: boolean }) {
  const steps: [string, string, string][] = [
    ["Add a key", "In Settings, add an Anthropic API key or a Claude subscription token.", "/settings"],
    ["Build an agent", "Give it a model, an identity and the rules it always follows.", "/agents/new"],
    ["Start a project", "Describe a goal, optionally a plan, and press Start.", "/agents/new"],
  ];
  return (
    <section aria-labelledby="empty-title" className="mx-auto max-w-2xl rounded-lg border border-dashed border-slate-300 p-6 dark:border-slate-700">
      <h2 id="empty-title" className="text-xl font-semibold">
        No projects yet
      </h2>
      <p className="mt-1 text-slate-700 dark:text-slate-300">Three steps to your first agent at work:</p>
      <ol className="mt-4 space-y-3">
        {steps.map(([title, text, to], i) => (
          <li key={title} className="flex gap-3">
            <span className="grid size-8 shrink-0 place-items-center rounded-full bg-blue-100 font-semibold text-blue-900 dark:bg-blue-950 dark:text-blue-100">{i + 1}</span>
            <div>
              <Link to={i === 2 && hasAgents ? "/" : to} className="font-medium text-blue-700 underline dark:text-blue-300">
                {title}
              </Link>
              <p className="text-sm text-slate-700 dark:text-slate-300">{i === 2 && hasAgents ? "Open one of your agents in the menu and press “+ New project”." : text}</p>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

export function DashboardPage() {
  usePageTitle("Dashboard");
  const projects = useQuery(projectsQuery());
  const agents = useQuery(agentsQuery());
  if (projects.isPending) return <Loading />;
  if (projects.isError) return <ErrorBox error={projects.error} onRetry={() => void projects.refetch()} />;
  const byId = new Map((agents.data ?? []).map((a) => [a.id, a]));
  const sorted = sortProjectsForDashboard(projects.data);
  const help = sorted.filter((p) => p.status === "needs_help").length;
  return (
    <div className="mx-auto max-w-6xl">
      <PageHeader title="Dashboard">
        <p className="text-slate-700 dark:text-slate-300">
          {sorted.length === 0
            ? "Nothing running yet."
            : help
              ? `${help} project${help > 1 ? "s need" : " needs"} you.`
              : "All agents are fine."}
        </p>
      </PageHeader>
      {sorted.length === 0 ? (
        <EmptyState hasAgents={(agents.data?.length ?? 0) > 0} />
      ) : (
        <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3" aria-label="Projects">
          {sorted.map((p) => (
            <ProjectCard key={p.id} p={p} agent={byId.get(p.agent_id)} />
          ))}
        </ul>
      )}
    </div>
  );
}
