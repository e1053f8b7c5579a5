import { useEffect, useRef, useState } from "react";
import { NavLink, Outlet, useLocation, useNavigate } from "react-router";
import { useQuery } from "@tanstack/react-query";
import { agentsQuery, projectsQuery } from "../api/queries";
import { toast } from "sonner";
import { useUser } from "../auth/useSession";
import { session } from "../api/client";
import { PageTitleProvider, usePageTitleState } from "./PageTitle";
import { StatusBadge } from "./StatusBadge";
import { cx } from "./ui";

const link = ({ isActive }: { isActive: boolean }) =>
  cx(
    "flex min-h-10 items-center gap-2 rounded-md px-3 py-2 text-sm",
    isActive ? "bg-slate-200 font-semibold text-slate-950 dark:bg-slate-800 dark:text-white" : "text-slate-700 hover:bg-slate-200 dark:text-slate-300 dark:hover:bg-slate-800",
  );

function ShieldIcon() {
  return (
    <svg aria-hidden="true" viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.6">
      <path d="M8 1.5l5.5 2v4c0 3.3-2.3 5.9-5.5 7-3.2-1.1-5.5-3.7-5.5-7v-4z" />
    </svg>
  );
}

/** Counts projects waiting for the user and announces newcomers wherever the user is. */
function useNeedsHelp(): number {
  const projects = useQuery(projectsQuery());
  const navigate = useNavigate();
  const seen = useRef<Set<number> | null>(null);
  const waiting = (projects.data ?? []).filter((p) => p.status === "needs_help");
  useEffect(() => {
    if (!projects.data) return;
    const ids = new Set(waiting.map((p) => p.id));
    if (seen.current) {
      for (const p of waiting) {
        if (!seen.current.has(p.id) && !window.location.pathname.endsWith(`/projects/${p.id}`)) {
          toast.warning(`${p.name} needs help`, {
            description: p.status_reason ?? undefined,
            action: { label: "Open", onClick: () => navigate(`/projects/${p.id}`) },
          });
        }
      }
    }
    seen.current = ids;
    document.title = document.title.replace(/^\(\d+\) /, "");
    if (ids.size) document.title = `(${ids.size}) ${document.title}`;
  });
  return waiting.length;
}

function Nav({ onNavigate, waiting }: { onNavigate?: () => void; waiting: number }) {
  const user = useUser();
  const agents = useQuery(agentsQuery());
  return (
    <nav aria-label="Main" className="flex h-full flex-col gap-1 p-3">
      <div className="mb-3 flex items-center gap-2 px-3 py-1">
        <img src="/favicon.svg" alt="" className="size-7" />
        <span className="text-lg font-semibold">AutoCode</span>
        {onNavigate && (
          <button type="button" aria-label="Close menu" onClick={onNavigate} className="ml-auto grid size-10 place-items-center rounded-md text-xl hover:bg-slate-200 dark:hover:bg-slate-800">
            ✕
          </button>
        )}
      </div>
      <NavLink to="/" end className={link} onClick={onNavigate}>
        <span aria-hidden="true">▦</span> Dashboard
        {waiting > 0 && (
          <span className="ml-auto rounded-full bg-amber-200 px-2 text-xs font-semibold text-amber-950" title={`${waiting} need help`}>
            ⚠ {waiting}
            <span className="sr-only"> need help</span>
          </span>
        )}
      </NavLink>
      <h2 className="mt-4 px-3 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Agents</h2>
      <ul className="space-y-1">
        {agents.data?.map((a) => (
          <li key={a.id}>
            <NavLink to={`/agents/${a.id}`} className={link} onClick={onNavigate}>
              <span aria-hidden="true">·</span>
              <span className="truncate">{a.name}</span>
            </NavLink>
          </li>
        ))}
      </ul>
      <NavLink to="/agents/new" className={link} onClick={onNavigate}>
        <span aria-hidden="true">+</span> New agent
      </NavLink>
      <div className="mt-auto space-y-1 border-t border-slate-200 pt-3 dark:border-slate-800">
        <NavLink to="/settings" className={link} onClick={onNavigate}>
          <span aria-hidden="true">⚙</span> Settings
        </NavLink>
        {user.is_admin && (
          <NavLink to="/admin" className={link} onClick={onNavigate}>
            <ShieldIcon /> Admin
          </NavLink>
        )}
        <button type="button" className={cx(link({ isActive: false }), "w-full")} onClick={() => void session.logout()}>
          <span aria-hidden="true">↪</span> Sign out <span className="ml-auto truncate text-xs text-slate-600 dark:text-slate-400">{user.username}</span>
        </button>
      </div>
    </nav>
  );
}

