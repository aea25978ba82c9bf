/**
 * What every run records beside its results: preset, seed, backend, package versions, timing.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { PROJECT_ROOT } from "./config.js";

const require = createRequire(import.meta.url);

/** The installed version of a package, or null when it is not installed (optional backends). */
export function packageVersion(name: string): string | null {
  try {
    const main = require.resolve(name);
    let dir = main;
    for (;;) {
      const parent = join(dir, "..");
      if (parent === dir) return null;
      dir = parent;
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf-8")) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? null;
      } catch {
        /* keep climbing */
      }
    }
  } catch {
    return null;
  }
}

const TRACKED = [
  "@tensorflow/tfjs",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-node",
  "@tensorflow/tfjs-node-gpu",
  "@observablehq/framework",
  "@duckdb/node-api",
  "apache-arrow",
  "arquero",
];

/** This project's version, from its package.json. */
export function ownVersion(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, "package.json"), "utf-8")) as { version: string }).version;
}

/** Versions of node, this project and the packages that shape results. */
export function packageVersions(): Record<string, string | null> {
  const out: Record<string, string | null> = { node: process.versions.node, "aligner-workbench": ownVersion() };
  for (const name of TRACKED) out[name] = packageVersion(name);
  return out;
}
