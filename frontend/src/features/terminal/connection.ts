import type { CloseCode, TerminalWindow } from "../../api/types";

/** What a closed terminal socket means for the viewer. */
export type CloseOutcome =
  | { kind: "gone" } // the project is gone
  | { kind: "refused"; message: string } // reconnecting will not help: say why and stop
  | { kind: "ended" } // the session ended: offer Reconnect
  | { kind: "retry" }; // a dropped connection: reconnect with backoff

const TOO_MANY = "Too many terminals are open; close one (another tab or device) and press Reconnect";

/** What each close code of the server means for the terminal. Typed on the server's CloseCode,
 * so a code the server gains does not compile until it has a meaning here. */
const OUTCOME: Record<CloseCode, CloseOutcome> = {
  4000: { kind: "ended" },
  4008: { kind: "retry" }, // too slow (an events socket's code): reconnecting repaints
  4401: { kind: "refused", message: "Your session ended; sign in again to use the terminal" },
  4403: { kind: "refused", message: "The server does not allow this terminal" },
  4404: { kind: "gone" },
  4429: { kind: "refused", message: TOO_MANY },
  4500: { kind: "retry" },
};

export function closeOutcome(code: number, reason: string, exited: boolean): CloseOutcome {
  const outcome = (OUTCOME as Partial<Record<number, CloseOutcome>>)[code];
  if (outcome?.kind === "gone") return outcome;
  if (outcome?.kind === "refused") {
    // The server's reason says more (which policy, which session), except for the cap: its
    // reason counts terminals, the message says what to do.
    return { kind: "refused", message: reason && code !== 4429 ? reason : outcome.message };
  }
  if (exited) return { kind: "ended" };
  return outcome ?? { kind: "retry" };
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
