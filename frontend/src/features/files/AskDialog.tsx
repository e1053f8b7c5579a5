import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { messageOf } from "../../api/errors";
import { Button } from "../../components/ui";

export interface Ask {
  title: string;
  body?: ReactNode;
  /** Ask for a name (prefilled with `initial`), checked with `check` as the user types. */
  input?: { label: string; initial: string; check: (value: string) => string | null };
  confirmLabel: string;
  danger?: boolean;
  onConfirm: (value: string) => Promise<unknown>;
}

/** One modal question of the Files tab (a name to give, or a confirmation naming the thing);
 * the server's refusal shows inside it, next to what it is about. */
export function AskDialog({ ask, onClose }: { ask: Ask | null; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const id = useId();
  const [value, setValue] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (ask) {
      setValue(ask.input?.initial ?? "");
      setError(null);
      if (!dialog.open) dialog.showModal();
      const input = inputRef.current;
      if (input) {
        // Select the name without its extension, as file managers do.
        const name = input.value;
        const dot = name.lastIndexOf(".");
        const slash = name.lastIndexOf("/");
        input.focus();
        input.setSelectionRange(slash + 1, dot > slash + 1 ? dot : name.length);
      }
    } else if (dialog.open) {
      dialog.close();
    }
  }, [ask]);

  const problem = ask?.input ? ask.input.check(value) : null;
  const submit = async () => {
    if (!ask || busy) return;
    if (problem) {
      setError(problem);
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await ask.onConfirm(value.trim());
      onClose();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-t`}
      onClose={onClose}
      className="m-auto w-[min(30rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white p-5 text-left text-slate-900 shadow-xl backdrop:bg-black/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      {ask && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h2 id={`${id}-t`} className="break-words text-lg font-semibold">
            {ask.title}
          </h2>
          {ask.body && <div className="mt-2 break-words text-sm text-slate-700 dark:text-slate-300">{ask.body}</div>}
          {ask.input && (
            <div className="mt-3 space-y-1">
              <label htmlFor={`${id}-i`} className="block text-sm font-medium">
                {ask.input.label}
              </label>
              <input
                ref={inputRef}
                id={`${id}-i`}
                value={value}
                autoCapitalize="off"
                autoCorrect="off"
                spellCheck={false}
                onChange={(e) => {
                  setValue(e.target.value);
                  setError(null);
                }}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-e` : undefined}
                className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 font-mono text-base text-slate-900 focus:border-blue-600 aria-[invalid=true]:border-red-600 dark:border-slate-600 dark:bg-slate-950 dark:text-slate-100"
              />
            </div>
          )}
          {error && (
            <p id={`${id}-e`} role="alert" className="mt-2 text-sm text-red-700 dark:text-red-400">
              {error}
            </p>
          )}
          <div className="mt-5 flex justify-end gap-2">
            <Button onClick={() => ref.current?.close()}>Cancel</Button>
            <Button type="submit" variant={ask.danger ? "danger" : "primary"} busy={busy}>
              {ask.confirmLabel}
            </Button>
          </div>
        </form>
      )}
    </dialog>
  );
}
