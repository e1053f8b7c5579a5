import { describe, expect, it } from "vitest";
import { stepNumber } from "./steps";

describe("stepNumber", () => {
  it("asks for the changes of the step the button names (the API counts from 1)", () => {
    // "Changes in step 1" is the plan's first step (index 0) and GET .../steps/1/diff.
    expect(stepNumber(0)).toBe(1);
    expect(stepNumber(4)).toBe(5);
  });
});
