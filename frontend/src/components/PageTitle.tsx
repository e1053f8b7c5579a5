import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import type { ProjectStatus } from "../api/types";

interface TitleState {
  title: string;
  status: ProjectStatus | null;
}

const Ctx = createContext<TitleState & { set: (s: TitleState) => void }>({ title: "AutoCode", status: null, set: () => {} });

export function PageTitleProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<TitleState>({ title: "AutoCode", status: null });
  return <Ctx.Provider value={{ ...state, set: setState }}>{children}</Ctx.Provider>;
}

export function usePageTitleState(): TitleState {
  return useContext(Ctx);
}

/** Sets the document title and the phone top bar's title (with a status badge on project pages). */
export function usePageTitle(title: string, status: ProjectStatus | null = null): void {
  const { set } = useContext(Ctx);
  useEffect(() => {
    document.title = title === "AutoCode" ? title : `${title} · AutoCode`;
    set({ title, status });
  }, [title, status, set]);
}
