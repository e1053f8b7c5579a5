import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { Id } from "../../api/types";
import { Button, ErrorBox, Loading, cx } from "../../components/ui";
import { formatBytes } from "./format";

/** Browse the project's workspace (read-only) and download it as a .tar.gz. */
export function FilesPane({ projectId, slug }: { projectId: Id; slug: string }) {
  const [dir, setDir] = useState("");
  const [file, setFile] = useState<string | null>(null);
  const listing = useQuery({
    queryKey: ["files", projectId, dir],
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}/files", { params: { path: { project_id: projectId }, query: { path: dir } } })),
  });
  const content = useQuery({
    queryKey: ["file", projectId, file],
    enabled: file !== null,
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/files/content", { params: { path: { project_id: projectId }, query: { path: file ?? "" } } })),
  });
  const download = useMutation({
    mutationFn: async () => {
      const r = await api.GET("/api/projects/{project_id}/archive", { params: { path: { project_id: projectId } }, parseAs: "blob" });
      if (!r.response.ok || !r.data) throw new ApiError(r.response.status, "Could not download the workspace");
      const url = URL.createObjectURL(r.data as Blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = `${slug}.tar.gz`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
    onError: (e) => toast.error(e instanceof Error ? e.message : "Download failed"),
  });
  const crumbs = dir ? dir.split("/") : [];

  return (
    <div className="flex h-full min-h-80 flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <nav aria-label="Folder" className="flex min-w-0 flex-wrap items-center gap-1 text-sm">
          <button type="button" className="rounded px-1 font-medium text-blue-700 hover:underline dark:text-blue-300" onClick={() => { setDir(""); setFile(null); }}>
            {slug}
          </button>
          {crumbs.map((part, i) => (
            <span key={`${i}-${part}`} className="flex items-center gap-1">
              <span aria-hidden="true" className="text-slate-400">/</span>
              <button type="button" className="rounded px-1 text-blue-700 hover:underline dark:text-blue-300" onClick={() => { setDir(crumbs.slice(0, i + 1).join("/")); setFile(null); }}>
                {part}
              </button>
            </span>
          ))}
        </nav>
        <Button busy={download.isPending} onClick={() => download.mutate()}>
          <span aria-hidden="true">⤓</span> Download .tar.gz
        </Button>
      </div>
      <div className="grid min-h-0 flex-1 gap-3 md:grid-cols-[minmax(12rem,18rem)_1fr]">
        <div className="min-h-0 overflow-auto rounded-lg border border-slate-200 dark:border-slate-800">
          {listing.isPending && <Loading label="Loading files…" />}
          {listing.isError && <ErrorBox error={listing.error} onRetry={() => void listing.refetch()} />}
          {listing.data && listing.data.length === 0 && <p className="p-3 text-sm text-slate-600 dark:text-slate-400">This folder is empty.</p>}
          <ul className="divide-y divide-slate-100 dark:divide-slate-800">
            {listing.data?.map((e) => (
              <li key={e.path}>
                <button
                  type="button"
                  className={cx(
                    "flex w-full items-center justify-between gap-2 px-3 py-2 text-left text-sm hover:bg-slate-50 dark:hover:bg-slate-900",
                    file === e.path && "bg-blue-50 dark:bg-blue-950",
                  )}
                  onClick={() => (e.kind === "dir" ? (setDir(e.path), setFile(null)) : setFile(e.path))}
                >
                  <span className="truncate">
                    <span aria-hidden="true">{e.kind === "dir" ? "📁 " : "📄 "}</span>
                    {e.name}
                  </span>
                  {e.kind === "file" && <span className="shrink-0 text-xs text-slate-500 dark:text-slate-400">{formatBytes(e.size)}</span>}
                </button>
              </li>
            ))}
          </ul>
        </div>
        <div className="min-h-40 overflow-auto rounded-lg border border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950">
          {file === null && <p className="p-3 text-sm text-slate-600 dark:text-slate-400">Choose a file to read it.</p>}
          {file !== null && content.isPending && <Loading label="Loading file…" />}
          {file !== null && content.isError && <ErrorBox error={content.error} />}
          {content.data && file !== null && (
            content.data.text === null ? (
              <p className="p-3 text-sm">Binary file ({formatBytes(content.data.size)}): download the workspace to open it.</p>
            ) : (
              <pre aria-label={`Contents of ${content.data.path}`} className="whitespace-pre-wrap break-words p-3 font-mono text-xs">
                {content.data.text}
                {content.data.truncated && "\n… (first megabyte shown)"}
              </pre>
            )
          )}
        </div>
      </div>
    </div>
  );
}
