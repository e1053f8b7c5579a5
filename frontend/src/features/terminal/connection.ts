import type { TerminalWindow } from "../../api/types";

/** What a closed terminal socket means for the viewer. */
export type CloseOutcome =
  | { kind: "gone" } // the project is gone
  | { kind: "refused"; message: string } // reconnecting will not help: say why and stop
  | { kind: "ended" } // the session ended: offer Reconnect
  | { kind: "retry" }; // a dropped connection: reconnect with backoff

const REFUSED: Record<number, string> = {
  4401: "Your session ended; sign in again to use the terminal",
  4403: "The server does not allow this terminal",
  4429: "Too many terminals are open; close one (another tab or device) and press Reconnect",
};

export function closeOutcome(code: number, reason: string, exited: boolean): CloseOutcome {
  if (code === 4404) return { kind: "gone" };
  const refused = REFUSED[code];
  if (refused !== undefined) return { kind: "refused", message: reason && code !== 4429 ? reason : refused };
  if (exited || code === 4000) return { kind: "ended" };
  return { kind: "retry" };
}

const unlockKey = (projectId: number) => `autocode.terminal.unlocked.${projectId}`;

/** Whether the user unlocked typing into Claude Code's window of this project. */
export function isUnlocked(storage: Pick<Storage, "getItem">, projectId: number): boolean {
  try {
    return storage.getItem(unlockKey(projectId)) === "1";
  } catch {
    return false;
  }
}

export function setUnlocked(storage: Pick<Storage, "setItem" | "removeItem">, projectId: number, unlocked: boolean): void {
  try {
    if (unlocked) storage.setItem(unlockKey(projectId), "1");
    else storage.removeItem(unlockKey(projectId));
  } catch {
    // storage unavailable (private mode): the choice lasts for this page only
  }
}

/** Whether typing reaches the terminal: Claude Code's window only once unlocked. */
export function canType(window: TerminalWindow | null, unlocked: boolean, readOnly: boolean): boolean {
  if (readOnly) return false;
  return window !== "agent" || unlocked;
}
