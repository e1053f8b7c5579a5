// Web Push on this device: what the browser supports, the server's key, the subscription body.

export type PushSupport = "ok" | "insecure" | "install-first" | "unsupported";

export interface PushEnv {
  secure: boolean;
  serviceWorker: boolean;
  pushManager: boolean;
  notification: boolean;
  standalone: boolean;
  userAgent: string;
}

export function isAppleMobile(userAgent: string): boolean {
  return /iPhone|iPad|iPod/.test(userAgent) || (/Macintosh/.test(userAgent) && /Mobile\//.test(userAgent));
}

/** Whether this device can subscribe, and if not, the one thing that would let it. */
export function pushSupport(env: PushEnv): PushSupport {
  if (!env.secure) return "insecure";
  if (env.serviceWorker && env.pushManager && env.notification) return "ok";
  // iOS/iPadOS 16.4+ offer Web Push only to a web app added to the Home Screen.
  if (isAppleMobile(env.userAgent) && !env.standalone) return "install-first";
  return "unsupported";
}

export function currentPushEnv(): PushEnv {
  return {
    secure: window.isSecureContext,
    serviceWorker: "serviceWorker" in navigator,
    pushManager: "PushManager" in window,
    notification: "Notification" in window,
    standalone: window.matchMedia("(display-mode: standalone)").matches || (navigator as { standalone?: boolean }).standalone === true,
    userAgent: navigator.userAgent,
  };
}

/** applicationServerKey: base64url (no padding) to bytes. */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const raw = atob(b64);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/** A short name for this device, shown in the list of devices. */
export function deviceLabel(userAgent: string): string {
  const device = /iPad/.test(userAgent)
    ? "iPad"
    : /iPhone|iPod/.test(userAgent)
      ? "iPhone"
      : /Android/.test(userAgent)
        ? "Android"
        : /Macintosh/.test(userAgent)
          ? "Mac"
          : /Windows/.test(userAgent)
            ? "Windows"
            : /Linux|X11/.test(userAgent)
              ? "Linux"
              : "Device";
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\/|CriOS\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : "";
  return browser ? `${browser} on ${device}` : device;
}

export interface SubscriptionBody {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  label: string;
}

/** The body for POST /api/notifications/subscriptions from PushSubscription.toJSON(). */
export function subscriptionBody(json: PushSubscriptionJSON, label: string): SubscriptionBody {
  const p256dh = json.keys?.p256dh;
  const auth = json.keys?.auth;
  if (!json.endpoint || !p256dh || !auth) throw new Error("The browser gave a subscription without keys");
  return { endpoint: json.endpoint, keys: { p256dh, auth }, label: label.slice(0, 100) };
}

/** Where a device's pushes go, for people: the push service's host. */
export function endpointHost(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return "unknown push service";
  }
}
