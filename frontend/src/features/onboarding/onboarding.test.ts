import { describe, expect, it } from "vitest";
import { onboarding, readRemembered, type OnboardingInput } from "./onboarding";

const base: OnboardingInput = { keys: 0, agents: 0, projects: 0, seenUnfinished: false, dismissed: false };

describe("onboarding steps", () => {
  const cases: [string, Partial<OnboardingInput>, boolean[], string | null, string][] = [
    // name, input, ticks (key, agent, project), current step, what shows
    ["a new user", {}, [false, false, false], "key", "steps"],
    ["a key added", { keys: 1 }, [true, false, false], "agent", "steps"],
    ["a key and an agent", { keys: 2, agents: 1 }, [true, true, false], "project", "steps"],
    ["an agent before a key", { agents: 1 }, [false, true, false], "key", "steps"],
    ["projects but no key", { agents: 1, projects: 3 }, [false, true, true], "key", "steps"],
    ["all three, just finished here", { keys: 1, agents: 1, projects: 1, seenUnfinished: true }, [true, true, true], null, "finished"],
    ["all three, card closed", { keys: 1, agents: 1, projects: 1, seenUnfinished: true, dismissed: true }, [true, true, true], null, "none"],
    ["all three, never saw the steps", { keys: 1, agents: 1, projects: 1 }, [true, true, true], null, "none"],
  ];
  it.each(cases)("%s", (_name, input, ticks, current, show) => {
    const o = onboarding({ ...base, ...input });
    expect(o.steps.map((s) => s.done)).toEqual(ticks);
    expect(o.steps.find((s) => s.current)?.id ?? null).toBe(current);
    expect(o.done).toBe(ticks.filter(Boolean).length);
    expect(o.show).toBe(show);
  });
});

describe("remembered onboarding", () => {
  const storage = (v: string | null) => ({ getItem: () => v });
  it.each([
    ["seen", "seen"],
    ["dismissed", "dismissed"],
    [null, null],
    ["garbage", null],
  ] as const)("%s → %s", (stored, want) => {
    expect(readRemembered(storage(stored), 7)).toBe(want);
  });
});
