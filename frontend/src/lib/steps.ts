/** The step number (1-based, as the API and the page count) of the step at `index` in the plan. */
export function stepNumber(index: number): number {
  return index + 1;
}
