/** "1 agent", "2 agents", "0 agents"; an irregular plural is given: plural(3, "entry", "entries"). */
export function plural(n: number, one: string, many: string = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
