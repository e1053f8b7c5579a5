import { describe, expect, it, vi } from "vitest";
import swCode from "../../public/push-sw.js?raw";
import { base64UrlToBytes, deviceLabel, endpointHost, pushSupport, subscriptionBody, type PushEnv } from "./push";

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

describe("push support", () => {
  const full: PushEnv = { secure: true, serviceWorker: true, pushManager: true, notification: true, standalone: false, userAgent: ANDROID };
  it.each<[string, PushEnv, string]>([
    ["Android Chrome", full, "ok"],
    ["plain http", { ...full, secure: false }, "insecure"],
    ["iPhone Safari tab", { ...full, pushManager: false, notification: false, userAgent: IPHONE }, "install-first"],
    ["iPhone Home Screen app", { ...full, standalone: true, userAgent: IPHONE }, "ok"],
    ["old iPhone app", { ...full, pushManager: false, standalone: true, userAgent: IPHONE }, "unsupported"],
    ["no push at all", { ...full, pushManager: false }, "unsupported"],
  ])("%s", (_name, env, expected) => {
    expect(pushSupport(env)).toBe(expected);
  });
});

describe("subscription helpers", () => {
  it("decodes the server's key to the 65-byte point", () => {
    const bytes = base64UrlToBytes("BAECAwQ_-w");
    expect(Array.from(bytes)).toEqual([4, 1, 2, 3, 4, 63, 251]);
  });
  it("names devices", () => {
    expect(deviceLabel(IPHONE)).toBe("Safari on iPhone");
    expect(deviceLabel(ANDROID)).toBe("Chrome on Android");
  });
  it("builds the body from toJSON and refuses one without keys", () => {
    expect(subscriptionBody({ endpoint: "https://push.example/x", keys: { p256dh: "p", auth: "a" } }, "Phone")).toEqual({
      endpoint: "https://push.example/x",
      keys: { p256dh: "p", auth: "a" },
      label: "Phone",
    });
    expect(() => subscriptionBody({ endpoint: "https://push.example/x" }, "x")).toThrow();
    expect(endpointHost("https://fcm.googleapis.com/fcm/send/abc")).toBe("fcm.googleapis.com");
  });
});

// The service worker's own file, run against a stand-in for its global scope.
describe("push-sw.js", () => {
  function load() {
    const listeners: Record<string, (e: unknown) => void> = {};
    const shown: { title: string; options: Record<string, unknown> }[] = [];
    const opened: string[] = [];
    const scope = {
      location: { origin: "https://autocode.example" },
      addEventListener: (type: string, fn: (e: unknown) => void) => (listeners[type] = fn),
      registration: { showNotification: async (title: string, options: Record<string, unknown>) => void shown.push({ title, options }) },
      clients: { matchAll: async () => [], openWindow: async (url: string) => void opened.push(url) },
      autocodePush: undefined as unknown,
    };
    new Function("self", swCode)(scope);
    return { listeners, shown, opened };
  }
  const event = (data: unknown) => {
    const pending: Promise<unknown>[] = [];
    return { data: { json: () => data }, waitUntil: (p: Promise<unknown>) => pending.push(p), pending };
  };

  it("shows a permission question with Approve and Deny, and answers with the token", async () => {
    const sw = load();
    const push = event({
      kind: "permission", project_id: 7, title: "Shop", status: "needs_help", headline: "Shop needs your help",
      question: "Claude Code asks: Do you want to create a.txt?", url: "/projects/7", action_token: "tok-123",
    });
    sw.listeners.push!(push);
    await Promise.all(push.pending);
    expect(sw.shown[0]!.title).toBe("Shop needs your help");
    expect(sw.shown[0]!.options.body).toContain("a.txt");
    expect((sw.shown[0]!.options.actions as { action: string }[]).map((a) => a.action)).toEqual(["approve", "deny"]);

    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ detail: "Approved; Shop goes on" }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    const click = { action: "approve", notification: { data: sw.shown[0]!.options.data, tag: "t", close: () => {} }, ...event(null) };
    sw.listeners.notificationclick!(click);
    await Promise.all(click.pending);
    expect(fetchMock).toHaveBeenCalledWith("/api/notifications/actions", expect.objectContaining({ method: "POST", body: JSON.stringify({ token: "tok-123", action: "approve" }) }));
    expect(sw.shown[1]!.options.body).toBe("Approved; Shop goes on");
    vi.unstubAllGlobals();
  });

  it("a status push has no actions, and a tap opens the project (never another origin)", async () => {
    const sw = load();
    for (const url of ["/projects/9", "//evil.example/x"]) {
      const push = event({ kind: "status", project_id: 9, title: "Shop", status: "completed", headline: "Shop is done", question: "", url });
      sw.listeners.push!(push);
      await Promise.all(push.pending);
      const shown = sw.shown[sw.shown.length - 1]!;
      expect(shown.options.actions).toBeUndefined();
      const click = { action: "", notification: { data: shown.options.data, tag: "t", close: () => {} }, ...event(null) };
      sw.listeners.notificationclick!(click);
      await Promise.all(click.pending);
    }
    expect(sw.opened).toEqual(["https://autocode.example/projects/9", "https://autocode.example/"]);
  });
});
