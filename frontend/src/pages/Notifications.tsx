import { useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { toast } from "sonner";
import { api, unwrap } from "../api/client";
import { channelsQuery, devicesQuery, qk } from "../api/queries";
import { ConfirmButton } from "../components/ConfirmButton";
import { RelativeTime } from "../components/RelativeTime";
import { Button, Card, ErrorBox, Loading, TextField } from "../components/ui";
import { base64UrlToBytes, currentPushEnv, deviceLabel, endpointHost, pushSupport, subscriptionBody } from "../lib/push";

const SUPPORT_TEXT = {
  insecure: "Notifications need the app over https (your server's address with https://).",
  "install-first":
    "On iPhone and iPad, notifications work only in the installed app: tap Share, then Add to Home Screen (iOS 16.4 or later), open AutoCode from the Home Screen and come back here.",
  unsupported: "This browser can't receive push notifications.",
} as const;

async function registration(): Promise<ServiceWorkerRegistration> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("The app's service worker is not running; reload the page and try again")), 10_000),
  );
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

/** This browser's current subscription endpoint, if it has one. */
function useThisEndpoint(enabled: boolean): [string | null, (e: string | null) => void] {
  const [endpoint, setEndpoint] = useState<string | null>(null);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    void navigator.serviceWorker.getRegistration().then(async (reg) => {
      const sub = await reg?.pushManager.getSubscription();
      if (live) setEndpoint(sub?.endpoint ?? null);
    });
    return () => {
      live = false;
    };
  }, [enabled]);
  return [endpoint, setEndpoint];
}

