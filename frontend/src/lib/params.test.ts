import { describe, expect, it } from "vitest";
import { parseId } from "./params";

describe("parseId", () => {
  it.each([
    ["1", 1],
    ["42", 42],
    ["999999", 999999],
    ["999999999999999", 999999999999999],
  ])("%s is the id %i", (v, id) => expect(parseId(v)).toBe(id));

  it.each([undefined, "", "abc", "0", "-1", "1.5", "1e3", "012", " 1", "0x1f", "99999999999999999999"])("%s is no id", (v) => {
    expect(parseId(v)).toBeNull();
  });
});
