/** What the form can tell about a repository address before the server checks it
 * (the server's rules are in backend/autocode/services/git_urls.py; it has the last word). */

export type GitKind = "https" | "ssh" | "git" | null;

const SCP = /^(?:[A-Za-z0-9._-]{1,64}@)?(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]+\]):[^:\s][^\s]*$/;

export function gitKind(raw: string): GitKind {
  const url = raw.trim();
  if (!url) return null;
  const lower = url.toLowerCase();
  if (lower.startsWith("https://")) return "https";
  if (lower.startsWith("ssh://")) return "ssh";
  if (lower.startsWith("git://")) return "git";
  if (!url.includes("://") && !/^[./~-]/.test(url) && SCP.test(url)) return "ssh";
  return null;
}

/** A message for an address the server will refuse for sure, else null. */
export function gitUrlProblem(raw: string): string | null {
  const url = raw.trim();
  if (!url) return null;
  if (url.startsWith("-")) return "An address cannot start with “-”";
  if (/^file:/i.test(url) || /^[./~]/.test(url)) return "Local paths and file:// cannot be cloned";
  if (/^[A-Za-z0-9+.-]*::/.test(url)) return "Transport helpers such as ext:: are not allowed";
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(url)) return "Leave credentials out of the address; use ssh and your deploy key";
  if (/\s/.test(url)) return "No spaces in the address";
  if (gitKind(url) === null) return "Use an https://, ssh:// (or user@host:path) or git:// address";
  return null;
}
