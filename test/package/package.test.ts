// The published package, as a stranger gets it: `npm pack`, then installed offline (its
// dependencies from the npm cache that npm ci filled) into a new CommonJS project and a new ES
// module project, where require(), import, TypeScript (type check and tsx, the README's recipe)
// and `npx rnnkit train` / `sample` must work. Run by `npm run test:package` (which builds dist/
// first) as the last part of `npm test`. Every temporary folder is removed on every exit path.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  scripts: Record<string, string>;
  sideEffects: string[];
};
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const TSX = pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href;

const tmp = mkdtempSync(join(tmpdir(), "rnnkit-package-"));
const cleanup = () => rmSync(tmp, { recursive: true, force: true });
after(cleanup);
process.once("exit", cleanup);
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => {
    cleanup();
    process.exit(130);
  });

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs a command to its end; never throws on a failing exit (the tests assert the code). */
function sh(cwd: string, command: string, args: string[], extra: Record<string, string> = {}): Result {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  for (const k of ["RNNKIT_KERNELS", "RNNKIT_WASM", "RNNKIT_THREADS", "NODE_OPTIONS"]) delete env[k];
  Object.assign(env, extra);
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  return { code: r.status ?? 1, out: r.stdout ?? "", err: r.error ? String(r.error) : (r.stderr ?? "") };
}

function ok(r: Result, what: string): Result {
  assert.equal(r.code, 0, `${what} failed:\n${r.err}\n${r.out}`);
  return r;
}

let tarball = "";

before(() => {
  if (!existsSync(join(ROOT, "dist", "cjs", "index.js")) || !existsSync(join(ROOT, "dist", "cli", "bin.js")))
    throw new Error("dist/ is not built: run npm run test:package (it builds first) or npm run build");
  const r = ok(
    sh(ROOT, "npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp]),
    "npm pack",
  );
  const [info] = JSON.parse(r.out) as { filename: string; size: number; files: { path: string }[] }[];
  tarball = join(tmp, info!.filename);
});

describe("the tarball", () => {
  const files = () => {
    const r = ok(sh(tmp, "tar", ["-tzf", tarball]), "tar");
    return r.out
      .trim()
      .split("\n")
      .map((f) => f.replace(/^package\//, ""));
  };

  test("holds the licenses, the corpus asset and both builds", (t) => {
    const list = files();
    for (const f of [
      "LICENSE",
      "README.md",
      "package.json",
      "assets/tang-five.bin.gz",
      "assets/simplified.json",
      "assets/chinese-poetry.LICENSE",
      "dist/src/index.js",
      "dist/src/index.d.ts",
      "dist/cjs/index.js",
      "dist/cjs/index.d.ts",
      "dist/cjs/package.json",
      "dist/cli/bin.js",
    ])
      assert.ok(list.includes(f), `${f} is missing from the tarball`);
    t.diagnostic(`${list.length} files`);
  });

  test("ships no source maps, no TypeScript sources and no declarations of the CLI", () => {
    const stray = files().filter(
      (f) =>
        f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")) || /^dist\/cli\/.*\.d\.ts$/.test(f),
    );
    assert.deepEqual(stray, []);
  });

  test("declares the embedded WASM as string, not as its base64 literal", () => {
    const r = ok(
      sh(tmp, "tar", ["-xzOf", tarball, "package/dist/src/kernels/wasm/binary.generated.d.ts"]),
      "tar",
    );
    assert.ok(r.out.length < 1000, `binary.generated.d.ts is ${r.out.length} characters`);
    assert.match(r.out, /export declare const SIMD_WASM: string;/);
  });

  test("sideEffects names files the tarball has (the module that compiles WASM at import among them)", () => {
    const list = files();
    assert.ok(PKG.sideEffects.includes("./dist/src/kernels/select.js"));
    for (const f of PKG.sideEffects)
      assert.ok(list.includes(f.replace(/^\.\//, "")), `${f} is not in the tarball`);
  });

  test("runs one script when installed: the native build, which never fails the install", () => {
    for (const s of ["prepare", "preinstall", "postinstall"])
      assert.equal(PKG.scripts[s], undefined, `package.json has a ${s} script`);
    assert.equal(PKG.scripts.install, "node native/install.mjs");
    // No compiler: the script says so and succeeds (rnnkit then runs on WASM). Run on a copy, so
    // the checkout's own build/ is left alone.
    const copy = join(tmp, "no-compiler");
    mkdirSync(join(copy, "native"), { recursive: true });
    cpSync(join(ROOT, "binding.gyp"), join(copy, "binding.gyp"));
    cpSync(join(ROOT, "native", "src"), join(copy, "native", "src"), { recursive: true });
    cpSync(join(ROOT, "native", "install.mjs"), join(copy, "native", "install.mjs"));
    const r = spawnSync(process.execPath, [join(copy, "native", "install.mjs")], {
      cwd: copy,
      env: { ...process.env, CXX: "/bin/false", CC: "/bin/false" },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /native kernels not built \(WebAssembly runs\)/);
  });
});

/** A new project of `type` with the tarball installed offline. */
function project(type: "commonjs" | "module"): string {
  const dir = join(tmp, type);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: `${type}-app`, version: "1.0.0", private: true, type }),
  );
  const r = ok(
    sh(dir, "npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=warn", tarball]),
    `npm install in the ${type} project`,
  );
  // npm 11 may hold back a dependency's install script until approved: then rnnkit runs on WASM.
  // The only script it may name is the native build.
  for (const m of (r.err + r.out).matchAll(/rnnkit@[^ ]* \(([^)]*)\)/g))
    assert.equal(m[1], "install: node native/install.mjs", "npm warned about another rnnkit script");
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        module: "nodenext",
        moduleResolution: "nodenext",
        target: "es2022",
        lib: ["es2023"],
        types: [],
        strict: true,
        noEmit: true,
        skipLibCheck: false,
      },
      files: ["train.ts", "wrong.ts"],
    }),
  );
  return dir;
}

