import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { Toaster, toast } from "sonner";
import { App } from "./App";
import { ApiError, messageOf } from "./api/errors";
import { applyTheme, getTheme, watchSystemTheme } from "./lib/theme";
import "./index.css";

applyTheme(getTheme());
watchSystemTheme();

const queryClient = new QueryClient({
  queryCache: new QueryCache({
    onError: (err, query) => {
      // Background refetch failures of data already on screen get a toast; first loads show inline.
      if (query.state.data !== undefined && !(err instanceof ApiError && err.status === 401)) toast.error(messageOf(err));
    },
  }),
  mutationCache: new MutationCache({
    onError: (err, _v, _c, mutation) => {
      if (mutation.meta?.silent) return;
      if (err instanceof ApiError && err.status === 401) return;
      toast.error(messageOf(err));
    },
  }),
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      retry: (count, err) => !(err instanceof ApiError && err.status < 500 && err.status !== 0) && count < 2,
      refetchOnWindowFocus: true,
    },
  },
});

declare module "@tanstack/react-query" {
  interface Register {
    mutationMeta: { silent?: boolean };
  }
}

if ("serviceWorker" in navigator && import.meta.env.PROD) {
  // Registered once the page has loaded: the precache (about 1 MB) must not compete with the
  // first view for the network and the CPU.
  void import("virtual:pwa-register").then(({ registerSW }) => registerSW({ immediate: false }));
}

const phone = window.matchMedia("(max-width: 599px)").matches; // sonner's own phone width

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
      {/* On a phone over the top bar's title, clear of its menu button and never over the page's own
          header and its buttons (a toast about Start must not lie on Start); on a desktop in the
          corner away from them. */}
      <Toaster
        richColors
        closeButton
        position={phone ? "top-center" : "bottom-right"}
        mobileOffset={{ top: "calc(env(safe-area-inset-top) + 0.25rem)", left: "3.25rem", right: "0.5rem" }}
        theme="system"
      />
    </QueryClientProvider>
  </StrictMode>,
);
