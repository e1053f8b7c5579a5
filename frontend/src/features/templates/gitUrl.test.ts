import { describe, expect, it } from "vitest";
import { gitKind, gitUrlProblem } from "./gitUrl";

describe("repository addresses in the form", () => {
  it.each([
    ["https://github.com/octo/x.git", "https"],
    ["ssh://git@github.com/octo/x.git", "ssh"],
    ["git@github.com:octo/x.git", "ssh"],
    ["git://127.0.0.1:9418/x.git", "git"],
    ["/etc", null],
    ["file:///etc", null],
    ["", null],
  ])("%s is %s", (url, kind) => {
    expect(gitKind(url)).toBe(kind);
  });

  it.each([
    ["--upload-pack=touch /tmp/x", "cannot start"],
    ["/etc", "Local paths"],
    ["file:///etc", "Local paths"],
    ["ext::sh -c x", "Transport helpers"],
    ["https://me:secret@github.com/x", "credentials"],
    ["ftp://example.org/x", "Use an https://"],
  ])("%s is refused (%s)", (url, words) => {
    expect(gitUrlProblem(url)).toContain(words);
  });

  it("lets good addresses through", () => {
    expect(gitUrlProblem("git@github.com:octo/x.git")).toBeNull();
    expect(gitUrlProblem("")).toBeNull();
  });
});
