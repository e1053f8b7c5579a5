import { Link } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { agentsQuery, keysQuery, projectsQuery } from "../api/queries";
import type { AgentPublic, ProjectPublic } from "../api/types";
import { planProgress } from "../lib/plan";
import { STATUS, sortProjectsForDashboard } from "../lib/status";
import { formatTokens } from "../lib/format";
import { usePageTitle } from "../components/PageTitle";
import { StatusBadge } from "../components/StatusBadge";
import { RelativeTime } from "../components/RelativeTime";
import { ProgressBar } from "../components/ProgressBar";
import { ErrorBox, Loading, PageHeader, cx } from "../components/ui";
import { Onboarding } from "../features/onboarding/Onboarding";

// The reason a project waits or stopped, in the colour of its status.
const REASON_TONE: Partial<Record<ProjectPublic["status"], string>> = {
  needs_help: "text-amber-900 dark:text-amber-200",
  failed: "text-red-800 dark:text-red-300",
};

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
        {p.reason && (
          <p className={cx("mt-2 truncate text-sm", REASON_TONE[p.status] ?? "text-slate-700 dark:text-slate-300")} title={p.reason.message} data-testid="card-reason">
            {STATUS[p.status].icon} {p.reason.message}
          </p>
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

export function DashboardPage() {
  usePageTitle("Dashboard");
  const projects = useQuery(projectsQuery());
  const agents = useQuery(agentsQuery());
  const keys = useQuery(keysQuery());
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
      <Onboarding keys={keys.data} agents={agents.data} projects={sorted.length} />
      {sorted.length > 0 && (
        <ul className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3" aria-label="Projects">
          {sorted.map((p) => (
            <ProjectCard key={p.id} p={p} agent={byId.get(p.agent_id)} />
          ))}
        </ul>
      )}
    </div>
  );
}
