import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { qk } from "../api/queries";
import type { UserAdminView } from "../api/types";
import { ConfirmButton } from "../components/ConfirmButton";
import { Button, TextField } from "../components/ui";

/** An admin sets a new password for someone; all of that user's logins end. */
export function ResetPassword({ u }: { u: UserAdminView }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState("");
  const reset = useMutation({
    mutationFn: () => unwrap(api.POST("/api/users/{user_id}/password", { params: { path: { user_id: u.id } }, body: { password } })),
    onSuccess: () => {
      setPassword("");
      ref.current?.close();
      toast.success(`Password of “${u.username}” reset; they were signed out everywhere`);
    },
  });
  const short = password.length > 0 && password.length < 8;
  function submit(e: FormEvent) {
    e.preventDefault();
    if (password.length >= 8) reset.mutate();
  }
  return (
    <>
      <Button variant="ghost" className="min-h-8 px-2 py-1" aria-label={`Reset the password of ${u.username}`} onClick={() => ref.current?.showModal()}>
        Password
      </Button>
      <dialog
        ref={ref}
        aria-label={`New password for ${u.username}`}
        className="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-lg border border-slate-200 bg-white p-5 text-left text-slate-900 shadow-xl backdrop:bg-black/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
      >
        <form onSubmit={submit} className="space-y-3" noValidate>
          <h2 className="text-lg font-semibold">New password for “{u.username}”</h2>
          <p className="text-sm text-slate-700 dark:text-slate-300">Every login of theirs ends; tell them the new password.</p>
          <TextField label="New password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={short ? "At least 8 characters" : reset.isError ? (reset.error as Error).message : null} />
          <div className="flex justify-end gap-2">
            <Button onClick={() => ref.current?.close()}>Cancel</Button>
            <Button type="submit" variant="primary" busy={reset.isPending} disabled={password.length < 8}>
              Set password
            </Button>
          </div>
        </form>
      </dialog>
    </>
  );
}

/** Disable (signs them out, stops their running projects) or enable an account again. */
export function DisableToggle({ u }: { u: UserAdminView }) {
  const qc = useQueryClient();
  const set = useMutation({
    mutationFn: (disabled: boolean) => unwrap(api.PATCH("/api/users/{user_id}", { params: { path: { user_id: u.id } }, body: { disabled } })),
    onSuccess: (nu) => {
      void qc.invalidateQueries({ queryKey: qk.users });
      toast.success(nu.disabled ? `“${u.username}” is disabled` : `“${u.username}” can sign in again`);
    },
  });
  if (u.disabled) {
    return (
      <Button variant="ghost" className="min-h-8 px-2 py-1" busy={set.isPending} aria-label={`Enable ${u.username}`} onClick={() => set.mutate(false)}>
        Enable
      </Button>
    );
  }
  return (
    <ConfirmButton
      variant="ghost"
      label={<>Disable<span className="sr-only"> {u.username}</span></>}
      title={`Disable “${u.username}”?`}
      body="They are signed out everywhere and cannot sign in; their running projects stop (paused). Nothing is deleted, and you can enable the account again."
      confirmLabel={`Disable ${u.username}`}
      onConfirm={() => set.mutateAsync(true)}
    />
  );
}
