/**
 * Presets: typed defaults, merged with `data/presets/<name>.json`. Each stage owns its slice of the
 * config; a preset lists only what differs (with a `_why` note if it likes). The merge rejects unknown
 * keys and wrong types, naming the file and the key, like nanoGPT's configurator (without its exec).
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const PRESETS_DIR = join(PROJECT_ROOT, "data", "presets");

export type BackendName = "auto" | "tensorflow" | "wasm" | "cpu";

export interface Config {
  /** Seed for every random choice of the run (world, init, batches, sampling). */
  seed: number;
  /** Where TensorFlow.js runs; ALIGNER_BACKEND overrides it. */
  backend: BackendName;
  /** The synthetic world (questions, upstream answers, corrections). */
  world: {
    /** Questions in the train split. */
    trainQuestions: number;
    /** Questions in the test split (held-out templates and entities live only here). */
    testQuestions: number;
  };
  tokenizer: {
    /** Byte-level BPE vocabulary size, specials included. */
    vocabSize: number;
  };
}

export const DEFAULTS: Config = {
  seed: 42, // the paper's seed (Table 22)
  backend: "auto",
  world: { trainQuestions: 2000, testQuestions: 400 },
  tokenizer: { vocabSize: 2000 },
};

/** Thrown for a preset that names an unknown key or gives a value of the wrong type. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === "object" && v !== null && !Array.isArray(v);
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

/** Checks the few values a type cannot: enums and ranges. */
export function validateConfig(config: Config, where = "preset"): Config {
  const backends: BackendName[] = ["auto", "tensorflow", "wasm", "cpu"];
  if (!backends.includes(config.backend)) {
    throw new ConfigError(`${where}: "backend" must be one of ${backends.join("|")}, got "${config.backend}"`);
  }
  const positive: [string, number][] = [
    ["world.trainQuestions", config.world.trainQuestions],
    ["world.testQuestions", config.world.testQuestions],
    ["tokenizer.vocabSize", config.tokenizer.vocabSize],
  ];
  for (const [key, value] of positive) {
    if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${where}: "${key}" must be a positive integer, got ${value}`);
  }
  return config;
}

export interface Preset {
  name: string;
  file: string;
  config: Config;
}

/** Reads `data/presets/<name>.json` (or a path ending in .json) and merges it over DEFAULTS. */
export function loadPreset(nameOrPath: string = process.env.ALIGNER_PRESET ?? "default"): Preset {
  const file = nameOrPath.endsWith(".json") ? resolve(nameOrPath) : join(PRESETS_DIR, `${nameOrPath}.json`);
  const name = nameOrPath.endsWith(".json") ? file.replace(/^.*\//, "").replace(/\.json$/, "") : nameOrPath;
  let text: string;
  try {
    text = readFileSync(file, "utf-8");
  } catch {
    throw new ConfigError(`preset "${nameOrPath}": no file ${file}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON: ${(error as Error).message}`);
  }
  const config = validateConfig(mergeConfig(DEFAULTS, raw, file), file);
  const backend = process.env.ALIGNER_BACKEND;
  if (backend) config.backend = validateConfig({ ...config, backend: backend as BackendName }, "ALIGNER_BACKEND").backend;
  return { name, file, config };
}

/** Every preset in data/presets, merged, sorted by name. */
export function listPresets(): Preset[] {
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => loadPreset(f.replace(/\.json$/, "")));
}

/** Flattens a config into dotted keys: {world: {testQuestions: 4}} -> {"world.testQuestions": 4}. */
export function flattenConfig(value: unknown, prefix = ""): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, v] of Object.entries(value as Plain)) {
    const at = prefix ? `${prefix}.${key}` : key;
    if (isPlain(v)) Object.assign(out, flattenConfig(v, at));
    else out[at] = Array.isArray(v) ? JSON.stringify(v) : (v as string | number | boolean);
  }
  return out;
}
