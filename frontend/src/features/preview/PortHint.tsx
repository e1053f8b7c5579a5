import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { Id } from "../../api/types";
import { Button } from "../../components/ui";

const POLL_MS = 3000;

/** The listening ports of the project's session, polled (shared by the hint and the pane). */
export function usePorts(projectId: Id) {
  return useQuery({
    queryKey: ["ports", projectId],
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}/ports", { params: { path: { project_id: projectId } } })),
    refetchInterval: POLL_MS,
    refetchIntervalInBackground: false,
  });
}

export function uniquePorts(list: { port: number; command: string }[] | undefined): { port: number; command: string }[] {
  const seen = new Map<number, string>();
  for (const p of list ?? []) if (!seen.has(p.port)) seen.set(p.port, p.command);
  return [...seen].map(([port, command]) => ({ port, command }));
}

/** A line above the tabs as soon as a dev server listens: "Port 5173 is listening · Preview". */
export function PortHint({ projectId, onOpen, hidden }: { projectId: Id; onOpen: () => void; hidden?: boolean }) {
  const ports = uniquePorts(usePorts(projectId).data);
  if (hidden || ports.length === 0) return null;
  const names = ports.map((p) => p.port).join(", ");
  return (
    <div role="status" className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900 dark:border-emerald-900 dark:bg-emerald-950 dark:text-emerald-100">
      <span className="min-w-0 break-words">
        <span aria-hidden="true">● </span>
        {ports.length === 1 ? `Port ${names} is listening` : `Ports ${names} are listening`}
      </span>
      <Button variant="ghost" className="min-h-8 px-2 py-1" onClick={onOpen}>
        Preview <span aria-hidden="true">›</span>
      </Button>
    </div>
  );
}
