// Prints the gzipped size of what the browser loads before the first render: index.html's
// entry script plus its modulepreloads and CSS. Lazy pages and xterm are not counted.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");
const html = readFileSync(join(dist, "index.html"), "utf8");
const refs = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let js = 0;
let css = 0;
for (const ref of new Set(refs)) {
  const gz = gzipSync(readFileSync(join(dist, ref))).length;
  if (ref.endsWith(".js")) js += gz;
  else css += gz;
  console.log(`${(gz / 1024).toFixed(1).padStart(7)} KB  ${ref}`);
}
console.log(`initial JS ${(js / 1024).toFixed(1)} KB gzipped, CSS ${(css / 1024).toFixed(1)} KB gzipped`);
if (js > 250 * 1024) {
  console.error("initial JS is over the 250 KB budget");
  process.exit(1);
}
