import { useQuery } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../../api/client";
import { Button, ErrorBox, Loading } from "../../components/ui";

export const deployKeyQuery = () => ({
  queryKey: ["me", "deploy-key"] as const,
  queryFn: () => unwrap(api.GET("/api/me/deploy-key")),
  staleTime: 60 * 60_000,
});

/** The user's deploy key (made by the server on first use) with a copy button. */
export function DeployKey({ compact = false }: { compact?: boolean }) {
  const key = useQuery(deployKeyQuery());
  if (key.isPending) return <Loading label="Loading your deploy key…" />;
  if (key.isError) return <ErrorBox error={key.error} onRetry={() => void key.refetch()} />;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(key.data.public_key);
      toast.success("Deploy key copied");
    } catch {
      toast.error("Could not copy: select the key and copy it by hand");
    }
  };
  return (
    <div className="space-y-2">
      {!compact && (
        <p className="text-sm text-slate-700 dark:text-slate-300">
          Projects clone private repositories over ssh with this key. Add it to the repository’s host as a read-only deploy key
          (GitHub: the repository’s Settings → Deploy keys).
        </p>
      )}
      <pre className="max-w-full overflow-x-auto whitespace-pre-wrap [overflow-wrap:anywhere] rounded-md bg-slate-100 p-2 font-mono text-xs text-slate-900 dark:bg-slate-950 dark:text-slate-100" data-testid="deploy-key">
        {key.data.public_key}
      </pre>
      <div className="flex flex-wrap items-center gap-2">
        <Button onClick={() => void copy()}>Copy key</Button>
        <span className="break-all text-xs text-slate-600 dark:text-slate-400">{key.data.fingerprint}</span>
      </div>
    </div>
  );
}
