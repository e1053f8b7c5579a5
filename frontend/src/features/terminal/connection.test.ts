import { describe, expect, it } from "vitest";
import { canType, closeOutcome, isUnlocked, setUnlocked } from "./connection";

describe("closeOutcome", () => {
  it.each([4429, 4403, 4401])("a refusal (%i) is not retried", (code) => {
    expect(closeOutcome(code, "", false).kind).toBe("refused");
  });
  it("says why too many terminals were refused", () => {
    const outcome = closeOutcome(4429, "too many terminals", false);
    expect(outcome).toEqual({ kind: "refused", message: expect.stringContaining("Too many terminals") });
  });
  it("a gone project stops", () => {
    expect(closeOutcome(4404, "", false)).toEqual({ kind: "gone" });
    expect(closeOutcome(4404, "project deleted", true)).toEqual({ kind: "gone" });
  });
  it("a policy refusal shows the server's reason", () => {
    const outcome = closeOutcome(4403, "local runtime: admins only on this server", false);
    expect(outcome).toEqual({ kind: "refused", message: "local runtime: admins only on this server" });
  });
  it("an ended session offers reconnect", () => {
    expect(closeOutcome(4000, "", false)).toEqual({ kind: "ended" });
    expect(closeOutcome(1000, "", true)).toEqual({ kind: "ended" });
  });
  it.each([1006, 1011, 4008, 4500])("a dropped connection (%i) is retried", (code) => {
    expect(closeOutcome(code, "", false)).toEqual({ kind: "retry" });
  });
});

describe("typing into Claude Code's window", () => {
  it("is locked until unlocked, per project, remembered", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    expect(isUnlocked(storage, 7)).toBe(false);
    expect(canType("agent", isUnlocked(storage, 7), false)).toBe(false);
    setUnlocked(storage, 7, true);
    expect(isUnlocked(storage, 7)).toBe(true);
    expect(isUnlocked(storage, 8)).toBe(false);
    expect(canType("agent", isUnlocked(storage, 7), false)).toBe(true);
    setUnlocked(storage, 7, false);
    expect(isUnlocked(storage, 7)).toBe(false);
  });
  it("the shell takes typing unless read-only", () => {
    expect(canType("shell", false, false)).toBe(true);
    expect(canType("shell", true, true)).toBe(false);
    expect(canType("agent", true, true)).toBe(false);
  });
});
