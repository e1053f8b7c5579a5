import { useEffect, useState } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { wsTicket, wsUrl } from "../../api/client";
import { qk } from "../../api/queries";
import type { Id, LogPublic, ProjectPublic } from "../../api/types";
import { ReconnectingEventStream, type StreamStatus } from "../../lib/eventStream";

const MAX_LOGS = 5000;

/** Live logs and project state over the events WebSocket; state goes straight into the query cache. */
export function useProjectEvents(projectId: Id): { logs: LogPublic[]; status: StreamStatus; detail: string | null } {
  const qc = useQueryClient();
  const [logs, setLogs] = useState<LogPublic[]>([]);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const [detail, setDetail] = useState<string | null>(null);

  useEffect(() => {
    setLogs([]);
    let pending: LogPublic[] = [];
    let frame: number | null = null;
    // Batch bursts (catch-up pages of hundreds of rows) into one render.
    const flush = () => {
      frame = null;
      const batch = pending;
      pending = [];
      setLogs((prev) => {
        const next = prev.concat(batch);
        return next.length > MAX_LOGS ? next.slice(next.length - MAX_LOGS) : next;
      });
    };
    const stream = new ReconnectingEventStream({
      getTicket: wsTicket,
      url: (ticket, afterId) => wsUrl(`/ws/projects/${projectId}/events`, { ticket, after_id: afterId }),
      onEvent: (ev) => {
        if (ev.type === "log") {
          pending.push(ev.entry);
          frame ??= requestAnimationFrame(flush);
        } else {
          const p: ProjectPublic = ev.project;
          const known = qc.getQueryData<ProjectPublic>(qk.project(projectId));
          qc.setQueryData(qk.project(projectId), p);
          // The snapshot sent on connect is usually what the page just fetched: the project
          // list (and every page showing it) is fetched again only when something changed.
          if (JSON.stringify(known) !== JSON.stringify(p)) void qc.invalidateQueries({ queryKey: qk.projects, exact: true });
        }
      },
      onStatus: (s, d) => {
        setStatus(s);
        setDetail(d ?? null);
      },
    });
    stream.start();
    return () => {
      stream.stop();
      if (frame !== null) cancelAnimationFrame(frame);
    };
  }, [projectId, qc]);

  return { logs, status, detail };
}
