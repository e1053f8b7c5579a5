import { useParams } from "react-router";

/** Reads a numeric id from the route, or null when the URL is malformed. */
export function useIdParam(name: string): number | null {
  const v = useParams()[name];
  const n = v ? Number(v) : NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
}
