/** An HTTP error from the API, carrying the server's own message for toasts. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
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
