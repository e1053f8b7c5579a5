import { describe, expect, it } from "vitest";
import { sortProjectsForDashboard } from "./status";
import { formatClock, formatRelative, formatTokens, maskKey } from "./format";
import type { ProjectStatus } from "../api/types";

describe("dashboard order", () => {
  it("puts needs_help first, then running, then the rest by recent activity", () => {
    const p = (id: number, status: ProjectStatus, t: string) => ({ id, status, last_activity_at: t, updated_at: t });
    const sorted = sortProjectsForDashboard([
      p(1, "completed", "2026-01-01T10:00:00Z"),
      p(2, "running", "2026-01-01T09:00:00Z"),
      p(3, "needs_help", "2026-01-01T08:00:00Z"),
      p(4, "created", "2026-01-01T11:00:00Z"),
      p(5, "running", "2026-01-01T09:30:00Z"),
    ]);
    expect(sorted.map((x) => x.id)).toEqual([3, 5, 2, 4, 1]);
  });
});

describe("formatting", () => {
  it("shows relative times", () => {
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(formatRelative("2026-01-01T11:59:50Z", now)).toBe("just now");
    expect(formatRelative("2026-01-01T11:58:00Z", now)).toMatch(/2 min/);
    expect(formatRelative(null, now)).toBe("never");
  });
  it("masks keys and shortens token counts", () => {
    expect(maskKey("anthropic", "abcd")).toBe("anthropic ····abcd");
    expect(formatTokens(999)).toBe("999");
    expect(formatTokens(1234)).toBe("1.2k");
    expect(formatTokens(2_500_000)).toBe("2.5M");
  });
});

describe("formatClock", () => {
  it("shows the local time of day as 24-hour HH:MM", () => {
    expect(formatClock(new Date(2026, 0, 1, 21, 40, 59).toISOString())).toBe("21:40");
    expect(formatClock(new Date(2026, 0, 1, 0, 5).toISOString())).toBe("00:05");
    expect(formatClock(new Date(2026, 0, 1, 9, 0).toISOString())).toBe("09:00");
    expect(formatClock("not a time")).toBe("");
  });
});
