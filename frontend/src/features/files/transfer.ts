/** Talking to the workspace's file endpoints where the typed client needs help: multipart
 * uploads, downloads as blobs, and what a drop on the page holds. */
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { Id } from "../../api/types";
import { type Outgoing, outgoing, uploadForm } from "./paths";

export async function upload(projectId: Id, dir: string, items: Outgoing[], overwrite: boolean) {
  return unwrap(
    api.POST("/api/projects/{project_id}/files/upload", {
      params: { path: { project_id: projectId }, query: { path: dir, overwrite } },
      body: { files: [] }, // the FormData below is what is sent
      bodySerializer: () => uploadForm(items),
    }),
  );
}

function save(blob: Blob, name: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function fileName(res: Response, fallback: string): string {
  const header = res.headers.get("content-disposition") ?? "";
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star?.[1]) return decodeURIComponent(star[1]);
  const plain = /filename="([^"]+)"/i.exec(header);
  return plain?.[1] ?? fallback;
}

async function failure(res: Response, what: string): Promise<ApiError> {
  let detail = what;
  try {
    const body = (await res.json()) as { detail?: unknown };
    if (typeof body.detail === "string") detail = body.detail;
  } catch {
    // not JSON: keep the general message
  }
  return new ApiError(res.status, detail);
}

/** The workspace, or one folder of it, as a .zip or .tar.gz download. */
export async function downloadArchive(projectId: Id, slug: string, folder: string, format: "zip" | "tar.gz") {
  const params = { path: { project_id: projectId }, query: { format, path: folder || undefined } };
  const r = await api.GET("/api/projects/{project_id}/archive", { params, parseAs: "blob" });
  if (!r.response.ok || !r.data) throw await failure(r.response, "Could not download the workspace");
  const base = folder ? `${slug}-${folder.split("/").pop() ?? ""}` : slug;
  save(r.data as Blob, fileName(r.response, `${base}.${format}`));
}

export async function downloadFile(projectId: Id, path: string) {
  const r = await api.GET("/api/projects/{project_id}/files/raw", {
    params: { path: { project_id: projectId }, query: { path } },
    parseAs: "blob",
  });
  if (!r.response.ok || !r.data) throw await failure(r.response, "Could not download the file");
  save(r.data as Blob, fileName(r.response, path.split("/").pop() ?? "file"));
}

const MAX_DROPPED = 5000;

/** Files dropped on the page, folders walked (read before the event ends, as browsers require). */
export async function dropped(dt: DataTransfer): Promise<Outgoing[]> {
  const entries = [...dt.items]
    .filter((i) => i.kind === "file")
    .map((i) => (typeof i.webkitGetAsEntry === "function" ? i.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => e === null)) return outgoing(dt.files);
  const out: Outgoing[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string, depth: number): Promise<void> => {
    if (out.length >= MAX_DROPPED || depth > 32) return;
    if (entry.isFile) {
      const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
      out.push({ file, path: `${prefix}${file.name}` });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, `${prefix}${entry.name}/`, depth + 1);
        if (out.length >= MAX_DROPPED) break;
      }
    }
  };
  for (const entry of entries) if (entry) await walk(entry, "", 0);
  return out;
}
