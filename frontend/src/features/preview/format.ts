/** A command line for a menu: the program's name without its folder, then its arguments. */
export function shortCommand(command: string): string {
  const [program = "", ...args] = command.trim().split(/\s+/);
  return [program.split("/").pop() ?? program, ...args].join(" ");
}
