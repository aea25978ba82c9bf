/**
 * Prepares Observable Framework to build or preview with no network:
 * - seeds Framework's npm cache (`src/.observablehq/cache/_npm/NAME@VERSION/_esm.js`) with esbuild
 *   bundles made from node_modules, under each package's true version (never a relabelled one);
 * - gives every package Framework's client names lazily a version directory, so the client bundle
 *   resolves without registry.npmjs.org;
 * - drops cached loader outputs, so the engine's own run cache (runs/) decides what is stale and the
 *   site always shows the preset named by ALIGNER_PRESET.
 * Recipe and traps: docs/offline-site.md.
 */
import { build } from "esbuild";
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { makeDirs } from "../engine/files.js";
import { createLogger, type Logger } from "../engine/log.js";
import { PROJECT_ROOT } from "../experiment/config.js";

/** Packages pages use (explicitly as npm:NAME or implicitly: Plot, d3, htl, Inputs, aq). */
const BUNDLED = ["@observablehq/plot", "d3", "htl", "isoformat", "arquero", "apache-arrow", "d3-dsv"];
const DUCKDB = "@duckdb/duckdb-wasm";

const nodeModules = join(PROJECT_ROOT, "node_modules");
const pkgOf = (name: string) => JSON.parse(readFileSync(join(nodeModules, name, "package.json"), "utf-8")) as { version: string };

function _versionsIn(cache: string, name: string): string[] {
  const parent = join(cache, dirname(name));
  const base = name.split("/").pop()!;
  return existsSync(parent)
    ? readdirSync(parent)
        .filter((e) => e.startsWith(`${base}@`))
        .map((e) => join(parent, e))
    : [];
}

/** Creates cache/NAME@VERSION, removing other cached versions so Framework picks this one. */
function _slot(cache: string, name: string, version: string): string {
  const dir = join(cache, `${name}@${version}`);
  for (const other of _versionsIn(cache, name)) if (other !== dir) rmSync(other, { recursive: true });
  makeDirs(dir);
  return dir;
}

async function _bundle(name: string, outfile: string): Promise<void> {
  if (existsSync(outfile)) return; // idempotent: same version, same bundle
  await build({
    entryPoints: [name],
    absWorkingDir: PROJECT_ROOT,
    bundle: true, // self-contained: dependencies inlined, no further /_npm/ imports
    format: "esm",
    platform: "browser",
    target: "es2022", // Framework parses cached modules with acorn (ES2022)
    minify: true,
    define: { "process.env.NODE_ENV": '"production"' },
    outfile,
    logLevel: "warning",
  });
}

/** Seeds Framework's npm cache under `root` from node_modules. */
export async function seedNpmCache(root = join(PROJECT_ROOT, "src"), log: Logger = createLogger("site")): Promise<void> {
  const cache = join(root, ".observablehq", "cache", "_npm");
  for (const name of BUNDLED) {
    const { version } = pkgOf(name);
    await _bundle(name, join(_slot(cache, name, version), "_esm.js"));
    log.debug(`npm:${name}@${version} <- node_modules`);
  }
  // DuckDB-WASM: Framework hard-codes its version and loads the .wasm and workers from the same slot.
  const { DUCKDB_WASM_VERSION } = (await import("@observablehq/framework/dist/duckdb.js" as string)) as { DUCKDB_WASM_VERSION: string };
  const { version } = pkgOf(DUCKDB);
  if (version !== DUCKDB_WASM_VERSION) {
    throw new Error(`Framework expects ${DUCKDB}@${DUCKDB_WASM_VERSION} but node_modules has ${version}; pin it in package.json`);
  }
  const dir = _slot(cache, DUCKDB, version);
  await _bundle(DUCKDB, join(dir, "_esm.js"));
  makeDirs(join(dir, "dist"));
  for (const f of ["duckdb-mvp.wasm", "duckdb-eh.wasm", "duckdb-browser-mvp.worker.js", "duckdb-browser-eh.worker.js"]) {
    copyFileSync(join(nodeModules, DUCKDB, "dist", f), join(dir, "dist", f));
  }
  // Framework's client names more npm: packages lazily (recommended libraries, FileAttachment
  // readers). Bundling the client resolves a version for each, so each needs a version directory;
  // `0.0.0-offline` says plainly that no code is there and pages cannot use them.
  const { parseNpmSpecifier } = (await import("@observablehq/framework/dist/npm.js" as string)) as {
    parseNpmSpecifier(s: string): { name: string };
  };
  const { builtins } = (await import("@observablehq/framework/dist/resolvers.js" as string)) as { builtins: Map<string, string> };
  const clientDir = join(nodeModules, "@observablehq", "framework", "dist", "client");
  const mentioned = new Set<string>();
  for (const file of readdirSync(clientDir, { recursive: true }) as string[]) {
    if (!file.endsWith(".js")) continue;
    for (const [, specifier] of readFileSync(join(clientDir, file), "utf-8").matchAll(/["'](npm:[^"']+)["']/g)) {
      if (specifier && !builtins.has(specifier)) mentioned.add(parseNpmSpecifier(specifier.slice("npm:".length)).name);
    }
  }
  for (const name of mentioned) {
    if (_versionsIn(cache, name).length) continue;
    makeDirs(join(cache, `${name}@0.0.0-offline`));
  }
  log.info(`npm cache seeded: ${BUNDLED.length + 1} bundles, ${mentioned.size} client names`);
}

/** Drops Framework's cached loader outputs (src/.observablehq/cache/data). */
export function dropLoaderCache(root = join(PROJECT_ROOT, "src")): void {
  rmSync(join(root, ".observablehq", "cache", "data"), { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  await seedNpmCache();
  dropLoaderCache();
}
