/**
 * Run configs side by side: the `config` and `versions` columns of `runs` are JSON strings, parsed
 * here in JS (DuckDB-WASM in the browser has no json functions) and flattened to dotted keys.
 */
export type Flat = Record<string, string | number | boolean | null>;

/** Parses a JSON object column; a missing or malformed value gives {} and the error text. */
export function parseJsonColumn(text: string | null | undefined): { value: Record<string, unknown>; error: string | null } {
  if (!text) return { value: {}, error: null };
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? { value: value as Record<string, unknown>, error: null }
      : { value: {}, error: "not a JSON object" };
  } catch (error) {
    return { value: {}, error: (error as Error).message };
  }
}

/** {a: {b: 1}, c: [1, 2]} → {"a.b": 1, c: "[1,2]"}; keys starting with "_" (comments) are dropped. */
export function flatten(value: Record<string, unknown>, prefix = ""): Flat {
  const out: Flat = {};
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith("_")) continue;
    const at = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, at));
    else if (Array.isArray(v)) out[at] = JSON.stringify(v);
    else out[at] = v as string | number | boolean | null;
  }
  return out;
}

export interface ConfigChange {
  key: string;
  reference: string | number | boolean | null;
  run: string | number | boolean | null;
  /** "changed", "added" (only in the run) or "removed" (only in the reference). */
  change: "changed" | "added" | "removed" | "same";
}

/** Keys whose values differ between two flattened configs (all keys with `all`), sorted by key. */
export function configDiff(reference: Flat, run: Flat, { all = false } = {}): ConfigChange[] {
  const keys = [...new Set([...Object.keys(reference), ...Object.keys(run)])].sort();
  const rows = keys.map((key): ConfigChange => {
    const inRef = key in reference;
    const inRun = key in run;
    const a = inRef ? reference[key]! : null;
    const b = inRun ? run[key]! : null;
    const change = !inRef ? "added" : !inRun ? "removed" : a === b ? "same" : "changed";
    return { key, reference: a, run: b, change };
  });
  return all ? rows : rows.filter((r) => r.change !== "same");
}
