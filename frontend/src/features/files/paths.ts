/** Paths of the Files tab: joining a folder and a name, and what an upload sends. */

export function joinPath(dir: string, name: string): string {
  const clean = name.replace(/^\/+/, "");
  return dir ? `${dir}/${clean}` : clean;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** A name typed by the user, checked as the server would (a message, or null when fine). */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "A name is needed";
  if (trimmed.startsWith("/")) return "Give a path inside the workspace (no leading /)";
  if (trimmed.split("/").some((p) => p === "..")) return "“..” is not allowed";
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return "Names cannot contain control characters";
  if (trimmed.split("/").some((p) => new TextEncoder().encode(p).length > 255)) return "A name is too long";
  return null;
}

export interface Outgoing {
  file: File;
  path: string; // below the folder the upload goes to
}

/** What a file input (or a drop) hands over, with each file's path inside the chosen folder. */
export function outgoing(files: Iterable<File>): Outgoing[] {
  return [...files].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** The multipart body POST .../files/upload expects: `files` and, in the same order, `paths`. */
export function uploadForm(items: Outgoing[]): FormData {
  const form = new FormData();
  for (const { file, path } of items) {
    form.append("files", file, baseName(path));
    form.append("paths", path);
  }
  return form;
}
