// The registry mirror used here serves only this machine's platform builds, so npm leaves
// other platforms' optional native packages out of package-lock.json, and `npm ci` then refuses
// the lockfile ("Missing: @rollup/rollup-darwin-arm64 from lock file"). This adds a placeholder
// entry (version, os, cpu, optional) for each: npm skips them on other platforms as usual.
// Run after `npm install` changes the lockfile: `npm run lock:complete`.
import { readFileSync, writeFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const file = join(dirname(fileURLToPath(import.meta.url)), "..", "package-lock.json");
const lock = JSON.parse(readFileSync(file, "utf8"));
const pkgs = lock.packages;
const OS = ["android", "darwin", "freebsd", "linux", "win32", "openbsd", "netbsd", "openharmony", "sunos", "aix"];
const CPU = ["arm64", "x64", "arm", "ia32", "riscv64", "ppc64", "s390x", "loong64", "wasm32", "mips64el"];

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p)) ?? (parts.includes("arm") ? "arm" : undefined);
  const out = {};
  if (cpu) out.cpu = [cpu];
  if (os) out.os = [os];
  if (os === "linux") out.libc = [parts.some((p) => p.startsWith("musl")) ? "musl" : "glibc"];
  return out;
}

let added = 0;
for (const [path, meta] of Object.entries(pkgs)) {
  if (!meta.optionalDependencies) continue;
  for (const [dep, spec] of Object.entries(meta.optionalDependencies)) {
    const nested = `${path}/node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (pkgs[nested] || pkgs[hoisted]) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue; // only exact pins are safe to write
    const plat = platformOf(dep);
    if (!plat.os && !plat.cpu) continue; // not a platform package: leave it to npm
    pkgs[hoisted] = { version: spec, ...plat, ...(meta.dev ? { dev: true } : {}), optional: true };
    added++;
  }
}
// npm keeps entries sorted by path.
lock.packages = Object.fromEntries(Object.entries(pkgs).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`added ${added} placeholder entries`);
