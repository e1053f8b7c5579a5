import { useRef, useState, type ReactNode } from "react";
import { Button } from "./ui";

/** A destructive action that first asks, naming the thing it will remove. */
export function ConfirmButton({
  label,
  title,
  body,
  confirmLabel,
  onConfirm,
  busy,
  variant = "danger",
}: {
  label: ReactNode;
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<unknown> | void;
  busy?: boolean;
  variant?: "danger" | "secondary" | "ghost";
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const [working, setWorking] = useState(false);
  return (
    <>
      <Button variant={variant} busy={busy} onClick={() => ref.current?.showModal()}>
        {label}
      </Button>
      <dialog
        ref={ref}
        aria-label={title}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white p-5 text-left text-slate-900 shadow-xl backdrop:bg-black/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      >
        <h2 className="text-lg font-semibold">{title}</h2>
        {body && <div className="mt-2 text-sm text-slate-700 dark:text-slate-300">{body}</div>}
        <div className="mt-5 flex justify-end gap-2">
          {/* showModal() focuses this first button itself; React's autoFocus would instead focus
              it (forcing a layout) on every page that merely renders the closed dialog. */}
          <Button onClick={() => ref.current?.close()}>
            Cancel
          </Button>
          <Button
            variant="danger"
            busy={working}
            onClick={async () => {
              setWorking(true);
              try {
                await onConfirm();
                ref.current?.close();
              } catch {
                // the mutation cache shows a toast; keep the dialog open
              } finally {
                setWorking(false);
              }
            }}
          >
            {confirmLabel}
          </Button>
        </div>
      </dialog>
    </>
  );
}
