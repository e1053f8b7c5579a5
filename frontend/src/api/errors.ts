/** An HTTP error from the API, carrying the server's own message for toasts. */
export class ApiError extends Error {
  readonly status: number;
  /** The body's `detail` as sent (a 422's list names the fields at fault). */
  readonly detail: unknown;
  constructor(status: number, message: string, detail?: unknown) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

interface ValidationItem {
  loc?: unknown;
  msg?: unknown;
}

/** Turns a FastAPI error body (`{detail: string}` or a 422 list) into one readable line. */
export function errorMessage(body: unknown, status: number): string {
  if (body && typeof body === "object" && "detail" in body) {
    const detail = (body as { detail: unknown }).detail;
    if (typeof detail === "string" && detail) return detail;
    if (Array.isArray(detail)) {
      const parts = detail.map((item: ValidationItem) => {
        const loc = Array.isArray(item.loc)
          ? item.loc.filter((p) => p !== "body" && p !== "query" && p !== "path").join(".")
          : "";
        const msg = typeof item.msg === "string" ? item.msg : "is invalid";
        return loc ? `${loc}: ${msg}` : msg;
      });
      if (parts.length) return parts.join("; ");
    }
  }
  if (status === 0) return "Can't reach the server. Check your connection.";
  if (status >= 500) return `The server had a problem (${status}). Try again in a moment.`;
  return `Request failed (${status})`;
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** What a form shows of a refusal: messages at its fields, and a line for the rest. */
export interface FormErrors<F extends string> {
  fields: Partial<Record<F, string>>;
  other: string | null;
}

/** Where a 422 item points inside the request body: ["body", "plan", 0, "title"] → "plan.0.title". */
function bodyPath(loc: unknown): string {
  if (!Array.isArray(loc)) return "";
  const parts = loc[0] === "body" ? loc.slice(1) : loc;
  return parts.map(String).join(".");
}

/**
 * Splits an error into messages for the form's own fields (a FastAPI 422's `loc` names them; a
 * field also takes what lies inside it, e.g. `implementation_plan.0.title`) and one line for the rest.
 * `names` maps a body field to the form's field, e.g. `{ budget_tokens: "budget" }`.
 */
export function formErrors<F extends string>(err: unknown, names: Readonly<Record<string, F>>): FormErrors<F> {
  const out: FormErrors<F> = { fields: {}, other: null };
  if (err === null || err === undefined) return out;
  if (!(err instanceof ApiError) || err.status !== 422 || !Array.isArray(err.detail)) {
    out.other = messageOf(err);
    return out;
  }
  const rest: string[] = [];
  for (const item of err.detail as ValidationItem[]) {
    const path = bodyPath(item.loc);
    const msg = (typeof item.msg === "string" ? item.msg : "is invalid").replace(/^Value error, /, "");
    const key = Object.keys(names).find((k) => path === k || path.startsWith(`${k}.`));
    const field = key === undefined ? undefined : names[key];
    if (field === undefined) rest.push(path ? `${path}: ${msg}` : msg);
    else out.fields[field] ??= msg;
  }
  out.other = rest.length ? rest.join("; ") : null;
  return out;
}