// The same small computation through either build: an LSTM's output from manualSeed(0).
const LSTM_BODY = `manualSeed(0);
const lstm = new nn.LSTM({ inputSize: 3, hiddenSize: 4, numLayers: 2 });
const [out, [hN]] = lstm.forward(randn([5, 2, 3]));
console.log(JSON.stringify({ version, shape: out.shape, hN: hN.shape, sum: out.sum().item(), build: kernelBuild() }));`;

// The README's recipe: a TypeScript training loop run with tsx (and type-checked by tsc).
const TRAIN_TS = `import { manualSeed, nn, optim, randn, type Tensor } from "rnnkit";

declare const console: { log(text: string): void }; // rnnkit's types need neither DOM nor Node's

manualSeed(0);
const gru = new nn.GRU({ inputSize: 3, hiddenSize: 8, batchFirst: true });
const head = new nn.Linear({ inFeatures: 8, outFeatures: 1 });
const opt = new optim.Adam([...gru.parameters(), ...head.parameters()], { lr: 0.01 });
const x: Tensor = randn([4, 6, 3]);
const y: Tensor = randn([4, 6, 1]);
const mse = new nn.MSELoss();
let loss = 0;
for (let step = 0; step < 5; step++) {
  opt.zeroGrad();
  const [out] = gru.forward(x);
  const l = mse.forward(head.forward(out), y);
  l.backward();
  opt.step();
  loss = l.item();
}
console.log(loss.toFixed(6));
`;

