"""Notifications in real Chromium: Settings lists this user's devices and sends a test push to
a real receiver; the app's own service worker shows a pushed permission question with Approve
and Deny (the push is delivered to it through the DevTools protocol, as a push service would)."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import shoot
from tests.browser.test_users_day import sign_in
from tests.conftest import ADMIN_PASSWORD, Api, ServerProcess, wait_until
from tests.notifications.receiver import Device, Receiver, open_push


def test_settings_lists_devices_sends_a_test_and_the_service_worker_shows_a_question(
    server: ServerProcess,
    phone: Any,
    receiver: Receiver,
) -> None:
    api = Api(server.base, "admin", ADMIN_PASSWORD)
    device = Device("/push/phone")
    r = api.http.post(
        "/api/notifications/subscriptions",
        json={"endpoint": receiver.origin + device.path, "keys": device.keys(), "label": "Chrome on Android"},
    )
    assert r.status_code == 201, r.text

    phone.grant_permissions(["notifications"], origin=server.base)
    page = phone.new_page()
    page.goto("/settings")
    sign_in(page, "admin", ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()  # back on Settings
    devices = page.get_by_role("list", name="Devices")
    expect(devices).to_contain_text("Chrome on Android")
    expect(page.get_by_role("button", name="Enable notifications on this device")).to_be_visible()
    page.get_by_role("button", name="Send a test to Chrome on Android").click()
    expect(page.get_by_text("Test notification sent")).to_be_visible()
    wait_until(lambda: receiver.at(device.path), timeout=15)
    assert open_push(receiver.at(device.path)[0], device)["kind"] == "test"

    # Another channel, added as a user would: ntfy to a local receiver
    ntfy = Receiver(status=200)
    try:
        page.get_by_label("Channel URL").fill(f"ntfy://me:topsecret@127.0.0.1:{ntfy.server.server_address[1]}/alerts")
        page.get_by_label("Channel name (optional)").fill("ntfy")
        page.get_by_role("button", name="Add channel").click()
        channels = page.get_by_role("list", name="Channels")
        expect(channels).to_contain_text("ntfy")
        expect(channels).not_to_contain_text("topsecret")
        page.get_by_role("button", name="Send a test to ntfy").click()
        expect(page.get_by_text("Test message sent")).to_be_visible()
        assert b"Notifications work on this channel." in ntfy.received[0].body
    finally:
        ntfy.stop()
    page.get_by_role("heading", name="Notifications").scroll_into_view_if_needed()
    shoot(page, "settings-notifications")

    # The app's service worker (with public/push-sw.js) receives a push and shows it.
    page.evaluate("async () => (await navigator.serviceWorker.ready).scope")
    cdp = phone.new_cdp_session(page)
    registrations: list[str] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(r["registrationId"] for r in e["registrations"] if not r.get("isDeleted")),
    )
    cdp.send("ServiceWorker.enable")
    # Playwright hands events over while it runs a call: evaluate() is that call.
    wait_until(lambda: page.evaluate("() => true") and registrations, timeout=10)
    payload = {
        "kind": "permission",
        "project_id": 7,
        "title": "Shop",
        "status": "needs_help",
        "headline": "Shop needs your help",
        "question": "Claude Code asks: Do you want to create alpha.txt?",
        "url": "/projects/7",
        "action_token": "token-from-the-server",
    }
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": server.base, "registrationId": registrations[0], "data": json.dumps(payload)},
    )
    shown = wait_until(
        lambda: page.evaluate(
            """async () => {
             const list = await (await navigator.serviceWorker.ready).getNotifications();
             return list.length ? list.map(n => ({title: n.title, body: n.body, tag: n.tag,
               actions: (n.actions || []).map(a => a.action), data: n.data})) : null;
           }"""
        ),
        timeout=15,
    )
    assert shown[0]["title"] == "Shop needs your help"
    assert shown[0]["body"] == "Claude Code asks: Do you want to create alpha.txt?"
    assert shown[0]["actions"] == ["approve", "deny"]
    assert shown[0]["data"]["url"] == "/projects/7" and shown[0]["data"]["token"] == "token-from-the-server"