function TopBar({ onMenu, waiting }: { onMenu: () => void; waiting: number }) {
  const { title, status } = usePageTitleState();
  return (
    // The installed app draws under a phone's notch (viewport-fit=cover): the bar grows by the inset.
    <header className="sticky top-0 z-20 flex h-[calc(3.5rem+env(safe-area-inset-top))] items-center gap-2 border-b pt-[env(safe-area-inset-top)] border-slate-200 bg-white/95 px-2 backdrop-blur lg:hidden dark:border-slate-800 dark:bg-slate-900/95">
      <button type="button" aria-label={waiting ? `Open menu, ${waiting} need help` : "Open menu"} onClick={onMenu} className="relative grid size-10 place-items-center rounded-md text-xl hover:bg-slate-200 dark:hover:bg-slate-800">
        ☰
        {waiting > 0 && <span aria-hidden="true" className="absolute right-1 top-1 size-2.5 rounded-full bg-amber-500" />}
      </button>
      <span className="min-w-0 flex-1 truncate text-lg font-semibold">{title}</span>
      {status && <StatusBadge status={status} />}
    </header>
  );
}

export function Shell() {
  const [open, setOpen] = useState(false);
  const drawer = useRef<HTMLDialogElement>(null);
  const location = useLocation();
  const waiting = useNeedsHelp();
  useEffect(() => {
    if (open) drawer.current?.showModal();
    else drawer.current?.close();
  }, [open]);
  useEffect(() => setOpen(false), [location.pathname]);
  return (
    <PageTitleProvider>
      <div className="flex min-h-full">
        <aside className="sticky top-0 hidden h-screen w-60 shrink-0 border-r pt-[env(safe-area-inset-top)] pb-[env(safe-area-inset-bottom)] pl-[env(safe-area-inset-left)] border-slate-200 bg-slate-100 lg:block dark:border-slate-800 dark:bg-slate-900">
          <Nav waiting={waiting} />
        </aside>
        <dialog
          ref={drawer}
          aria-label="Navigation"
          onClose={() => setOpen(false)}
          onClick={(e) => e.target === drawer.current && setOpen(false)}
          className="m-0 h-full max-h-none w-72 max-w-[85vw] pt-[env(safe-area-inset-top)] pb-[env(safe-area-inset-bottom)] pl-[env(safe-area-inset-left)] bg-slate-100 text-slate-900 backdrop:bg-black/50 lg:hidden dark:bg-slate-900 dark:text-slate-100"
        >
          {open && <Nav waiting={waiting} onNavigate={() => setOpen(false)} />}
        </dialog>
        {/* Clear of a phone's rounded corners and home bar in the installed app (no-ops in a browser tab). */}
        <div className="flex min-w-0 flex-1 flex-col pr-[env(safe-area-inset-right)] pb-[env(safe-area-inset-bottom)] pl-[env(safe-area-inset-left)] lg:pl-0">
          <TopBar waiting={waiting} onMenu={() => setOpen(true)} />
          <main id="main" className="min-w-0 flex-1 p-3 sm:p-5 lg:p-6">
            <Outlet />
          </main>
        </div>
      </div>
    </PageTitleProvider>
  );
}
