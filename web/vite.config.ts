// The pages (npm run pages → web/dist/, npm run pages:dev): four static pages, relative asset paths
// (base "./": any static server, any subfolder), module workers, nothing fetched off the host. The
// dev and preview servers send the two headers that make a page cross-origin isolated, so the
// kernels may use threads (shared WebAssembly memory); without them the pages run on one thread.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = dirname(fileURLToPath(import.meta.url));

/** Cross-origin isolation: what a server must send for threads (SharedArrayBuffer) in a page. */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  root,
  base: "./",
  publicDir: false,
  resolve: { alias: { rnnkit: resolve(root, "../src/index.ts") } },
  build: {
    outDir: resolve(root, "dist"),
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: Object.fromEntries(
        ["index", "playground", "explain", "train"].map((p) => [p, resolve(root, `${p}.html`)]),
      ),
    },
  },
  worker: { format: "es" },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
});
