// npm run test:browser (the end of npm test): builds the pages (npm run pages) and runs the browser
// suite (test/browser/*.spec.ts) in Debian's Chromium. Without Chromium it says so in one line and
// passes, except under CI=true, where a missing Chromium fails.

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CHROMIUM, chromiumPresent } from "./chromium.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "..", "..");

if (!chromiumPresent()) {
  const line = `browser tests skipped: no Chromium at ${CHROMIUM} (install it with: sudo apt-get install chromium)`;
  if (process.env.CI === "true") {
    console.error(`${line.replace("skipped", "cannot run")}; CI=true requires them`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

run("npm", ["run", "--silent", "pages"]);
const specs = readdirSync(HERE)
  .filter((f) => f.endsWith(".spec.ts"))
  .sort()
  .map((f) => join("test", "browser", f));
// Relaxed SIMD in Node too, and the WASM kernels rather than the native ones (Node's default where
// built), so that Node runs the same build as Chromium (bit-identity checks).
run(
  process.execPath,
  [
    "--experimental-wasm-relaxed-simd",
    "--import",
    "tsx",
    "--test",
    "--test-concurrency=1",
    "--test-reporter=spec",
    ...specs,
  ],
  { ...process.env, RNNKIT_KERNELS: "wasm" },
);
