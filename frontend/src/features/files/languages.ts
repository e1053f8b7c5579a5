/** Which highlight.js language (of the few bundled in highlight.ts) a file name calls for. */
const BY_EXTENSION: Record<string, string> = {
  js: "javascript", mjs: "javascript", cjs: "javascript", jsx: "javascript",
  ts: "typescript", mts: "typescript", cts: "typescript", tsx: "typescript",
  py: "python", pyi: "python",
  json: "json", jsonc: "json", webmanifest: "json",
  css: "css", scss: "scss",
  html: "xml", htm: "xml", xml: "xml", svg: "xml", vue: "xml",
  md: "markdown", markdown: "markdown",
  sh: "bash", bash: "bash", zsh: "bash",
  yml: "yaml", yaml: "yaml",
  toml: "ini", ini: "ini", cfg: "ini", conf: "ini",
  rs: "rust", go: "go", sql: "sql", java: "java", kt: "kotlin",
  c: "c", h: "c", cpp: "cpp", cc: "cpp", hpp: "cpp",
  rb: "ruby", php: "php", diff: "diff", patch: "diff",
};

const BY_NAME: Record<string, string> = {
  dockerfile: "dockerfile", makefile: "makefile", "gnumakefile": "makefile",
  ".bashrc": "bash", ".profile": "bash", ".env": "bash", ".gitignore": "bash",
};

export function languageFor(path: string): string | null {
  const name = (path.split("/").pop() ?? "").toLowerCase();
  if (name in BY_NAME) return BY_NAME[name] ?? null;
  if (name.startsWith("dockerfile")) return "dockerfile";
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return null;
  return BY_EXTENSION[name.slice(dot + 1)] ?? null;
}

/** Every language languageFor can answer (highlight.ts registers exactly these). */
export const LANGUAGES = [...new Set([...Object.values(BY_EXTENSION), ...Object.values(BY_NAME), "dockerfile"])].sort();
