import { useEffect, useRef, useState, type DragEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { ApiError, messageOf } from "../../api/errors";
import type { Id } from "../../api/types";
import { Button, ErrorBox, Loading, cx } from "../../components/ui";
import { AskDialog, type Ask } from "./AskDialog";
import { CodeView } from "./CodeView";
import { formatBytes } from "./format";
import {
  CloseIcon,
  DownloadIcon,
  EditIcon,
  FileCodeIcon,
  FileIcon,
  FilePlusIcon,
  FolderIcon,
  FolderPlusIcon,
  RenameIcon,
  TrashIcon,
  UploadIcon,
} from "./icons";
import { languageFor } from "./languages";
import { baseName, joinPath, nameProblem, outgoing, parentOf, type Outgoing } from "./paths";
import { downloadArchive, downloadFile, dropped, upload } from "./transfer";

const PHONE = "(max-width: 767px)";

function inside(path: string, folder: string): boolean {
  return path === folder || path.startsWith(`${folder}/`);
}

/** The project's workspace: browse, read (highlighted), edit, upload, rename, delete, download. */
export function FilesPane({ projectId, slug }: { projectId: Id; slug: string }) {
  const qc = useQueryClient();
  const [dir, setDir] = useState("");
  const [file, setFile] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [ask, setAsk] = useState<Ask | null>(null);
  const [dragging, setDragging] = useState(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const folderInput = useRef<HTMLInputElement>(null);
  const viewer = useRef<HTMLElement>(null);

  const listing = useQuery({
    queryKey: ["files", projectId, dir],
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}/files", { params: { path: { project_id: projectId }, query: { path: dir } } })),
  });
  const content = useQuery({
    queryKey: ["file", projectId, file],
    enabled: file !== null,
    refetchOnWindowFocus: !editing,
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/files/content", { params: { path: { project_id: projectId }, query: { path: file ?? "" } } })),
  });

  // Folder uploads: the attribute React has no name for.
  useEffect(() => {
    folderInput.current?.setAttribute("webkitdirectory", "");
  }, []);

  // On a phone the viewer sits below the list: bring it into view when a file opens.
  useEffect(() => {
    if (file !== null && window.matchMedia(PHONE).matches) {
      viewer.current?.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  }, [file, editing]);

  const refresh = () => {
    void qc.invalidateQueries({ queryKey: ["files", projectId] });
  };
  const open = (path: string | null, edit = false) => {
    setFile(path);
    setEditing(edit);
  };

  const send = useMutation({
    mutationFn: ({ items, overwrite }: { items: Outgoing[]; overwrite: boolean }) => upload(projectId, dir, items, overwrite),
    meta: { silent: true }, // refusals show here: a dialog for names taken, a toast for the rest
    onSuccess: (r) => {
      toast.success(r.files.length === 1 ? `Uploaded ${r.files[0]?.path ?? ""}` : `Uploaded ${r.files.length} files`);
      refresh();
      void qc.invalidateQueries({ queryKey: ["file", projectId] });
    },
  });
  const startUpload = (items: Outgoing[]) => {
    if (items.length === 0) return;
    send.mutate(
      { items, overwrite: false },
      {
        onError: (e) => {
          if (e instanceof ApiError && e.status === 409) {
            setAsk({
              title: "Replace existing files?",
              body: <p>{e.message}. Uploading replaces them with the files you chose.</p>,
              confirmLabel: "Replace",
              danger: true,
              onConfirm: () => send.mutateAsync({ items, overwrite: true }),
            });
          } else {
            toast.error(messageOf(e));
          }
        },
      },
    );
  };

  const archive = useMutation({
    mutationFn: (format: "zip" | "tar.gz") => downloadArchive(projectId, slug, dir, format),
    meta: { silent: true },
    onError: (e) => toast.error(messageOf(e)),
  });

  const newFile = () =>
    setAsk({
      title: dir ? `New file in ${dir}` : "New file",
      input: { label: "File name", initial: "", check: nameProblem },
      confirmLabel: "Create",
      onConfirm: async (name) => {
        const path = joinPath(dir, name);
        await unwrap(
          api.PUT("/api/projects/{project_id}/files/content", {
            params: { path: { project_id: projectId }, query: { path } },
            body: { text: "", etag: null, overwrite: false },
          }),
        );
        refresh();
        open(path, true);
      },
    });
  const newFolder = () =>
    setAsk({
      title: dir ? `New folder in ${dir}` : "New folder",
      input: { label: "Folder name", initial: "", check: nameProblem },
      confirmLabel: "Create",
      onConfirm: async (name) => {
        await unwrap(api.POST("/api/projects/{project_id}/files/folder", { params: { path: { project_id: projectId } }, body: { path: joinPath(dir, name) } }));
        refresh();
      },
    });
  const rename = (path: string, kind: string) =>
    setAsk({
      title: `Rename ${path}`,
      body: <p>Give a new name, or a path to move the {kind === "dir" ? "folder" : "file"} within the workspace.</p>,
      input: { label: "New name", initial: path, check: nameProblem },
      confirmLabel: "Rename",
      onConfirm: async (to) => {
        const moved = await unwrap(api.POST("/api/projects/{project_id}/files/rename", { params: { path: { project_id: projectId } }, body: { from: path, to, overwrite: false } }));
        toast.success(`Renamed to ${moved.path}`);
        if (file !== null && inside(file, path)) open(moved.path + file.slice(path.length), editing);
        if (inside(dir, path)) setDir(moved.path + dir.slice(path.length));
        refresh();
      },
    });
  const remove = (path: string, kind: string) =>
    setAsk({
      title: kind === "dir" ? `Delete the folder ${path}?` : `Delete ${path}?`,
      body: <p>{kind === "dir" ? "The folder and everything in it are deleted for good." : "The file is deleted for good."}</p>,
      confirmLabel: "Delete",
      danger: true,
      onConfirm: async () => {
        await unwrap(api.DELETE("/api/projects/{project_id}/files", { params: { path: { project_id: projectId }, query: { path } } }));
        toast.success(`Deleted ${path}`);
        if (file !== null && inside(file, path)) open(null);
        if (inside(dir, path)) setDir(parentOf(path));
        refresh();
      },
    });

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    void dropped(e.dataTransfer).then(startUpload, (err: unknown) => toast.error(messageOf(err)));
  };
  const crumbs = dir ? dir.split("/") : [];
  const where = dir || slug;

  return (
    <section
      aria-label="Files"
      className="relative flex h-full min-h-80 min-w-0 flex-col gap-3 p-2 sm:p-3"
      onDragEnter={(e) => {
        if (e.dataTransfer.types.includes("Files")) setDragging(true);
      }}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes("Files")) e.preventDefault();
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target) setDragging(false);
      }}
      onDrop={onDrop}
    >
      {dragging && (
        <div className="pointer-events-none absolute inset-0 z-10 flex items-center justify-center rounded-lg border-2 border-dashed border-blue-600 bg-blue-50/90 text-sm font-medium text-blue-900 dark:bg-blue-950/90 dark:text-blue-100">
          Drop files or folders to upload them to {where}
        </div>
      )}
      <nav aria-label="Folder" className="flex min-w-0 flex-wrap items-center gap-1 text-sm">
        <button type="button" className="max-w-full truncate rounded px-1 font-medium text-blue-700 hover:underline dark:text-blue-300" onClick={() => { setDir(""); open(null); }}>
          {slug}
        </button>
        {crumbs.map((part, i) => (
          <span key={`${i}-${part}`} className="flex min-w-0 items-center gap-1">
            <span aria-hidden="true" className="text-slate-400">/</span>
            <button type="button" className="max-w-[16rem] truncate rounded px-1 text-blue-700 hover:underline dark:text-blue-300" onClick={() => { setDir(crumbs.slice(0, i + 1).join("/")); open(null); }}>
              {part}
            </button>
          </span>
        ))}
      </nav>
      {/* On a phone an open file has the room; its own header carries its actions. */}
      <div role="toolbar" aria-label="File actions" className={cx("flex flex-wrap items-center gap-2", file !== null && "max-md:hidden")}>
        <Button busy={send.isPending} onClick={() => filesInput.current?.click()}>
          <UploadIcon /> Upload files
        </Button>
        <Button onClick={() => folderInput.current?.click()} disabled={send.isPending}>
          <FolderIcon /> Upload folder
        </Button>
        <Button onClick={newFile}>
          <FilePlusIcon /> New file
        </Button>
        <Button onClick={newFolder}>
          <FolderPlusIcon /> New folder
        </Button>
        <span className="flex flex-wrap gap-2 md:ml-auto">
          <Button busy={archive.isPending && archive.variables === "zip"} onClick={() => archive.mutate("zip")} title={`Download ${where} as a .zip`}>
            <DownloadIcon /> Download .zip
          </Button>
          <Button busy={archive.isPending && archive.variables === "tar.gz"} onClick={() => archive.mutate("tar.gz")} title={`Download ${where} as a .tar.gz`}>
            <DownloadIcon /> .tar.gz
          </Button>
        </span>
        <input
          ref={filesInput}
          type="file"
          multiple
          hidden
          aria-label="Files to upload"
          onChange={(e) => {
            startUpload(outgoing(e.target.files ?? []));
            e.target.value = "";
          }}
        />
        <input
          ref={folderInput}
          type="file"
          multiple
          hidden
          aria-label="Folder to upload"
          onChange={(e) => {
            startUpload(outgoing(e.target.files ?? []));
            e.target.value = "";
          }}
        />
      </div>
      <p className="hidden text-xs text-slate-600 md:block dark:text-slate-400">Drag files or folders here to upload them to {where}.</p>
      <div className="grid min-h-0 min-w-0 flex-1 gap-3 md:grid-cols-[minmax(14rem,20rem)_minmax(0,1fr)]">
        {/* On a phone an open file takes the room of the list (Close goes back to it). */}
        <div className={cx("min-h-0 min-w-0 overflow-auto rounded-lg border border-slate-200 dark:border-slate-800", file !== null && "max-md:hidden")}>
          {listing.isPending && <Loading label="Loading files…" />}
          {listing.isError && <ErrorBox error={listing.error} onRetry={() => void listing.refetch()} />}
          {listing.data && listing.data.length === 0 && (
            <p className="p-3 text-sm text-slate-600 dark:text-slate-400">This folder is empty. Upload files or make a new one.</p>
          )}
          <ul aria-label={`Contents of ${where}`} className="divide-y divide-slate-100 dark:divide-slate-800">
            {listing.data?.map((e) => (
              <li key={e.path} className={cx("flex min-w-0 items-center", file === e.path && "bg-blue-50 dark:bg-blue-950")}>
                <button
                  type="button"
                  className="flex min-h-10 min-w-0 flex-1 items-center gap-2 px-3 py-2 text-left text-sm hover:bg-slate-50 dark:hover:bg-slate-900"
                  aria-current={file === e.path ? "true" : undefined}
                  onClick={() => (e.kind === "dir" ? (setDir(e.path), open(null)) : open(e.path))}
                >
                  {e.kind === "dir" ? (
                    <FolderIcon className="text-amber-600 dark:text-amber-400" />
                  ) : languageFor(e.name) ? (
                    <FileCodeIcon className="text-blue-700 dark:text-blue-300" />
                  ) : (
                    <FileIcon className="text-slate-500 dark:text-slate-400" />
                  )}
                  <span className="min-w-0 flex-1 truncate">{e.name}</span>
                  {e.kind === "file" && <span className="shrink-0 text-xs text-slate-600 dark:text-slate-400">{formatBytes(e.size)}</span>}
                </button>
                <span className="flex shrink-0 pr-1">
                  <button type="button" aria-label={`Rename ${e.path}`} title="Rename" className="rounded p-2.5 text-slate-600 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800" onClick={() => rename(e.path, e.kind)}>
                    <RenameIcon />
                  </button>
                  <button type="button" aria-label={`Delete ${e.path}`} title="Delete" className="rounded p-2.5 text-slate-600 hover:bg-red-100 hover:text-red-800 dark:text-slate-300 dark:hover:bg-red-950 dark:hover:text-red-300" onClick={() => remove(e.path, e.kind)}>
                    <TrashIcon />
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </div>
        <section
          ref={viewer}
          aria-label={file ? `File ${file}` : "File viewer"}
          className={cx(
            "flex min-h-40 min-w-0 scroll-mt-2 flex-col overflow-hidden rounded-lg border border-slate-200 bg-slate-50 dark:border-slate-800 dark:bg-slate-950",
            file === null && "max-md:hidden",
          )}
        >
          {file === null && <p className="p-3 text-sm text-slate-600 dark:text-slate-400">Choose a file to read it.</p>}
          {file !== null && (
            <header className="flex flex-wrap items-center gap-x-3 gap-y-1 border-b border-slate-200 bg-white px-3 py-2 dark:border-slate-800 dark:bg-slate-900">
              <div className="w-full min-w-0 sm:w-auto sm:flex-1">
                <h3 className="truncate font-mono text-sm font-semibold" title={file}>
                  {file}
                </h3>
                {content.data && (
                  <p className="text-xs text-slate-600 dark:text-slate-400">
                    {formatBytes(content.data.size)}
                    {content.data.text === null ? " · binary" : ` · ${languageFor(file) ?? "plain text"}`}
                    {editing && " · editing"}
                  </p>
                )}
              </div>
              <span className="flex flex-wrap gap-1">
                {!editing && content.data?.text != null && !content.data.truncated && (
                  <Button variant="ghost" onClick={() => setEditing(true)} aria-label={`Edit ${file}`}>
                    <EditIcon /> Edit
                  </Button>
                )}
                <Button variant="ghost" onClick={() => void downloadFile(projectId, file).catch((e: unknown) => toast.error(messageOf(e)))} aria-label={`Download ${file}`}>
                  <DownloadIcon /> <span className="max-sm:sr-only">Download</span>
                </Button>
                <Button variant="ghost" onClick={() => rename(file, "file")} aria-label={`Rename ${file}`} title="Rename">
                  <RenameIcon />
                </Button>
                <Button variant="ghost" onClick={() => remove(file, "file")} aria-label={`Delete ${file}`} title="Delete">
                  <TrashIcon />
                </Button>
                <Button variant="ghost" onClick={() => open(null)} aria-label="Close the file" title="Back to the folder">
                  <CloseIcon /> <span className="md:sr-only">Close</span>
                </Button>
              </span>
            </header>
          )}
          <div className="min-h-0 min-w-0 flex-1 overflow-auto">
            {file !== null && content.isPending && <Loading label="Loading file…" />}
            {file !== null && content.isError && <ErrorBox error={content.error} />}
            {content.data && file !== null && content.data.path === file && (
              editing && content.data.text !== null ? (
                <Editor
                  key={file}
                  projectId={projectId}
                  path={file}
                  text={content.data.text}
                  etag={content.data.etag}
                  reload={() => content.refetch()}
                  onDone={(saved) => {
                    setEditing(false);
                    if (saved) {
                      // What was saved is what the viewer shows now (and the base of the next edit).
                      qc.setQueryData(["file", projectId, file], { path: file, size: saved.size, text: saved.text, truncated: false, etag: saved.etag });
                      refresh();
                    }
                  }}
                />
              ) : content.data.text === null ? (
                <p className="p-3 text-sm">Binary file ({formatBytes(content.data.size)}): download it to open it.</p>
              ) : (
                <>
                  <CodeView path={content.data.path} text={content.data.text} />
                  {content.data.truncated && <p className="px-3 pb-3 text-xs text-slate-600 dark:text-slate-400">The first megabyte is shown; download the file for all of it.</p>}
                </>
              )
            )}
          </div>
        </section>
      </div>
      <AskDialog ask={ask} onClose={() => setAsk(null)} />
    </section>
  );
}

/** A plain text editor of one file: saves with the version it was opened at, so a change the
 * agent made meanwhile is never overwritten without asking. */
function Editor({
  projectId,
  path,
  text: opened,
  etag: openedEtag,
  onDone,
  reload,
}: {
  projectId: Id;
  path: string;
  text: string;
  etag: string;
  onDone: (saved: { text: string; size: number; etag: string } | null) => void;
  reload: () => Promise<unknown>;
}) {
  // The version the user started from stays the base until they save, whatever is refetched.
  const [{ text, etag }] = useState({ text: opened, etag: openedEtag });
  const [draft, setDraft] = useState(text);
  const [conflict, setConflict] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (force: boolean) =>
      unwrap(
        api.PUT("/api/projects/{project_id}/files/content", {
          params: { path: { project_id: projectId }, query: { path } },
          body: force ? { text: draft, etag: null, overwrite: true } : { text: draft, etag, overwrite: false },
        }),
      ),
    meta: { silent: true }, // a conflict shows in the editor, other refusals as a toast
    onSuccess: (saved) => {
      toast.success(`Saved ${path}`);
      onDone({ text: draft, size: saved.size, etag: saved.etag });
    },
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409) setConflict(e.message);
      else toast.error(messageOf(e));
    },
  });
  const dirty = draft !== text;
  return (
    <form
      className="flex h-full min-h-64 flex-col gap-2 p-2"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(false);
      }}
    >
      {conflict && (
        <div ref={(el) => el?.scrollIntoView({ block: "nearest" })} role="alert" className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          <p>{conflict}</p>
          <div className="mt-2 flex flex-wrap gap-2">
            <Button variant="danger" busy={save.isPending} onClick={() => save.mutate(true)}>
              Save mine anyway
            </Button>
            <Button onClick={() => void reload().then(() => onDone(null))}>Discard mine and reload</Button>
          </div>
        </div>
      )}
      <label htmlFor="file-editor" className="sr-only">
        Contents of {baseName(path)}
      </label>
      <textarea
        id="file-editor"
        value={draft}
        autoFocus
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        wrap="off"
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key === "s") {
            e.preventDefault();
            save.mutate(false);
          }
        }}
        className="min-h-48 w-full flex-1 resize-y rounded-md border border-slate-300 bg-white p-3 font-mono text-xs leading-5 text-slate-900 focus:border-blue-600 dark:border-slate-600 dark:bg-slate-900 dark:text-slate-100"
      />
      <div className="flex flex-wrap items-center justify-end gap-2">
        <span className="mr-auto text-xs text-slate-600 dark:text-slate-400">{dirty ? "Unsaved changes" : "No changes"} · Ctrl+S saves</span>
        <Button onClick={() => onDone(null)}>Cancel</Button>
        <Button type="submit" variant="primary" busy={save.isPending} disabled={!dirty && !conflict}>
          Save
        </Button>
      </div>
    </form>
  );
}