describe("installed into new projects, offline", () => {
  const dirs = { commonjs: "", module: "" };
  before(() => {
    dirs.commonjs = project("commonjs");
    dirs.module = project("module");
    writeFileSync(
      join(dirs.commonjs, "main.js"),
      `const { kernelBuild, manualSeed, nn, randn } = require("rnnkit");\nconst { version } = require("rnnkit/package.json");\n${LSTM_BODY}\n`,
    );
    writeFileSync(
      join(dirs.module, "main.js"),
      `import { kernelBuild, manualSeed, nn, randn } from "rnnkit";\nimport { createRequire } from "node:module";\nconst { version } = createRequire(import.meta.url)("rnnkit/package.json");\n${LSTM_BODY}\n`,
    );
    for (const dir of Object.values(dirs)) {
      writeFileSync(join(dir, "train.ts"), TRAIN_TS);
      // Were rnnkit's types missing or any, the directive would be unused, and that is an error.
      writeFileSync(
        join(dir, "wrong.ts"),
        `import { nn } from "rnnkit";\n// @ts-expect-error inputSize is a number\nnew nn.LSTM({ inputSize: "3", hiddenSize: 4 });\n`,
      );
    }
  });
  const lstm = (type: keyof typeof dirs) =>
    ok(sh(dirs[type], process.execPath, ["main.js"]), `node main.js (${type})`).out.trim();

  test("require() in a CommonJS project, import in an ES module project, the same numbers from both", () => {
    const cjs = lstm("commonjs");
    const parsed = JSON.parse(cjs) as { version: string; shape: number[]; hN: number[] };
    assert.equal(parsed.version, PKG.version);
    assert.deepEqual(parsed.shape, [5, 2, 4]);
    assert.deepEqual(parsed.hN, [2, 2, 4]);
    assert.equal(lstm("module"), cjs);
  });

  test("TypeScript: tsc type-checks (real types: a wrong option is an error) and tsx runs the same loop in both", () => {
    const losses = (["commonjs", "module"] as const).map((type) => {
      ok(sh(dirs[type], process.execPath, [TSC, "-p", "."]), `tsc (${type})`);
      const r = ok(sh(dirs[type], process.execPath, ["--import", TSX, "train.ts"]), `tsx train.ts (${type})`);
      assert.match(r.out.trim(), /^\d+\.\d{6}$/);
      return r.out.trim();
    });
    assert.equal(losses[0], losses[1]);
  });

  test("kernelBuild() says relaxed SIMD once V8's flag is given (Node 20), and the flag is what turns it on", () => {
    const dir = dirs.commonjs;
    const [major = 0, minor = 0] = process.versions.v8.split(".").map(Number);
    const built = (flags: string[]) =>
      // The WASM build, asked for by name: where the install built the native kernels they are the default.
      (
        JSON.parse(
          ok(sh(dir, process.execPath, [...flags, "main.js"], { RNNKIT_KERNELS: "wasm" }), "node main.js")
            .out,
        ) as {
          build: string;
        }
      ).build;
    assert.equal(built([]), major > 11 || (major === 11 && minor >= 4) ? "wasm-relaxed-simd" : "wasm-simd");
    assert.equal(built(["--experimental-wasm-relaxed-simd"]), "wasm-relaxed-simd");
  });

  test("an ES module and a require() of rnnkit in one process get two copies (README: CommonJS and ES modules)", () => {
    const dir = dirs.module;
    writeFileSync(
      join(dir, "dual.js"),
      `import * as esm from "rnnkit";
import { createRequire } from "node:module";
const cjs = createRequire(import.meta.url)("rnnkit");
esm.manualSeed(1);
cjs.manualSeed(1);
const a = esm.randn([3]).data.join();
cjs.randn([3]);
let refused = false;
try {
  new esm.nn.GRU({ inputSize: 2, hiddenSize: 3 }).loadStateDict(new cjs.nn.GRU({ inputSize: 2, hiddenSize: 3 }).stateDict());
} catch (e) {
  refused = /expected a Tensor/.test(String(e));
}
console.log(JSON.stringify({ sameClass: esm.Tensor === cjs.Tensor, ownGenerator: esm.randn([3]).data.join() !== a, refused }));
`,
    );
    const r = JSON.parse(ok(sh(dir, process.execPath, ["dual.js"]), "node dual.js").out) as Record<
      string,
      boolean
    >;
    assert.deepEqual(r, { sameClass: false, ownGenerator: true, refused: true });
  });

  test("npx rnnkit train works on the shipped corpus, then sample reads a simplified prompt", () => {
    const dir = dirs.commonjs;
    const none = sh(dir, "npx", ["--no-install", "rnnkit", "sample", "runs/poetry"]);
    assert.equal(none.code, 1);
    assert.match(none.err, /no checkpoint at runs\/poetry yet: train one first with rnnkit train/);

    const args = [
      "--minutes",
      "0.1",
      "--hidden",
      "32",
      "--embedding",
      "16",
      "--threads",
      "1",
      "--poems",
      "1",
    ];
    const train = ok(sh(dir, "npx", ["--no-install", "rnnkit", "train", ...args]), "npx rnnkit train");
    assert.match(
      train.err,
      /^five: 26932 poems \(25585 train, 1347 validation\), 6341 tokens in the vocabulary/,
    );
    assert.match(train.err, /done at step \d+ .*checkpoint runs\/poetry/);
    assert.ok(existsSync(join(dir, "runs", "poetry", "model.safetensors")));

    const sample = ok(
      sh(dir, "npx", ["--no-install", "rnnkit", "sample", "runs/poetry", "--prompt", "风", "--count", "1"]),
      "npx rnnkit sample",
    );
    assert.match(sample.out.trim(), /^風.{4}，.{5}。\n.{5}，.{5}。$/u);
    assert.match(sample.err, /--prompt: 风 read as 風/);
  });
});
