/**
 * Typed settings with defaults: `mergeConfig` overlays a plain object (a preset, a JSON body) on typed
 * defaults and rejects unknown keys and wrong types, naming the source and the key, like nanoGPT's
 * configurator without its exec. Every component (model, trainer, presets) builds on it.
 */
/** Thrown for a preset that names an unknown key or gives a value of the wrong type. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Plain = Record<string, unknown>;
export const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);
const kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

/**
 * Returns `defaults` with `overrides` merged in, recursively. Keys starting with `_` are comments.
 * `where` names the source in errors, e.g. "data/presets/tiny.json".
 */
export function mergeConfig<T>(defaults: T, overrides: unknown, where = "preset", path = ""): T {
  if (!isPlain(overrides)) throw new ConfigError(`${where}: ${path || "top level"} must be an object, got ${kind(overrides)}`);
  const out: Plain = { ...(defaults as Plain) };
  for (const [key, value] of Object.entries(overrides)) {
    if (key.startsWith("_")) continue;
    const at = path ? `${path}.${key}` : key;
    if (!Object.hasOwn(out, key)) {
      const known = Object.keys(out).join(", ");
      throw new ConfigError(`${where}: unknown key "${at}" (known here: ${known})`);
    }
    const base = out[key];
    if (isPlain(base)) out[key] = mergeConfig(base, value, where, at);
    else if (kind(base) !== kind(value)) {
      throw new ConfigError(`${where}: "${at}" must be ${kind(base)}, got ${kind(value)} (${JSON.stringify(value)})`);
    } else out[key] = value;
  }
  return out as T;
}

/**
 * Parses JSON text, reporting a syntax error on one line as `where:LINE:COLUMN: not valid JSON: reason`
 * (V8's message may quote the whole text, newlines included, and names no line).
 */
export function parseJsonConfig(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const offset = _errorOffset(text, message);
    const before = text.slice(0, offset).split("\n");
    const reason = message
      .replace(/, .*" is not valid JSON$/s, "")
      .replace(/ at position \d+.*$/s, "")
      .replace(/ in JSON$/, "");
    throw new ConfigError(`${where}:${before.length}:${before.at(-1)!.length + 1}: not valid JSON: ${reason}`);
  }
}

/** Where JSON.parse failed: V8's position when it gives one, else the end of the longest prefix that is still valid JSON or cut short. */
function _errorOffset(text: string, message: string): number {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  const validPrefix = (n: number) => {
    try {
      JSON.parse(text.slice(0, n));
      return true;
    } catch (error) {
      const m = (error as Error).message;
      const position = /at position (\d+)/.exec(m);
      return m.includes("end of JSON input") || (position !== null && Number(position[1]) >= n);
    }
  };
  let [lo, hi] = [0, text.length]; // validPrefix(lo) holds; the answer is the largest such n < text.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (validPrefix(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
