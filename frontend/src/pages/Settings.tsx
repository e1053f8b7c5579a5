import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { ApiError, formErrors } from "../api/errors";
import { focusFirstInvalid } from "../lib/forms";
import { keysQuery, qk } from "../api/queries";
import { maskKey } from "../lib/format";
import { getTheme, setTheme, type Theme } from "../lib/theme";
import { usePageTitle } from "../components/PageTitle";
import { ConfirmButton } from "../components/ConfirmButton";
import { RelativeTime } from "../components/RelativeTime";
import { Button, Card, ErrorBox, Loading, PageHeader, TextField } from "../components/ui";
import { Notifications } from "./Notifications";
import { Tokens } from "../features/tokens/Tokens";
import { DeployKey } from "../features/templates/DeployKey";
import { KeyTestButton, KeyVerdict, type KeyVerdictState } from "../features/keys/KeyTest";

const PROVIDERS = [
  { value: "anthropic", label: "Anthropic API key" },
  { value: "claude-code-oauth", label: "Claude subscription token" },
  { value: "openai", label: "OpenAI API key" },
  { value: "other", label: "Other" },
];

function Keys() {
  const qc = useQueryClient();
  const keys = useQuery(keysQuery());
  const [provider, setProvider] = useState("anthropic");
  const [other, setOther] = useState("");
  const [key, setKey] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [verdicts, setVerdicts] = useState<Record<number, KeyVerdictState>>({});
  const effProvider = provider === "other" ? other.trim() : provider;
  const urlError = baseUrl && !/^https?:\/\/\S+$/.test(baseUrl) ? "Must start with http:// or https://" : null;
  const add = useMutation({
    mutationFn: () => unwrap(api.POST("/api/keys", { body: { provider: effProvider, key: key.trim(), base_url: baseUrl.trim() || null } })),
    onSuccess: (k) => {
      setKey("");
      setBaseUrl("");
      void qc.invalidateQueries({ queryKey: qk.keys });
      toast.success(`Saved ${maskKey(k.provider, k.last4)}`);
    },
  });
  const del = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/keys/{key_id}", { params: { path: { key_id: id } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: qk.keys }),
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (effProvider && key.trim() && !urlError) add.mutate();
  }
  return (
    <Card className="space-y-4">
      <h2 className="text-lg font-semibold">API keys</h2>
      <p className="text-sm text-slate-700 dark:text-slate-300">Stored encrypted on your server and shown only by their last four characters.</p>
      {keys.isPending ? (
        <Loading />
      ) : keys.isError ? (
        <ErrorBox error={keys.error} />
      ) : keys.data.length === 0 ? (
        <p className="text-sm">No keys yet. Your agents need one to work.</p>
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="Saved keys">
          {keys.data.map((k) => (
            <li key={k.id} className="flex flex-wrap items-center gap-x-3 gap-y-2 py-3">
              <div className="min-w-0 flex-1 basis-56">
                <p className="font-mono">{maskKey(k.provider, k.last4)}</p>
                <p className="flex flex-wrap gap-x-3 text-sm text-slate-600 dark:text-slate-400">
                  {k.base_url && <span className="min-w-0 truncate">{k.base_url}</span>}
                  <RelativeTime iso={k.created_at} prefix="added" />
                </p>
              </div>
              <div className="flex gap-2">
                <KeyTestButton k={k} onVerdict={(v) => setVerdicts((all) => ({ ...all, [k.id]: v }))} />
                <ConfirmButton variant="ghost" label={`Delete ${maskKey(k.provider, k.last4)}`} title={`Delete key ${maskKey(k.provider, k.last4)}?`} body="Agents using it stop working until you add another." confirmLabel="Delete key" onConfirm={() => del.mutateAsync(k.id)} />
              </div>
              <KeyVerdict state={verdicts[k.id] ?? null} />
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={submit} className="space-y-3 border-t border-slate-200 pt-4 dark:border-slate-800">
        <h3 className="font-medium">Add a key</h3>
        <div className="space-y-1">
          <label htmlFor="provider" className="block text-sm font-medium">
            Provider
          </label>
          <select id="provider" value={provider} onChange={(e) => setProvider(e.target.value)} className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-600 dark:bg-slate-900">
            {PROVIDERS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </div>
        {provider === "other" && <TextField label="Provider name" value={other} onChange={(e) => setOther(e.target.value)} required />}
        <TextField label="Key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} required />
        <TextField label="Base URL (optional)" type="url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} error={urlError} hint="Only for a proxy or compatible endpoint." />
        <Button type="submit" variant="primary" busy={add.isPending} disabled={!effProvider || !key.trim() || !!urlError}>
          Add key
        </Button>
      </form>
    </Card>
  );
}

function Password() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const change = useMutation({
    meta: { silent: true }, // the refusal shows at its field, the form keeps what was typed
    mutationFn: () => unwrap(api.POST("/api/auth/password", { body: { current_password: current, new_password: next } })),
    onSuccess: () => {
      setCurrent("");
      setNext("");
      setConfirm("");
      toast.success("Password changed");
    },
    onError: () => requestAnimationFrame(() => focusFirstInvalid(form.current)),
  });
  // 403: the current password was wrong (the login itself is fine); 422: a field the server refused.
  const wrongCurrent = change.error instanceof ApiError && change.error.status === 403 ? change.error.message : null;
  const server = formErrors(wrongCurrent ? null : change.error, { current_password: "current", new_password: "next" } as const);
  const nextError = (next && next.length < 8 ? "At least 8 characters" : null) ?? server.fields.next ?? null;
  const confirmError = confirm && confirm !== next ? "Doesn't match the new password" : null;
  const ok = current && next.length >= 8 && confirm === next;
  const { reset } = change;
  return (
    <Card>
      <form
        ref={form}
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (ok) change.mutate();
        }}
      >
        <h2 className="text-lg font-semibold">Change password</h2>
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => {
            setCurrent(e.target.value);
            reset();
          }}
          error={wrongCurrent ?? server.fields.current}
          required
        />
        <TextField label="New password" type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} error={nextError} required minLength={8} />
        <TextField label="Repeat new password" type="password" autoComplete="new-password" value={confirm} onChange={(e) => setConfirm(e.target.value)} error={confirmError} required />
        {server.other && (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {server.other}
          </p>
        )}
        <Button type="submit" variant="primary" busy={change.isPending} disabled={!ok}>
          Change password
        </Button>
      </form>
    </Card>
  );
}

function ThemePicker() {
  const [theme, set] = useState<Theme>(getTheme());
  return (
    <Card>
      <fieldset>
        <legend className="text-lg font-semibold">Theme</legend>
        <div className="mt-2 flex flex-wrap gap-4">
          {(["system", "light", "dark"] as const).map((t) => (
            <label key={t} className="flex items-center gap-2 capitalize">
              <input
                type="radio"
                name="theme"
                value={t}
                checked={theme === t}
                onChange={() => {
                  set(t);
                  setTheme(t);
                }}
              />
              {t}
            </label>
          ))}
        </div>
      </fieldset>
    </Card>
  );
}

export default function SettingsPage() {
  usePageTitle("Settings");
  return (
    <div className="mx-auto max-w-3xl space-y-4">
      <PageHeader title="Settings" />
      <Keys />
      <Card className="space-y-2">
        <h2 className="text-lg font-semibold">Deploy key</h2>
        <DeployKey />
      </Card>
      <Notifications />
      <Tokens />
      <Password />
      <ThemePicker />
    </div>
  );
}
