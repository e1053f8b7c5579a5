/** Brings the first field a form marks invalid into view and focuses it (a phone's long form
 * hides the error below the fold otherwise). Returns whether there was one. */
export function focusFirstInvalid(form: HTMLElement | null): boolean {
  const el = form?.querySelector<HTMLElement>('[aria-invalid="true"], [data-invalid]');
  if (!el) return false;
  el.focus({ preventScroll: true });
  const smooth = !window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;
  el.scrollIntoView?.({ block: "center", behavior: smooth ? "smooth" : "auto" });
  return true;
}
