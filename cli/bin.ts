#!/usr/bin/env node
// The `rnnkit` executable: see main.ts.
//
// V8 before 11.4 (Node 20) compiles WebAssembly relaxed SIMD, the kernels' FMA (about 18% faster
// products), only behind a flag. The command line turns it on for its own process, before the
// kernels are loaded (hence the dynamic import); the library leaves a host's flags alone and runs
// plain SIMD there (rnnkit's own tests run both).
import { setFlagsFromString } from "node:v8";

const [major = 0, minor = 0] = process.versions.v8.split(".").map(Number);
if (major < 11 || (major === 11 && minor < 4)) setFlagsFromString("--experimental-wasm-relaxed-simd");
const { main } = await import("./main.js");
process.exitCode = await main(process.argv.slice(2));
