import type { ProjectStatus } from "../api/types";
import { STATUS } from "../lib/status";
import { cx } from "./ui";

export function StatusBadge({ status, className }: { status: ProjectStatus; className?: string }) {
  const m = STATUS[status];
  return (
    <span
      title={m.meaning}
      className={cx("inline-flex items-center gap-1.5 whitespace-nowrap rounded-full px-2.5 py-0.5 text-sm font-medium", m.badge, className)}
    >
      <span aria-hidden="true" className={cx(m.pulse && "pulse-dot")}>
        {m.icon}
      </span>
      {m.word}
    </span>
  );
}
