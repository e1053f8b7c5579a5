import { useSyncExternalStore } from "react";
import { session } from "../api/client";
import type { SessionState } from "./session";
import type { UserPublic } from "../api/types";

export function useSession(): SessionState {
  return useSyncExternalStore(
    (fn) => session.subscribe(fn),
    () => session.current,
  );
}

/** The signed-in user; only call under the authenticated shell. */
export function useUser(): UserPublic {
  const s = useSession();
  if (s.status !== "authenticated") throw new Error("not signed in");
  return s.user;
}
