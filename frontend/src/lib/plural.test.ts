import { describe, expect, it } from "vitest";
import { plural } from "./plural";

describe("plural", () => {
  it.each([
    [0, "agent", undefined, "0 agents"],
    [1, "agent", undefined, "1 agent"],
    [2, "agent", undefined, "2 agents"],
    [1, "entry", "entries", "1 entry"],
    [12, "entry", "entries", "12 entries"],
  ])("%i %s", (n, one, many, out) => {
    expect(plural(n, one, many)).toBe(out);
  });
});
