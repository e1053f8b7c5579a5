import { useEffect, useState } from "react";
import { Link } from "react-router";
import type { AgentPublic, ApiKeyPublic } from "../../api/types";
import { useUser } from "../../auth/useSession";
import { Button, cx } from "../../components/ui";
import { onboarding, readRemembered, storageKey, type StepId } from "./onboarding";

const COPY: Record<StepId, { title: string; text: string }> = {
  key: { title: "Add a key", text: "In Settings, add an Anthropic API key or a Claude subscription token, then test it." },
  agent: { title: "Make an agent", text: "Give it a model, an identity and the rules it always follows." },
  project: { title: "Start a project", text: "Describe a goal, optionally a plan, and press Start." },
};

/** The three first steps, ticked as the user takes them: the empty dashboard, or a card above
 *  the projects until the steps are done (and once more, all ticked, until closed). */
export function Onboarding({ keys, agents, projects }: { keys: ApiKeyPublic[] | undefined; agents: AgentPublic[] | undefined; projects: number }) {
  const user = useUser();
  const [remembered, setRemembered] = useState(() => readRemembered(localStorage, user.id));
  const loaded = keys !== undefined && agents !== undefined;
  const o = onboarding({
    keys: keys?.length ?? 0,
    agents: agents?.length ?? 0,
    projects,
    seenUnfinished: remembered !== null,
    dismissed: remembered === "dismissed",
  });
  useEffect(() => {
    if (loaded && o.show === "steps" && remembered === null) {
      localStorage.setItem(storageKey(user.id), "seen");
      setRemembered("seen");
    }
  }, [loaded, o.show, remembered, user.id]);

  if (projects > 0 && (!loaded || o.show === "none")) return null;
  const empty = projects === 0;
  const finished = o.show === "finished";
  const firstAgent = agents?.[0];
  const target: Record<StepId, string> = {
    key: "/settings",
    agent: "/agents/new",
    project: firstAgent ? `/agents/${firstAgent.id}/projects/new` : "/agents/new",
  };
  const title = empty ? "No projects yet" : finished ? "You’re all set" : "Finish setting up";
  return (
    <section
      aria-labelledby="onboarding-title"
      className={cx("max-w-2xl rounded-lg border p-6", empty && "mx-auto", empty || !finished ? "border-dashed border-slate-300 dark:border-slate-700" : "border-green-300 dark:border-green-800", !empty && "mb-4")}
    >
      <div className="flex items-start justify-between gap-3">
        <h2 id="onboarding-title" className="text-xl font-semibold">
          {title}
        </h2>
        {finished && !empty && (
          <Button
            variant="ghost"
            onClick={() => {
              localStorage.setItem(storageKey(user.id), "dismissed");
              setRemembered("dismissed");
            }}
          >
            Close
          </Button>
        )}
      </div>
      <p className="mt-1 text-slate-700 dark:text-slate-300">
        {finished ? "Your first project is made: open it and press Start when you are ready." : `Three steps to your first agent at work (${o.done} of 3 done):`}
      </p>
      <ol className="mt-4 space-y-3" aria-label="First steps">
        {o.steps.map((s, i) => {
          const copy = COPY[s.id];
          const waiting = s.id === "project" && !firstAgent && !s.done;
          return (
            <li key={s.id} className="flex gap-3" aria-current={s.current ? "step" : undefined}>
              <span
                aria-hidden="true"
                className={cx(
                  "grid size-8 shrink-0 place-items-center rounded-full font-semibold",
                  s.done
                    ? "bg-green-700 text-white dark:bg-green-500 dark:text-slate-950"
                    : s.current
                      ? "bg-blue-700 text-white dark:bg-blue-500 dark:text-slate-950"
                      : "bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200",
                )}
              >
                {s.done ? "✓" : i + 1}
              </span>
              <div className="min-w-0">
                <p className="flex flex-wrap items-center gap-x-2">
                  <Link to={target[s.id]} className={cx("font-medium underline", s.done ? "text-slate-700 dark:text-slate-300" : "text-blue-700 dark:text-blue-300")}>
                    {copy.title}
                  </Link>
                  {s.done && <span className="text-sm font-medium text-green-800 dark:text-green-300">Done</span>}
                  {s.current && <span className="text-sm font-medium text-blue-800 dark:text-blue-200">Next</span>}
                </p>
                <p className="text-sm text-slate-700 dark:text-slate-300">{waiting ? "Make an agent first; its page has “+ New project”." : copy.text}</p>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
