import { useState, type FormEvent } from "react";
import { Navigate } from "react-router";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { qk, usersQuery } from "../api/queries";
import { useUser } from "../auth/useSession";
import { usePageTitle } from "../components/PageTitle";
import { ConfirmButton } from "../components/ConfirmButton";
import { RelativeTime } from "../components/RelativeTime";
import { Button, Card, ErrorBox, Loading, PageHeader, TextField } from "../components/ui";
import { DisableToggle, ResetPassword } from "./AdminUserActions";
import { plural } from "../lib/plural";

export const USERNAME_RE = /^[a-z][a-z0-9_-]{1,31}$/;

export function usernameError(u: string): string | null {
  if (!u) return "Required";
  if (!/^[a-z]/.test(u)) return "Must start with a lowercase letter";
  if (u.length < 2 || u.length > 32) return "2 to 32 characters";
  if (!USERNAME_RE.test(u)) return "Only lowercase letters, digits, _ and -";
  return null;
}

function CreateUser() {
  const qc = useQueryClient();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [isAdmin, setIsAdmin] = useState(false);
  const uErr = username ? usernameError(username) : null;
  const pErr = password && password.length < 8 ? "At least 8 characters" : null;
  const ok = !usernameError(username) && password.length >= 8;
  const create = useMutation({
    mutationFn: () => unwrap(api.POST("/api/users", { body: { username, password, is_admin: isAdmin } })),
    onSuccess: (u) => {
      setUsername("");
      setPassword("");
      setIsAdmin(false);
      void qc.invalidateQueries({ queryKey: qk.users });
      toast.success(`Account “${u.username}” created`);
    },
  });
  function submit(e: FormEvent) {
    e.preventDefault();
    if (ok) create.mutate();
  }
  return (
    <Card>
      <form onSubmit={submit} className="space-y-3" noValidate>
        <h2 className="text-lg font-semibold">Create user</h2>
        <TextField label="New username" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} error={uErr} hint="Lowercase letters, digits, _ and -; starts with a letter." />
        <TextField label="Initial password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} error={pErr} hint="At least 8 characters; they can change it in Settings." />
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={isAdmin} onChange={(e) => setIsAdmin(e.target.checked)} /> Administrator
        </label>
        <Button type="submit" variant="primary" busy={create.isPending} disabled={!ok}>
          Create user
        </Button>
      </form>
    </Card>
  );
}

function ServerHealth() {
  const h = useQuery({ queryKey: qk.health, queryFn: () => unwrap(api.GET("/api/health")), refetchInterval: 30_000 });
  if (!h.data) return null;
  const yes = (b: boolean) => (b ? "✓ available" : "✕ missing");
  return (
    <Card>
      <h2 className="mb-2 text-lg font-semibold">Server</h2>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-600 dark:text-slate-400">Status</dt>
        <dd>{h.data.status} · version {h.data.version}</dd>
        <dt className="text-slate-600 dark:text-slate-400">Active projects</dt>
        <dd>{h.data.active_projects}</dd>
        <dt className="text-slate-600 dark:text-slate-400">Runtime</dt>
        <dd>
          {h.data.runtime}
          {h.data.runtime === "local" && (h.data.runtime_users_allowed ? " · every account" : " · admins only")}
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">tmux</dt>
        <dd>{yes(h.data.tmux)}</dd>
        <dt className="text-slate-600 dark:text-slate-400">Docker</dt>
        <dd>{yes(h.data.docker)}</dd>
        <dt className="text-slate-600 dark:text-slate-400">Claude Code</dt>
        <dd>{yes(h.data.claude)}</dd>
      </dl>
      {h.data.runtime_note && (
        <p role="note" className="mt-3 rounded border border-amber-400 bg-amber-50 p-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
          {h.data.runtime_note}
        </p>
      )}
    </Card>
  );
}

export default function AdminPage() {
  const me = useUser();
  usePageTitle("Admin");
  const qc = useQueryClient();
  const users = useQuery({ ...usersQuery(), enabled: me.is_admin });
  const del = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/users/{user_id}", { params: { path: { user_id: id } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: qk.users });
      toast.success("User deleted");
    },
  });
  if (!me.is_admin) return <Navigate to="/" replace />;
  return (
    <div className="mx-auto max-w-4xl space-y-4">
      <PageHeader title="Admin" />
      <Card>
        <h2 className="mb-2 text-lg font-semibold">Users</h2>
        {users.isPending ? (
          <Loading />
        ) : users.isError ? (
          <ErrorBox error={users.error} onRetry={() => void users.refetch()} />
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm">
              <thead className="text-slate-600 dark:text-slate-400">
                <tr>
                  <th scope="col" className="py-2 pr-3">User</th>
                  <th scope="col" className="py-2 pr-3">Agents</th>
                  <th scope="col" className="py-2 pr-3">Projects</th>
                  <th scope="col" className="hidden py-2 pr-3 sm:table-cell">Since</th>
                  <th scope="col" className="py-2"><span className="sr-only">Actions</span></th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-200 dark:divide-slate-800">
                {users.data.map((u) => (
                  <tr key={u.id}>
                    <td className="py-2 pr-3 font-medium">
                      {/* the badges wrap under the name on a phone instead of widening the table */}
                      <div className="flex flex-wrap items-center gap-x-2">
                        {u.username}
                        {u.is_admin && <span className="rounded bg-slate-200 px-1.5 text-xs dark:bg-slate-800">admin</span>}
                        {u.id === me.id && <span className="text-xs text-slate-600 dark:text-slate-400">(you)</span>}
                        {u.disabled && <span className="rounded bg-red-100 px-1.5 text-xs text-red-900 dark:bg-red-950 dark:text-red-200">disabled</span>}
                      </div>
                    </td>
                    <td className="py-2 pr-3">{u.agent_count}</td>
                    <td className="py-2 pr-3">{u.project_count}</td>
                    <td className="hidden py-2 pr-3 sm:table-cell"><RelativeTime iso={u.created_at} /></td>
                    <td className="py-2 text-right">
                      <div className="flex flex-wrap justify-end gap-1">
                      {u.id !== me.id && <ResetPassword u={u} />}
                      {u.id !== me.id && <DisableToggle u={u} />}
                      {u.id !== me.id && (
                        <ConfirmButton
                          variant="ghost"
                          label={
                            <>
                              Delete<span className="sr-only"> {u.username}</span>
                            </>
                          }
                          title={`Delete user “${u.username}”?`}
                          body={`Their ${plural(u.agent_count, "agent")} and ${plural(u.project_count, "project")} are removed and running projects stop.`}
                          confirmLabel={`Delete ${u.username}`}
                          onConfirm={() => del.mutateAsync(u.id)}
                        />
                      )}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <CreateUser />
      <ServerHealth />
    </div>
  );
}
