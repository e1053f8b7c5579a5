import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { ApiKeyPublic } from "../../api/types";
import { maskKey } from "../../lib/format";
import { Button, cx } from "../../components/ui";

/** "Test key": one real call to the key's provider, and the verdict under the key. */
export function KeyTestButton({ k, onVerdict }: { k: ApiKeyPublic; onVerdict: (v: KeyVerdictState) => void }) {
  const test = useMutation({
    mutationFn: () => unwrap(api.POST("/api/keys/{key_id}/test", { params: { path: { key_id: k.id } } })),
    onMutate: () => onVerdict("testing"),
    onSuccess: (v) => onVerdict(v),
    onError: () => onVerdict(null),
  });
  return (
    <Button variant="secondary" busy={test.isPending} onClick={() => test.mutate()} aria-label={`Test key ${maskKey(k.provider, k.last4)}`}>
      Test key
    </Button>
  );
}

export type KeyVerdictState = { ok: boolean; message: string } | "testing" | null;

export function KeyVerdict({ state }: { state: KeyVerdictState }) {
  // One live region per key, present before the answer so screen readers announce it.
  return (
    <p role="status" className={cx("basis-full text-sm", state === null && "sr-only")}>
      {state === "testing" ? (
        <span className="text-slate-700 dark:text-slate-300">Asking the provider…</span>
      ) : state ? (
        <span className={state.ok ? "text-green-800 dark:text-green-300" : "text-red-700 dark:text-red-400"}>
          <span aria-hidden="true">{state.ok ? "✓ " : "✕ "}</span>
          {state.message}
        </span>
      ) : null}
    </p>
  );
}
