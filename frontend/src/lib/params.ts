import { useParams } from "react-router";

/** A route's id: a positive whole number written plainly ("12", not "abc", "1e3", "012" or 2^60), else null. */
export function parseId(v: string | undefined): number | null {
  if (!v || !/^[1-9]\d{0,14}$/.test(v)) return null;
  return Number(v);
}

/** Reads a numeric id from the route, or null when the URL is malformed. */
export function useIdParam(name: string): number | null {
  return parseId(useParams()[name]);
}
