/* AutoCode's Web Push handlers, loaded into the generated service worker (importScripts in
   vite.config.ts). A push carries {kind, project_id, title, status, headline, question, url,
   action_token?}; Approve / Deny answer the permission question with the one-time token. */
/* eslint-disable no-restricted-globals */
self.autocodePush = (function () {
  function safeUrl(url) {
    return typeof url === "string" && /^\/(?!\/)/.test(url) ? url : "/";
  }

  function notificationFor(data) {
    if (!data || typeof data !== "object") {
      return { title: "AutoCode", options: { body: "Something changed in your projects.", data: { url: "/" } } };
    }
    if (data.kind === "test") {
      return {
        title: String(data.title || "AutoCode"),
        options: { body: String(data.body || "Notifications work on this device."), tag: "autocode-test", data: { url: "/settings" } },
      };
    }
    const token = typeof data.action_token === "string" ? data.action_token : null;
    const options = {
      body: String(data.question || ""),
      tag: "autocode-project-" + String(data.project_id),
      renotify: true,
      requireInteraction: data.status === "needs_help",
      icon: "/icons/icon-192.png",
      badge: "/icons/icon-192.png",
      data: { url: safeUrl(data.url), token: token, title: String(data.title || "") },
    };
    if (token) {
      options.actions = [
        { action: "approve", title: "Approve" },
        { action: "deny", title: "Deny" },
      ];
    }
    return { title: String(data.headline || data.title || "AutoCode"), options: options };
  }

  async function act(token, action) {
    try {
      const res = await fetch("/api/notifications/actions", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token: token, action: action }),
        credentials: "omit",
      });
      const body = await res.json().catch(function () {
        return {};
      });
      if (res.ok) return { ok: true, message: String(body.detail || (action === "approve" ? "Approved" : "Denied")) };
      return { ok: false, message: typeof body.detail === "string" ? body.detail : "The answer was not taken (" + res.status + ")" };
    } catch (e) {
      return { ok: false, message: "Can't reach the server; open the project to answer" };
    }
  }

  async function open(url) {
    const target = new URL(safeUrl(url), self.location.origin).href;
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if ("focus" in client) {
        if ("navigate" in client && client.url !== target) await client.navigate(target).catch(function () {});
        return client.focus();
      }
    }
    return self.clients.openWindow(target);
  }

  return { notificationFor: notificationFor, act: act, open: open };
})();

self.addEventListener("push", function (event) {
  let data = null;
  try {
    data = event.data ? event.data.json() : null;
  } catch (e) {
    data = null;
  }
  const n = self.autocodePush.notificationFor(data);
  event.waitUntil(self.registration.showNotification(n.title, n.options));
});

self.addEventListener("notificationclick", function (event) {
  const notification = event.notification;
  const data = notification.data || {};
  notification.close();
  if ((event.action === "approve" || event.action === "deny") && data.token) {
    event.waitUntil(
      self.autocodePush.act(data.token, event.action).then(function (result) {
        return self.registration.showNotification(result.ok ? data.title || "AutoCode" : "AutoCode", {
          body: result.message,
          tag: notification.tag,
          data: { url: data.url },
        });
      }),
    );
    return;
  }
  event.waitUntil(self.autocodePush.open(data.url));
});
