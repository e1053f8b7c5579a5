import type { PlanStep } from "../../api/types";

/** How truthful a step's "done" is: not verified by a decision model, flagged for your review,
 *  and the answers you gave while it ran. */
export function StepOutcome({ step }: { step: PlanStep }) {
  const unverified = step.status === "done" && step.verified === false;
  const answers = step.answers ?? [];
  if (!unverified && !step.review && answers.length === 0) return null;
  return (
    <div className="mt-1 space-y-1 text-sm">
      <div className="flex flex-wrap gap-1">
        {unverified && (
          <span
            className="rounded-full bg-slate-200 px-2 py-0.5 text-xs font-medium text-slate-800 dark:bg-slate-700 dark:text-slate-100"
            title="No decision model gave a verdict: the step counts as done because Claude Code's turn ended cleanly"
          >
            done, not verified
          </span>
        )}
        {step.review && (
          <span className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 dark:bg-amber-950 dark:text-amber-200">
            flagged for review
          </span>
        )}
      </div>
      {step.review && <p className="break-words text-amber-900 dark:text-amber-200">{step.review}</p>}
      {answers.map((a, i) => (
        <p key={i} className="break-words text-slate-700 dark:text-slate-300">
          You answered: {a}
        </p>
      ))}
    </div>
  );
}
