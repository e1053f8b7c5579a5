import type { components } from "../../api/schema";

export type ProcessPublic = components["schemas"]["ProcessPublic"];
export type PortPublic = components["schemas"]["PortPublic"];

/** CPU use of one core: "0%", "0.4%", "12%", "180%". */
export function formatCpu(percent: number): string {
  if (!Number.isFinite(percent) || percent <= 0) return "0%";
  if (percent < 10) return `${percent.toFixed(1).replace(/\.0$/, "")}%`;
  return `${Math.round(percent)}%`;
}

/** Where a listener can be reached from: "8080" for every address, "127.0.0.1:8080" otherwise. */
export function formatListener(l: { address: string; port: number }): string {
  if (l.address === "0.0.0.0" || l.address === "::") return `:${l.port}`;
  return l.address.includes(":") ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

export interface ListeningPort {
  port: number;
  pid: number;
  command: string;
}

/** The listening ports of a process list, each once (lowest first), with the process holding it. */
export function listeningPorts(processes: readonly ProcessPublic[]): ListeningPort[] {
  const seen = new Map<number, ListeningPort>();
  for (const p of processes) {
    for (const l of p.listening) {
      if (!seen.has(l.port)) seen.set(l.port, { port: l.port, pid: p.pid, command: p.command });
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

/** The program's name in a command line, for short labels: "python3 -m http.server" → "python3". */
export function programName(command: string): string {
  const first = command.trim().split(/\s+/)[0] ?? "";
  const base = first.split("/").pop() ?? first;
  return base.replace(/^-/, "") || command.slice(0, 20);
}
