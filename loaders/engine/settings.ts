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
    if (!(key in out)) {
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
