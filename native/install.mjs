// npm install / npm ci: builds the native kernels (binding.gyp, native/src/) with node-gyp against
// this Node's own headers, and never fails the install. Without a compiler, headers or node-gyp,
// rnnkit runs on its WebAssembly kernels and says so (kernels().detail, `rnnkit train`'s kernels
// line). RNNKIT_SKIP_NATIVE=1 skips the build.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const say = (m) => console.error(`rnnkit: ${m}`);

function main() {
  if (process.env.RNNKIT_SKIP_NATIVE)
    return say("RNNKIT_SKIP_NATIVE set: native kernels not built (WebAssembly runs)");
  // The headers of the running Node (Debian's nodejs puts them in /usr/include/node); node-gyp would
  // otherwise download them, which an install must not depend on.
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, "include", "node", "node_api.h")) ? prefix : null;
  if (!nodedir)
    return say(`no Node headers under ${prefix}/include/node: native kernels not built (WebAssembly runs)`);
  // npm tells its scripts where its own node-gyp is; else one installed beside rnnkit, else npm's.
  let gyp = process.env.npm_config_node_gyp;
  if (!gyp || !existsSync(gyp)) {
    try {
      gyp = createRequire(import.meta.url).resolve("node-gyp/bin/node-gyp.js");
    } catch {
      const npms = join(
        prefix,
        "lib",
        "node_modules",
        "npm",
        "node_modules",
        "node-gyp",
        "bin",
        "node-gyp.js",
      );
      gyp = existsSync(npms) ? npms : null;
    }
  }
  if (!gyp) return say("node-gyp not found: native kernels not built (WebAssembly runs)");
  const r = spawnSync(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (r.status === 0) return say("native kernels built (build/Release/rnnkit_native.node)");
  const why = (r.stderr ?? "")
    .split("\n")
    .filter((l) => /error/i.test(l))
    .slice(0, 3)
    .join(" | ");
  say(`native kernels not built (WebAssembly runs): node-gyp failed${why ? `: ${why}` : ""}`);
}

try {
  main();
} catch (e) {
  say(`native kernels not built (WebAssembly runs): ${e?.message ?? e}`);
}
