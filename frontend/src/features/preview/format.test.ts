import { describe, expect, it } from "vitest";
import { shortCommand } from "./format";

describe("shortCommand", () => {
  it.each([
    ["/root/.pyenv/versions/3.11/bin/python3 -m http.server 8000", "python3 -m http.server 8000"],
    ["node  /workspace/projects/shop/node_modules/.bin/vite", "node /workspace/projects/shop/node_modules/.bin/vite"],
    ["python3", "python3"],
    ["", ""],
  ])("%s", (input, expected) => {
    expect(shortCommand(input)).toBe(expected);
  });
});
