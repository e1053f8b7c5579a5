/** Where a new user stands on the way to a first agent at work (pure: counts in, steps out). */

export type StepId = "key" | "agent" | "project";

export interface OnboardingInput {
  keys: number;
  agents: number;
  projects: number;
  /** The user has seen the steps unfinished in this browser (so finishing them is news). */
  seenUnfinished: boolean;
  /** The user closed the "all set" card. */
  dismissed: boolean;
}

export interface OnboardingStep {
  id: StepId;
  done: boolean;
  /** The first step not done: the one to do now. */
  current: boolean;
}

export interface Onboarding {
  steps: OnboardingStep[];
  done: number;
  /** "steps": show the checklist; "finished": show it all ticked, once, until closed; "none". */
  show: "steps" | "finished" | "none";
}

const ORDER: StepId[] = ["key", "agent", "project"];

export function onboarding(input: OnboardingInput): Onboarding {
  const have: Record<StepId, boolean> = { key: input.keys > 0, agent: input.agents > 0, project: input.projects > 0 };
  const firstOpen = ORDER.find((id) => !have[id]);
  const steps = ORDER.map((id) => ({ id, done: have[id], current: id === firstOpen }));
  const done = steps.filter((s) => s.done).length;
  const show = firstOpen ? "steps" : input.seenUnfinished && !input.dismissed ? "finished" : "none";
  return { steps, done, show };
}

/** What this browser remembers of one user's onboarding. */
export type Remembered = "seen" | "dismissed" | null;

export const storageKey = (userId: number) => `autocode.onboarding.${userId}`;

export function readRemembered(storage: Pick<Storage, "getItem">, userId: number): Remembered {
  const v = storage.getItem(storageKey(userId));
  return v === "seen" || v === "dismissed" ? v : null;
}
