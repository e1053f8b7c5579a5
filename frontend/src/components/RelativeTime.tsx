import { useSyncExternalStore } from "react";
import { formatExact, formatRelative } from "../lib/format";

// One shared ticker for every relative time on screen.
let now = Date.now();
const subs = new Set<() => void>();
let interval: ReturnType<typeof setInterval> | null = null;
function subscribe(fn: () => void) {
  subs.add(fn);
  interval ??= setInterval(() => {
    now = Date.now();
    subs.forEach((s) => s());
  }, 30_000);
  return () => {
    subs.delete(fn);
    if (!subs.size && interval) {
      clearInterval(interval);
      interval = null;
    }
  };
}

function showExact(e: { currentTarget: HTMLTimeElement }) {
  const el = e.currentTarget;
  if (!el.title) el.title = formatExact(el.dateTime);
}

export function RelativeTime({ iso, prefix }: { iso: string | null | undefined; prefix?: string }) {
  const t = useSyncExternalStore(subscribe, () => now);
  if (!iso) return <span>{prefix ? `${prefix} never` : "never"}</span>;
  return (
    // The exact time is worked out when someone points at it: building a date formatter is
    // costly enough to show up in the page's start-up time.
    <time dateTime={iso} onPointerEnter={showExact} onFocus={showExact} onTouchStart={showExact}>
      {prefix ? `${prefix} ` : ""}
      {formatRelative(iso, Math.max(t, Date.now() - 30_000))}
    </time>
  );
}
