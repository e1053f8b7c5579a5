import { useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { ConfirmButton } from "../../components/ConfirmButton";
import { RelativeTime } from "../../components/RelativeTime";
import { Button, Card, ErrorBox, Loading, TextField } from "../../components/ui";

const tokensKey = ["tokens"] as const;

/** Personal API tokens for scripts (the job API): made here, shown once, revoked with a confirm. */
export function Tokens() {
  const qc = useQueryClient();
  const tokens = useQuery({ queryKey: tokensKey, queryFn: () => unwrap(api.GET("/api/tokens")) });
  const [name, setName] = useState("");
  const [fresh, setFresh] = useState<{ name: string; token: string } | null>(null);
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/tokens", { body: { name: name.trim() } })),
    onSuccess: (t) => {
      setName("");
      setFresh({ name: t.name, token: t.token });
      void qc.invalidateQueries({ queryKey: tokensKey });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/tokens/{token_id}", { params: { path: { token_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: tokensKey }),
  });
  async function copy(token: string) {
    try {
      await navigator.clipboard.writeText(token);
      toast.success("Token copied");
    } catch {
      toast.error("Could not copy; select the token and copy it by hand");
    }
  }
  function submit(e: FormEvent) {
    e.preventDefault();
    if (name.trim()) create.mutate();
  }
  return (
    <Card className="space-y-4">
      <h2 className="text-lg font-semibold">API tokens</h2>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        For scripts that start jobs and download their results: send <code>Authorization: Bearer &lt;token&gt;</code>. A token
        can do what you can in projects, but cannot make tokens, change your password or manage keys and accounts. Changing your password or signing
        out everywhere revokes every token.
      </p>
      {fresh && (
        <div role="status" className="space-y-2 rounded-md border border-amber-300 bg-amber-50 p-3 dark:border-amber-700 dark:bg-amber-950">
          <p className="text-sm font-medium">Copy the token “{fresh.name}” now: it is not shown again.</p>
          <div className="flex flex-wrap items-center gap-2">
            <code data-testid="new-token" className="min-w-0 flex-1 select-all break-all rounded bg-white px-2 py-1 font-mono text-sm dark:bg-slate-900">
              {fresh.token}
            </code>
            <Button onClick={() => void copy(fresh.token)}>Copy</Button>
            <Button variant="ghost" onClick={() => setFresh(null)}>
              Done
            </Button>
          </div>
        </div>
      )}
      {tokens.isPending ? (
        <Loading />
      ) : tokens.isError ? (
        <ErrorBox error={tokens.error} />
      ) : tokens.data.length === 0 ? (
        <p className="text-sm">No tokens yet.</p>
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="API tokens">
          {tokens.data.map((t) => (
            <li key={t.id} className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2">
              <span className="min-w-0 max-w-full break-words font-medium">{t.name}</span>
              <span className="text-sm text-slate-600 dark:text-slate-400">
                <RelativeTime iso={t.created_at} prefix="made" />
              </span>
              <span className="text-sm text-slate-600 dark:text-slate-400">
                {t.last_used_at ? <RelativeTime iso={t.last_used_at} prefix="last used" /> : "never used"}
              </span>
              <span className="ml-auto">
                <ConfirmButton
                  variant="ghost"
                  label={
                    <>
                      <span aria-hidden="true">Revoke</span>
                      <span className="sr-only">Revoke {t.name}</span>
                    </>
                  }
                  title={`Revoke the token “${t.name}”?`}
                  body="Scripts using it stop working at once."
                  confirmLabel="Revoke token"
                  onConfirm={() => revoke.mutateAsync(t.id)}
                />
              </span>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="space-y-3 border-t border-slate-200 pt-4 dark:border-slate-800">
        <h3 className="font-medium">New token</h3>
        <TextField label="Token name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} hint="What it is for, e.g. “nightly build”." required />
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!name.trim()}>
          Create token
        </Button>
      </form>
    </Card>
  );
}
