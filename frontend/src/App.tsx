import { lazy, Suspense, useEffect, type ReactNode } from "react";
import { BrowserRouter, Navigate, Route, Routes, useLocation } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { session } from "./api/client";
import { useSession } from "./auth/useSession";
import { Shell } from "./components/Shell";
import { Button, Loading } from "./components/ui";
import { NotFound } from "./components/NotFound";
import { useIdParam } from "./lib/params";
import { LoginPage } from "./pages/Login";
import { DashboardPage } from "./pages/Dashboard";

const AgentPage = lazy(() => import("./pages/Agent"));
const AgentBuilderPage = lazy(() => import("./pages/AgentBuilder"));
const NewProjectPage = lazy(() => import("./pages/NewProject"));
const loadProjectPage = () => import("./pages/Project");
const ProjectPage = lazy(loadProjectPage);
// A project link opened from a push or the home screen: fetch the page's code while the session
// is being restored, not after.
if (window.location.pathname.startsWith("/projects/")) void loadProjectPage();
const SettingsPage = lazy(() => import("./pages/Settings"));
const AdminPage = lazy(() => import("./pages/Admin"));

function Offline() {
  return (
    <main className="grid min-h-full place-items-center p-6 text-center">
      <div>
        <h1 className="text-2xl font-semibold">You're offline</h1>
        <p className="mt-2 text-slate-700 dark:text-slate-300">AutoCode can't reach your server. Your agents keep working.</p>
        <Button variant="primary" className="mt-4" onClick={() => void session.restore()}>
          Try again
        </Button>
      </div>
    </main>
  );
}

function Authed() {
  const s = useSession();
  const location = useLocation();
  const qc = useQueryClient();
  useEffect(() => {
    if (s.status === "anonymous") qc.clear();
  }, [s.status, qc]);
  if (s.status === "loading") return <Loading label="Opening AutoCode…" />;
  if (s.status === "offline") return <Offline />;
  if (s.status === "anonymous") return <Navigate to="/login" replace state={{ from: location.pathname + location.search }} />;
  return <Shell />;
}

export function App() {
  useEffect(() => {
    void session.restore();
  }, []);
  return (
    <BrowserRouter>
      <Suspense fallback={<Loading />}>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route element={<Authed />}>
            <Route index element={<DashboardPage />} />
            <Route path="agents/new" element={<AgentBuilderPage />} />
            <Route path="agents/:agentId" element={<WithId name="agentId" what="agent"><AgentPage /></WithId>} />
            <Route path="agents/:agentId/edit" element={<WithId name="agentId" what="agent"><AgentBuilderPage /></WithId>} />
            <Route path="agents/:agentId/projects/new" element={<WithId name="agentId" what="agent"><NewProjectPage /></WithId>} />
            <Route path="projects/:projectId" element={<WithId name="projectId" what="project"><ProjectPage /></WithId>} />
            <Route path="settings" element={<SettingsPage />} />
            <Route path="admin" element={<AdminPage />} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}

/** An address whose id is not a whole number (/agents/abc) names nothing: say so, without asking the server. */
function WithId({ name, what, children }: { name: string; what: string; children: ReactNode }) {
  const id = useIdParam(name);
  return id === null ? <NotFound message={`There is no ${what} at this address.`} /> : children;
}
