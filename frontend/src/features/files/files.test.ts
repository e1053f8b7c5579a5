import { describe, expect, it } from "vitest";
import { LANGUAGES, languageFor } from "./languages";
import { baseName, joinPath, nameProblem, outgoing, parentOf, uploadForm } from "./paths";

describe("languageFor", () => {
  it.each([
    ["src/app.py", "python"],
    ["web/App.TSX", "typescript"],
    ["index.html", "xml"],
    ["Dockerfile", "dockerfile"],
    ["deploy/Dockerfile.dev", "dockerfile"],
    ["Makefile", "makefile"],
    ["pyproject.toml", "ini"],
    ["README.md", "markdown"],
    [".gitignore", "bash"],
    ["LICENSE", null],
    [".hidden", null],
    ["photo.png", null],
  ])("%s -> %s", (path, lang) => {
    expect(languageFor(path)).toBe(lang);
  });
  it("only names bundled languages", () => {
    expect(LANGUAGES).toContain("python");
    expect(new Set(LANGUAGES).size).toBe(LANGUAGES.length);
  });
});

describe("paths", () => {
  it("joins and splits", () => {
    expect(joinPath("", "a.txt")).toBe("a.txt");
    expect(joinPath("src", "/a.txt")).toBe("src/a.txt");
    expect(parentOf("src/lib/a.ts")).toBe("src/lib");
    expect(parentOf("a.ts")).toBe("");
    expect(baseName("src/lib/a.ts")).toBe("a.ts");
  });
  it.each([
    ["ok.txt", null],
    ["dir/ok.txt", null],
    ["", "A name is needed"],
    ["/etc/passwd", "Give a path inside the workspace (no leading /)"],
    ["../up", "“..” is not allowed"],
    ["a\nb", "Names cannot contain control characters"],
    ["x".repeat(256), "A name is too long"],
  ])("nameProblem(%j)", (name, problem) => {
    expect(nameProblem(name)).toBe(problem);
  });
  it("sends each file with its path inside the chosen folder", () => {
    const a = new File(["A"], "a.txt");
    const b = new File(["B"], "b.css");
    Object.defineProperty(b, "webkitRelativePath", { value: "site/css/b.css" });
    const items = outgoing([a, b]);
    expect(items.map((i) => i.path)).toEqual(["a.txt", "site/css/b.css"]);
    const form = uploadForm(items);
    expect(form.getAll("paths")).toEqual(["a.txt", "site/css/b.css"]);
    const sent = form.getAll("files") as File[];
    expect(sent.map((f) => f.name)).toEqual(["a.txt", "b.css"]);
    expect(sent.map((f) => f.size)).toEqual([1, 1]);
  });
});
