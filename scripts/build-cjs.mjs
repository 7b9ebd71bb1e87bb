// The CommonJS build of the library (npm run build, after tsc): dist/cjs/index.js, src/index.ts
// bundled by esbuild into one CommonJS file (fflate stays a require), beside a copy of the
// declaration files and a package.json saying "commonjs", so that TypeScript reads those
// declarations as CommonJS too (the "require" condition of package.json's exports). Node 20
// loads ES modules through require() only from 20.19, or behind a flag: this serves the rest.
// The ES build (dist/src) and this one are two copies of the library's state (see the README,
// "CommonJS and ES modules").

import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cjs");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(root, "src", "index.ts")],
  outfile: join(out, "index.js"),
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
  // import.meta.url (the native addon's and the thread workers' paths) is this file's URL.
  define: { "import.meta.url": "__rnnkitModuleUrl" },
  banner: { js: 'const __rnnkitModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
});

const types = join(root, "dist", "src");
cpSync(types, out, {
  recursive: true,
  filter: (src) => !src.endsWith(".js") && !src.endsWith(".map"),
});
writeFileSync(join(out, "package.json"), `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);

// Folders of declarations only: drop the ones the copy left empty.
for (const e of readdirSync(out, { withFileTypes: true, recursive: true }).reverse())
  if (e.isDirectory() && readdirSync(join(e.parentPath, e.name)).length === 0)
    rmSync(join(e.parentPath, e.name), { recursive: true });
