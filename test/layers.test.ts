// The house plan: loaders/ is one folder per layer, and a layer imports only from the layers below it
// (type-only imports included: they are dependencies a reader follows too). Pages' loader entries
// (src/data/*.ts) import the table layer only. A new import that breaks the order fails here.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
/** Bottom to top. */
export const LAYERS = ["engine", "world", "experiment", "tables", "serve", "cli", "tools"] as const;

const sources = (dir: string): string[] =>
  readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js)$/.test(e.name))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));

/** Relative import targets of a file, as repository paths (`runtime`: without `import type` / `export type`). */
function importsOf(file: string, { runtime = false } = {}): string[] {
  const text = readFileSync(join(ROOT, file), "utf-8");
  const specs = [
    ...text.matchAll(
      /(?:^|\n)\s*(import|export)(\s+type)?\b[^;]*?from\s*["'](\.{1,2}\/[^"']+)["']|\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g,
    ),
  ]
    .filter((m) => !(runtime && m[2]))
    .map((m) => m[3] ?? m[4]!);
  return specs.map((s) => normalize(join(dirname(file), s)).replace(/\.js$/, ".ts"));
}

const layerOf = (path: string): string | null => {
  const m = /^loaders\/([^/]+)\//.exec(path);
  return m ? m[1]! : null;
};

describe("the layers of loaders/", () => {
  it("has no file outside a layer folder", () => {
    const loose = sources("loaders").filter((f) => !LAYERS.includes(layerOf(f) as (typeof LAYERS)[number]));
    expect(loose).toEqual([]);
  });

  it.each(LAYERS.map((l) => [l]))("%s imports only from itself and the layers below it", (layer) => {
    const allowed = LAYERS.slice(0, LAYERS.indexOf(layer) + 1) as readonly string[];
    const wrong = sources(`loaders/${layer}`).flatMap((f) =>
      importsOf(f)
        .filter((target) => !allowed.includes(layerOf(target) ?? ""))
        .map((target) => `${f} -> ${target}`),
    );
    expect(wrong).toEqual([]);
  });

  it("has no runtime import cycle", () => {
    const graph = new Map(sources("loaders").map((f) => [f, importsOf(f, { runtime: true })]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") return void cycles.push([...path.slice(path.indexOf(file)), file].join(" -> "));
      state.set(file, "open");
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("src/data loader entries import the table layer only", () => {
    const wrong = sources("src/data").flatMap((f) =>
      importsOf(f)
        .filter((target) => target.startsWith("loaders/") && layerOf(target) !== "tables")
        .map((target) => `${f} -> ${target}`),
    );
    expect(wrong).toEqual([]);
  });
});
