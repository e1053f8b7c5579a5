import { afterEach, describe, expect, it, vi } from "vitest";
import { api, session, unwrap } from "./client";
import { SESSION_ENDED } from "../auth/session";

const user = { id: 1, username: "ada", is_admin: false, disabled: false, created_at: "2026-01-01T00:00:00Z" };
const pair = (t: string) => ({ access_token: t, token_type: "bearer", refresh_token: "x", expires_in: 900, user });
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function urlOf(input: RequestInfo | URL): string {
  return new URL(input instanceof Request ? input.url : String(input), "http://localhost").pathname;
}

afterEach(() => {
  vi.unstubAllGlobals();
  session.expired();
});

describe("API client", () => {
  it("sends the bearer token, and on 401 refreshes once and retries", async () => {
    session.accept(pair("old"));
    const seen: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: RequestInfo | URL) => {
        const path = urlOf(input);
        if (path === "/api/auth/refresh") return json(200, pair("new"));
        const auth = (input as Request).headers.get("Authorization");
        seen.push(`${path} ${auth}`);
        return auth === "Bearer new" ? json(200, []) : json(401, { detail: "Token expired" });
      }),
    );
    const agents = await unwrap(api.GET("/api/agents"));
    expect(agents).toEqual([]);
    expect(seen).toEqual(["/api/agents Bearer old", "/api/agents Bearer new"]);
    expect(session.accessToken).toBe("new");
  });

  it("a 401 whose refresh is refused signs the user out with a message", async () => {
    session.accept(pair("old"));
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => json(401, { detail: "Not authenticated" })),
    );
    await expect(unwrap(api.GET("/api/agents"))).rejects.toThrow("Not authenticated");
    expect(session.current).toEqual({ status: "anonymous", message: SESSION_ENDED });
  });

  it("turns server errors into their message", async () => {
    session.accept(pair("t"));
    vi.stubGlobal("fetch", vi.fn(async () => json(409, { detail: "Project is already running" })));
    await expect(unwrap(api.POST("/api/projects/{project_id}/start", { params: { path: { project_id: 1 } } }))).rejects.toMatchObject({
      status: 409,
      message: "Project is already running",
    });
    vi.stubGlobal("fetch", vi.fn(async () => json(422, { detail: [{ loc: ["body", "username"], msg: "String should match pattern" }] })));
    await expect(unwrap(api.POST("/api/users", { body: { username: "B", password: "x", is_admin: false } }))).rejects.toThrow("username: String should match pattern");
  });

  it("keeps a 422's list, so a form can show each message at its field", async () => {
    session.accept(pair("t"));
    const detail = [{ loc: ["body", "username"], msg: "String should match pattern" }];
    vi.stubGlobal("fetch", vi.fn(async () => json(422, { detail })));
    await expect(unwrap(api.POST("/api/users", { body: { username: "B", password: "x", is_admin: false } }))).rejects.toMatchObject({ status: 422, detail });
  });

  it("a wrong current password (403) leaves the session alone", async () => {
    session.accept(pair("t"));
    vi.stubGlobal("fetch", vi.fn(async () => json(403, { detail: "Current password is incorrect" })));
    await expect(
      unwrap(api.POST("/api/auth/password", { body: { current_password: "nope", new_password: "long-enough-1" } })),
    ).rejects.toMatchObject({ status: 403, message: "Current password is incorrect" });
    expect(session.current.status).toBe("authenticated");
  });
});
