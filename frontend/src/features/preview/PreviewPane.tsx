import { useEffect, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import type { Id } from "../../api/types";
import { Button, ErrorBox, Loading, cx } from "../../components/ui";
import { shortCommand } from "./format";
import { uniquePorts, usePorts } from "./PortHint";

async function previewLink(projectId: Id, port: number): Promise<string> {
  const r = await unwrap(api.POST("/api/projects/{project_id}/ports/{port}/preview", { params: { path: { project_id: projectId, port } } }));
  return r.url;
}

/** The live preview of what the project serves: pick a port, see its page in a frame. */
export default function PreviewPane({ projectId }: { projectId: Id }) {
  const ports = usePorts(projectId);
  const list = uniquePorts(ports.data);
  const [chosen, setChosen] = useState<number | null>(null);
  const port = chosen !== null && list.some((p) => p.port === chosen) ? chosen : (list[0]?.port ?? null);
  const [src, setSrc] = useState<{ port: number; url: string } | null>(null);

  // Each load of the frame uses a fresh one-time link (it becomes the preview's own cookie).
  const load = useMutation({
    mutationFn: (p: number) => previewLink(projectId, p).then((url) => ({ port: p, url })),
    onSuccess: setSrc,
    onError: (e) => toast.error(e instanceof Error ? e.message : "Could not open the preview"),
  });
  const { mutate, isPending } = load;
  const [asked, setAsked] = useState<number | null>(null);
  useEffect(() => {
    // Once per port shown (a failed link is retried with Reload, not in a loop). A link is
    // spent once the frame used it: a port that goes and comes back gets a new one.
    if (port === null) {
      setAsked(null);
      setSrc(null);
    } else if (asked !== port) {
      setAsked(port);
      mutate(port);
    }
  }, [port, asked, mutate]);

  const openTab = async () => {
    if (port === null) return;
    // Opened at once (a click's popup), pointed at the link when it comes; no way back to us.
    const w = window.open("about:blank", "_blank");
    if (w) w.opener = null;
    try {
      const url = await previewLink(projectId, port);
      if (w) w.location.href = url;
      else window.location.assign(url);
    } catch (e) {
      w?.close();
      toast.error(e instanceof Error ? e.message : "Could not open the preview");
    }
  };

  if (ports.isPending) return <Loading label="Looking for listening ports…" />;
  if (ports.isError) return <ErrorBox error={ports.error} onRetry={() => void ports.refetch()} />;
  if (port === null) {
    return (
      <div className="flex h-full flex-col items-center justify-center gap-2 p-6 text-center text-sm text-slate-600 dark:text-slate-400">
        <p className="font-medium text-slate-800 dark:text-slate-200">Nothing is listening yet</p>
        <p className="max-w-md">
          When a dev server starts in this project (for example <code>npm run dev</code> or <code>python3 -m http.server</code>), its port shows here and
          its page opens in this tab.
        </p>
      </div>
    );
  }
  return (
    <div className="flex h-full min-h-80 flex-col gap-2 p-2">
      <div className="flex flex-wrap items-center gap-2">
        <label className="flex min-w-0 items-center gap-2 text-sm">
          <span className="text-slate-600 dark:text-slate-400">Port</span>
          <select
            className="min-h-10 max-w-[14rem] truncate rounded-md border border-slate-300 bg-white px-2 text-sm dark:border-slate-700 dark:bg-slate-900"
            value={port}
            onChange={(e) => setChosen(Number(e.target.value))}
          >
            {list.map((p) => (
              <option key={p.port} value={p.port}>
                {p.port} · {shortCommand(p.command).slice(0, 40)}
              </option>
            ))}
          </select>
        </label>
        <div className="ml-auto flex flex-wrap gap-2">
          <Button busy={isPending} onClick={() => mutate(port)} aria-label="Reload the preview">
            <span aria-hidden="true">↻</span> Reload
          </Button>
          <Button onClick={() => void openTab()}>
            <span aria-hidden="true">↗</span> Open in new tab
          </Button>
        </div>
      </div>
      <div className={cx("relative min-h-0 flex-1 overflow-hidden rounded-md border border-slate-200 bg-white dark:border-slate-800")}>
        {src && src.port === port ? (
          <iframe
            key={src.url}
            src={src.url}
            title={`Preview of port ${port}`}
            className="h-full w-full"
            // Its own origin (the preview's), never ours; no navigating this app away.
            sandbox="allow-scripts allow-same-origin allow-forms allow-popups allow-modals allow-downloads"
            referrerPolicy="no-referrer"
          />
        ) : (
          <Loading label="Opening the preview…" />
        )}
      </div>
    </div>
  );
}
