import { Link } from "react-router";

/** What a wrong address shows: a plain "not found" and the way back, never a server's validation text. */
export function NotFound({ message = "That page doesn't exist." }: { message?: string }) {
  return (
    <section aria-labelledby="not-found-title" className="mx-auto max-w-xl px-2 py-10 text-center">
      <h1 id="not-found-title" className="text-2xl font-semibold">
        Not found
      </h1>
      {/* announced: a page change in the app is not, and this one is not what was asked for */}
      <p role="alert" className="mt-2 break-words text-slate-700 dark:text-slate-300">
        {message}
      </p>
      <Link to="/" className="mt-4 inline-flex min-h-10 items-center rounded-md bg-blue-700 px-3 py-2 text-sm font-medium text-white hover:bg-blue-800 dark:bg-blue-500 dark:text-slate-950 dark:hover:bg-blue-400">
        Go to the dashboard
      </Link>
    </section>
  );
}
