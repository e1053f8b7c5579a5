import { useEffect, useState } from "react";
import { languageFor } from "./languages";

// Past this the plain text is shown: highlighting a megabyte would stall a phone.
const HIGHLIGHT_MAX = 200_000;

/** A file's text with line numbers, highlighted once the highlighter has loaded. */
export function CodeView({ path, text }: { path: string; text: string }) {
  const [html, setHtml] = useState<{ path: string; text: string; html: string } | null>(null);
  const language = languageFor(path);
  useEffect(() => {
    if (language === null || text.length > HIGHLIGHT_MAX) return;
    let live = true;
    void import("./highlight").then(({ highlightHtml }) => {
      const out = highlightHtml(text, language);
      if (live && out !== null) setHtml({ path, text, html: out });
    });
    return () => {
      live = false;
    };
  }, [path, text, language]);
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n").length : text.split("\n").length;
  const current = html && html.path === path && html.text === text ? html.html : null;
  return (
    <div className="code-view flex min-w-0 font-mono text-xs leading-5" data-language={language ?? "plain"} data-highlighted={current !== null || undefined}>
      <pre aria-hidden="true" className="sticky left-0 shrink-0 select-none border-r border-slate-200 bg-slate-100 px-2 py-3 text-right text-slate-500 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400">
        {Array.from({ length: lines }, (_, i) => i + 1).join("\n")}
      </pre>
      {current !== null ? (
        // highlight.js escapes every character of the text it is given; only its own spans are markup.
        <pre aria-label={`Contents of ${path}`} className="min-w-0 flex-1 px-3 py-3" dangerouslySetInnerHTML={{ __html: current }} />
      ) : (
        <pre aria-label={`Contents of ${path}`} className="min-w-0 flex-1 px-3 py-3">
          {text}
        </pre>
      )}
    </div>
  );
}
