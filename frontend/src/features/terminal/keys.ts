/** The phone key bar: label, accessible name, bytes sent to the terminal. */
export const KEYS: { label: string; name: string; seq: string }[] = [
  { label: "Esc", name: "Escape", seq: "\x1b" },
  { label: "Tab", name: "Tab", seq: "\t" },
  { label: "^C", name: "Control C", seq: "\x03" },
  { label: "↑", name: "Arrow up", seq: "\x1b[A" },
  { label: "↓", name: "Arrow down", seq: "\x1b[B" },
  { label: "←", name: "Arrow left", seq: "\x1b[D" },
  { label: "→", name: "Arrow right", seq: "\x1b[C" },
  { label: "⏎", name: "Enter", seq: "\r" },
];
