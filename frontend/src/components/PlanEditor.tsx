import { Button, TextField } from "./ui";

export interface DraftStep {
  key: number;
  title: string;
  detail: string;
}

let nextKey = 1;
export const newStep = (title = "", detail = ""): DraftStep => ({ key: nextKey++, title, detail });

/** Ordered list of plan steps with add / remove / move; `error` (about the plan as a whole) shows at the first step. */
export function PlanEditor({ steps, onChange, error }: { steps: DraftStep[]; onChange: (s: DraftStep[]) => void; error?: string | null }) {
  const update = (i: number, patch: Partial<DraftStep>) => onChange(steps.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const move = (i: number, d: -1 | 1) => {
    const next = [...steps];
    const [s] = next.splice(i, 1);
    next.splice(i + d, 0, s!);
    onChange(next);
  };
  return (
    <div className="space-y-3">
      <ol className="space-y-3">
        {steps.map((s, i) => (
          <li key={s.key} className="rounded-md border border-slate-200 p-3 dark:border-slate-700">
            <div className="flex flex-wrap items-end gap-2">
              <TextField className="min-w-48 flex-1" label={`Step ${i + 1} title`} value={s.title} onChange={(e) => update(i, { title: e.target.value })} error={i === 0 ? error : null} />
              <div className="flex gap-1">
                <Button variant="ghost" aria-label={`Move step ${i + 1} up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  ↑
                </Button>
                <Button variant="ghost" aria-label={`Move step ${i + 1} down`} disabled={i === steps.length - 1} onClick={() => move(i, 1)}>
                  ↓
                </Button>
                <Button variant="ghost" aria-label={`Remove step ${i + 1}`} onClick={() => onChange(steps.filter((_, j) => j !== i))}>
                  ✕
                </Button>
              </div>
            </div>
            <TextField className="mt-2" label={`Step ${i + 1} detail`} value={s.detail} onChange={(e) => update(i, { detail: e.target.value })} placeholder="Optional: what done looks like" />
          </li>
        ))}
      </ol>
      <Button onClick={() => onChange([...steps, newStep()])}>+ Add step</Button>
    </div>
  );
}
