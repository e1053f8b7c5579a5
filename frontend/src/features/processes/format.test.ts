import { describe, expect, it } from "vitest";
import { formatCpu, formatListener, listeningPorts, programName, type ProcessPublic } from "./format";

function proc(pid: number, command: string, ports: [string, number][]): ProcessPublic {
  return {
    pid,
    ppid: 1,
    command,
    state: "S",
    cpu_percent: 0,
    rss_bytes: 0,
    started_at: "2026-12-02T18:00:00Z",
    listening: ports.map(([address, port]) => ({ address, port })),
    window: "shell",
    has_output: false,
  };
}

describe("processes format", () => {
  it.each([
    [0, "0%"],
    [-1, "0%"],
    [Number.NaN, "0%"],
    [0.04, "0%"],
    [0.4, "0.4%"],
    [2, "2%"],
    [9.96, "10%"],
    [12.3, "12%"],
    [180.2, "180%"],
  ])("cpu %s -> %s", (n, text) => {
    expect(formatCpu(n)).toBe(text);
  });

  it.each([
    [{ address: "0.0.0.0", port: 8080 }, ":8080"],
    [{ address: "::", port: 3000 }, ":3000"],
    [{ address: "127.0.0.1", port: 5173 }, "127.0.0.1:5173"],
    [{ address: "::1", port: 5173 }, "[::1]:5173"],
  ])("listener %o -> %s", (l, text) => {
    expect(formatListener(l)).toBe(text);
  });

  it("lists each port once, lowest first, held by the first process listed", () => {
    const ps = [
      proc(10, "node server.js", [["::", 3000], ["0.0.0.0", 3000]]),
      proc(11, "node worker", [["::", 3000]]),
      proc(12, "python3 -m http.server 8000", [["0.0.0.0", 8000]]),
      proc(13, "bash", []),
    ];
    expect(listeningPorts(ps)).toEqual([
      { port: 3000, pid: 10, command: "node server.js" },
      { port: 8000, pid: 12, command: "python3 -m http.server 8000" },
    ]);
    expect(listeningPorts([])).toEqual([]);
  });

  it.each([
    ["python3 -m http.server", "python3"],
    ["/usr/bin/node /app/x.js", "node"],
    ["-bash", "bash"],
    ["[kworker]", "[kworker]"],
    ["", ""],
  ])("program of %s is %s", (cmd, name) => {
    expect(programName(cmd)).toBe(name);
  });
});
