/**
 * The Playground's browser code: playground-worker.ts and the engine, experiment and world modules it
 * imports (the same files the Node run uses, not copies), bundled by esbuild into one module worker;
 * and TensorFlow.js's wasm binaries, served by the site (offline: nothing from a CDN).
 *
 * The engine's checkpoint, tokenizer and training modules also read and write files; the worker never
 * calls those functions, so `node:` built-ins resolve to a stub whose functions throw, naming the
 * built-in, if anything ever does. `process.env` reads (the logger's level) see an empty environment.
 */
import { build, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PROJECT_ROOT } from "../experiment/config.js";

const _nodeStub: Plugin = {
  name: "node-builtins-stub",
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: "node-stub" }));
    b.onLoad({ filter: /.*/, namespace: "node-stub" }, (args) => ({
      // CommonJS, so any named import resolves (to a function that throws if called).
      contents: `const fail = (name) => () => { throw new Error(${JSON.stringify(args.path)} + "." + name + " is not available in the browser"); };
module.exports = new Proxy({}, { get: (_, name) => (name === "__esModule" ? false : fail(String(name))) });`,
      loader: "js",
    }));
  },
};

/** The worker as one ES module (minified). */
export async function bundlePlaygroundWorker(): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(PROJECT_ROOT, "loaders", "tables", "playground-worker.ts")],
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    define: { "process.env": "{}", "process.env.NODE_ENV": '"production"' },
    plugins: [_nodeStub],
    logLevel: "error",
  });
  return result.outputFiles[0]!.contents;
}

/** TensorFlow.js's wasm binaries the worker loads: "simd" (every current browser) and the plain fallback. */
export function tfjsWasm(kind: "simd" | "plain"): Uint8Array {
  const file = kind === "simd" ? "tfjs-backend-wasm-simd.wasm" : "tfjs-backend-wasm.wasm";
  return readFileSync(join(PROJECT_ROOT, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist", file));
}