export function Notifications() {
  const qc = useQueryClient();
  const devices = useQuery(devicesQuery());
  const support = pushSupport(currentPushEnv());
  const [thisEndpoint, setThisEndpoint] = useThisEndpoint(support === "ok");
  const refresh = () => void qc.invalidateQueries({ queryKey: qk.devices });

  const enable = useMutation({
    mutationFn: async () => {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") throw new Error("Notifications are blocked for this site; allow them in the browser's settings");
      const { public_key } = await unwrap(api.GET("/api/notifications/vapid-key"));
      const reg = await registration();
      const sub =
        (await reg.pushManager.getSubscription()) ??
        (await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(public_key) }));
      const body = subscriptionBody(sub.toJSON(), deviceLabel(navigator.userAgent));
      const saved = await unwrap(api.POST("/api/notifications/subscriptions", { body }));
      setThisEndpoint(sub.endpoint);
      return saved;
    },
    onSuccess: () => {
      refresh();
      toast.success("Notifications are on for this device");
    },
  });
  const test = useMutation({
    mutationFn: (id: number) =>
      unwrap(api.POST("/api/notifications/subscriptions/{subscription_id}/test", { params: { path: { subscription_id: id } } })),
    onSuccess: () => toast.success("Test notification sent"),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: async (device: { id: number; endpoint: string }) => {
      await unwrap(api.DELETE("/api/notifications/subscriptions/{subscription_id}", { params: { path: { subscription_id: device.id } } }));
      if (device.endpoint === thisEndpoint) {
        const reg = await navigator.serviceWorker.getRegistration();
        await (await reg?.pushManager.getSubscription())?.unsubscribe();
        setThisEndpoint(null);
      }
    },
    onSuccess: refresh,
  });

  const registered = devices.data?.some((d) => d.endpoint === thisEndpoint) ?? false;
  return (
    <Card className="space-y-4">
      <h2 className="text-lg font-semibold">Notifications</h2>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        A notification when a project needs your help, is done, fails or pauses for a limit. Claude Code's permission questions can be
        approved or denied from the notification.
      </p>
      {support === "ok" ? (
        registered ? (
          <p className="text-sm font-medium">This device gets notifications.</p>
        ) : (
          <Button variant="primary" busy={enable.isPending} onClick={() => enable.mutate()}>
            Enable notifications on this device
          </Button>
        )
      ) : (
        <p className="text-sm" role="note">
          {SUPPORT_TEXT[support]}
        </p>
      )}
      {devices.isPending ? (
        <Loading />
      ) : devices.isError ? (
        <ErrorBox error={devices.error} />
      ) : devices.data.length === 0 ? (
        <p className="text-sm">No device gets notifications yet.</p>
      ) : (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="Devices">
          {devices.data.map((d) => {
            const name = d.label || endpointHost(d.endpoint);
            return (
              <li key={d.id} className="flex flex-wrap items-center gap-3 py-2">
                <span className="font-medium">
                  {name}
                  {d.endpoint === thisEndpoint && <span className="ml-2 text-sm font-normal text-slate-600 dark:text-slate-400">(this device)</span>}
                </span>
                <span className="text-sm text-slate-600 dark:text-slate-400">
                  {d.last_success_at ? <RelativeTime iso={d.last_success_at} prefix="last sent" /> : <RelativeTime iso={d.created_at} prefix="added" />}
                </span>
                <span className="ml-auto flex gap-2">
                  <Button onClick={() => test.mutate(d.id)} busy={test.isPending && test.variables === d.id} aria-label={`Send a test to ${name}`}>
                    Test
                  </Button>
                  <ConfirmButton
                    variant="ghost"
                    label="Remove"
                    title={`Stop notifications on ${name}?`}
                    body="It gets no more notifications until it is enabled again."
                    confirmLabel="Remove"
                    onConfirm={() => remove.mutateAsync(d)}
                  />
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <Channels />
    </Card>
  );
}

const CHANNEL_URL = /^(ntfys?|tgram|mailtos?):\/\/\S+$/i;

export function Channels() {
  const qc = useQueryClient();
  const channels = useQuery(channelsQuery());
  const [url, setUrl] = useState("");
  const [label, setLabel] = useState("");
  const refresh = () => void qc.invalidateQueries({ queryKey: qk.channels });
  const add = useMutation({
    mutationFn: () => unwrap(api.POST("/api/notifications/channels", { body: { url: url.trim(), label: label.trim() } })),
    onSuccess: () => {
      setUrl("");
      setLabel("");
      refresh();
      toast.success("Channel added");
    },
  });
  const test = useMutation({
    mutationFn: (id: number) => unwrap(api.POST("/api/notifications/channels/{channel_id}/test", { params: { path: { channel_id: id } } })),
    onSuccess: () => toast.success("Test message sent"),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/notifications/channels/{channel_id}", { params: { path: { channel_id: id } } })),
    onSuccess: refresh,
  });
  const urlError = url.trim() && !CHANNEL_URL.test(url.trim()) ? "ntfys://, tgram:// or mailtos:// (see the examples)" : null;
  function submit(e: FormEvent) {
    e.preventDefault();
    if (url.trim() && !urlError) add.mutate();
  }
  return (
    <div className="space-y-3 border-t border-slate-200 pt-4 dark:border-slate-800">
      <h3 className="font-medium">Other channels</h3>
      <p className="text-sm text-slate-700 dark:text-slate-300">
        The same messages by ntfy, Telegram or e-mail (without Approve / Deny). Examples: <code>ntfys://ntfy.sh/my-topic</code>,{" "}
        <code>tgram://BOT_TOKEN/CHAT_ID</code>, <code>mailtos://user:password@smtp.example.com?to=me@example.com</code>.
      </p>
      {channels.isPending ? (
        <Loading />
      ) : channels.isError ? (
        <ErrorBox error={channels.error} />
      ) : channels.data.length > 0 ? (
        <ul className="divide-y divide-slate-200 dark:divide-slate-800" aria-label="Channels">
          {channels.data.map((c) => {
            const name = c.label || c.kind;
            return (
              <li key={c.id} className="flex flex-wrap items-center gap-3 py-2">
                <span className="font-medium">{name}</span>
                <span className="min-w-0 truncate font-mono text-xs text-slate-600 dark:text-slate-400">{c.preview}</span>
                <span className="ml-auto flex gap-2">
                  <Button onClick={() => test.mutate(c.id)} busy={test.isPending && test.variables === c.id} aria-label={`Send a test to ${name}`}>
                    Test
                  </Button>
                  <ConfirmButton
                    variant="ghost"
                    label="Remove"
                    title={`Remove the channel ${name}?`}
                    body="It gets no more messages."
                    confirmLabel="Remove"
                    onConfirm={() => remove.mutateAsync(c.id)}
                  />
                </span>
              </li>
            );
          })}
        </ul>
      ) : null}
      <form onSubmit={submit} className="space-y-3">
        <TextField label="Channel URL" type="password" autoComplete="off" value={url} onChange={(e) => setUrl(e.target.value)} error={urlError} hint="Stored encrypted; shown with its secrets masked." />
        <TextField label="Channel name (optional)" value={label} onChange={(e) => setLabel(e.target.value)} maxLength={100} />
        <Button type="submit" busy={add.isPending} disabled={!url.trim() || !!urlError}>
          Add channel
        </Button>
      </form>
    </div>
  );
}
