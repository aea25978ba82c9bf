/**
 * Presets: typed defaults, merged with `data/presets/<name>.json`. Each stage owns its slice of the
 * config; a preset lists only what differs (with a `_why` note if it likes). The merge rejects unknown
 * keys and wrong types, naming the file and the key, like nanoGPT's configurator (without its exec).
 */
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { ConfigError, isPlain, mergeConfig, parseJsonConfig } from "../engine/settings.js";
import type { DecodingSettings } from "../engine/lm.js";
import type { ModelSize } from "../engine/model.js";
import type { TrainSettings } from "../engine/train.js";
import type { BackendName } from "../engine/backend.js";
import { Checks, LIMITS } from "./limits.js";
import { LM_UPSTREAMS } from "./zoo-models.js";
import { API_SLICE_DEFAULTS, validateApiSlice, type ApiSlice } from "./api/config.js";
import { W2S_DEFAULTS, validateW2sConfig, type W2sConfig } from "./weak-to-strong/config.js";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PRESETS_DIR = join(PROJECT_ROOT, "data", "presets");
/** The root of all runs ($ALIGNER_RUNS or ./runs). */
export const runsRoot = (): string => process.env.ALIGNER_RUNS ?? join(PROJECT_ROOT, "runs");

export interface Config {
  /** Seed for every random choice of the run (world, init, batches, sampling, bootstrap). */
  seed: number;
  /**
   * The seeds `aligner study` runs the preset with, one full run each (world, models and bootstrap);
   * `aligner run` uses `seed` alone. Three by default, so every figure comes with its spread over seeds.
   */
  seeds: number[];
  /** Where TensorFlow.js runs; ALIGNER_BACKEND overrides it. */
  backend: BackendName;
  /** The synthetic world (questions, upstream answers, corrections). */
  world: {
    /** Questions in the train split. */
    trainQuestions: number;
    /** Questions in the test split (held-out templates and entities live only here). */
    testQuestions: number;
    /** Share of test questions drawn like the train ones (iid); the rest use held-out templates or entities (ood). */
    iidShare: number;
    /**
     * Which questions the test split holds: "dev" (a dev question range, for every design choice,
     * sweep and ablation) or "test" (a disjoint range and a fresh derived seed, evaluated once per
     * frozen preset). The train split is the same in both (loaders/world/index.ts).
     */
    evalWorld: EvalWorld;
  };
  tokenizer: {
    /** Byte-level BPE vocabulary size, specials included. */
    vocabSize: number;
    /** Every digit its own token (as LLaMA/Gemma), so small models can copy numbers they never saw. */
    splitDigits: boolean;
  };
  /**
   * What every model starts from: "none" trains each from scratch (the ablation), "world" fine-tunes
   * from the pretrained bases of `bases` (loaders/experiment/base.ts): the zoo LMs and the Aligners
   * from the small one, weak-to-strong's strong model from the large one. With a base, a model's size
   * is the base's (zoo.model, aligner.model, warmupSweep.model and w2s.model size from-scratch models only).
   */
  base: BaseName;
  /** The pretrained bases: decoder LMs trained on a corpus of the train world only, shared by every seed of a run folder. */
  bases: BasesConfig;
  /** Transformer upstream models trained on the world's unaligned corpora (loaders/experiment/zoo.ts). */
  zoo: {
    /** Names from zoo.ts's LM_UPSTREAMS; [] trains none. */
    models: string[];
    /** Base size; each model scales dModel by its own factor. */
    model: ModelSize;
    /** Each LM's training (engine/train.ts documents every setting). */
    train: TrainSettings;
    /** Batch and length of answer generation (each model has its own temperature). */
    decoding: DecodingSettings;
  };
  /** The Aligner: warm-up on Q-A-A, then Q-A-C, then correction of every upstream's test answers. */
  aligner: {
    /** Prompt template id (loaders/experiment/templates.ts). */
    template: string;
    /** Share of the train rows used for the identity warm-up (the paper's best: 0.2). */
    warmupFraction: number;
    /** The Aligner's transformer (engine/model.ts documents every size). */
    model: ModelSize;
    /** Its training, the warm-up's steps added on top (engine/train.ts). */
    train: TrainSettings;
    /** How it decodes corrections (engine/lm.ts; temperature 0 is greedy). */
    decoding: DecodingSettings;
    /** Correction rounds: k > 1 also corrects the correction, k times. */
    rounds: number;
    /** Let a copy of the answer compete with the decoded correction, as the copy rule below decides (aligner.ts preferCopies). */
    copyCandidate: boolean;
    /**
     * The copy rule the calibration chooses from on the Aligner's validation rows (aligner.ts
     * calibrateCopyRule): the decoded correction replaces the answer only if it is likelier than the
     * copy by more than a margin (nats) and its least likely token has at least a probability.
     * One value in each list fixes the rule; [0] and [0] is the plain likelier-of-two.
     */
    copyMargins: number[];
    /** The least-likely-token probabilities the calibration chooses from (see copyMargins). */
    copyMinTokenProbs: number[];
    /**
     * Seen upstream answers per train question the Aligner learns from (0: all of them). Measured on
     * the default world, 2 per question did not beat all 7 (README: "What the default run finds").
     */
    answersPerQuestion: number;
  };
  /** Weak-to-strong: a stronger LM fine-tuned on the Aligner's corrections of its answers (loaders/experiment/weak-to-strong/run.ts). */
  w2s: W2sConfig;
  /** The warm-up ablation: a smaller Aligner per fraction ([] skips it). */
  warmupSweep: {
    /** Identity warm-up fractions, one small Aligner each. */
    fractions: number[];
    /** Main-stage steps per fraction (the warm-up adds steps × fraction). */
    steps: number;
    /** Batch size and peak learning rate of the sweep's Aligners (the rest of aligner.train applies). */
    batchSize: number;
    lr: number;
    /** The sweep's Aligners (smaller than the main one, so five of them fit the budget). */
    model: ModelSize;
    /** Test questions evaluated per fraction (the first N). */
    testQuestions: number;
  };
  /** Upstreams, corrector and judge behind OpenAI-compatible endpoints (loaders/experiment/api/config.ts); by default none. */
  api: ApiSlice;
  /** The published site (no effect on the run's results, so not part of its id). */
  site: {
    /** The most bytes the Playground may publish (the Aligner's model.safetensors, config.json, tokenizer.json); 0 turns it off. */
    playgroundMaxBytes: number;
  };
}

/** The bases a preset can start its models from ("none": from scratch). */
export const BASE_NAMES = ["none", "world"] as const;
export type BaseName = (typeof BASE_NAMES)[number];

/** One pretrained base: its transformer and its pretraining. */
export interface BaseSpec {
  model: ModelSize;
  train: TrainSettings;
}

export interface BasesConfig {
  /**
   * Seed of the base corpus and the bases' init. The bases do not depend on the run's seed: like one
   * public checkpoint they are shared by every seed (question ranges are seed-free, so the corpus holds
   * train-range contents only for every seed's world).
   */
  seed: number;
  /** The pretraining corpus, drawn from the train range of questions (base.ts documents each kind). */
  corpus: {
    /** Train-range questions the corpus is written from. */
    questions: number;
    /** Shares of the document kinds: a question answered in a seen style, statements of facts, repeated spans. */
    qa: number;
    facts: number;
    copy: number;
  };
  /** The base of the zoo LMs and the Aligners. */
  small: BaseSpec;
  /** The base of weak-to-strong's strong model: wider and deeper than the small one. */
  large: BaseSpec;
  /** Each fine-tune from a base uses its own stage's steps, at this multiple of its stage's learning rate. */
  fineTuneLrScale: number;
}

/** The two evaluation worlds: design choices are made on "dev", a frozen preset is measured once on "test". */
export const EVAL_WORLDS = ["dev", "test"] as const;
export type EvalWorld = (typeof EVAL_WORLDS)[number];

export const DEFAULTS: Config = {
  seed: 42, // the paper's seed (Table 22)
  seeds: [42, 43, 44],
  backend: "auto",
  world: { trainQuestions: 3500, testQuestions: 200, iidShare: 0.5, evalWorld: "test" }, // 3,500: about 1,100 distinct questions (README)
  tokenizer: { vocabSize: 1500, splitDigits: false },
  base: "world", // pretrained bases, as the paper's models have (issue 19); "none": from scratch (the `scratch` preset)
  bases: {
    seed: 7,
    corpus: { questions: 20000, qa: 0.6, facts: 0.2, copy: 0.2 },
    small: {
      model: { dModel: 128, nHeads: 4, nLayers: 2, maxLen: 160, tied: true }, // the Aligner's size
      train: { steps: 1500, batchSize: 32, lr: 2e-3, lrWarmupRatio: 0.03, weightDecay: 0.1, evalEvery: 250, checkpointEvery: 500 },
    },
    large: {
      model: { dModel: 192, nHeads: 4, nLayers: 3, maxLen: 160, tied: true },
      train: { steps: 1500, batchSize: 32, lr: 1.5e-3, lrWarmupRatio: 0.03, weightDecay: 0.1, evalEvery: 250, checkpointEvery: 500 },
    },
    fineTuneLrScale: 0.5,
  },
  zoo: {
    models: ["lm_unsafe", "lm_refuser", "lm_sloppy"],
    model: { dModel: 48, nHeads: 4, nLayers: 2, maxLen: 96, tied: true },
    train: { steps: 200, batchSize: 32, lr: 3e-3, lrWarmupRatio: 0.05, weightDecay: 0.1, evalEvery: 50, checkpointEvery: 0 },
    decoding: { temperature: 0.7, topK: 0, topP: 1, maxNewTokens: 48, batchSize: 64 },
  },
  aligner: {
    template: "aligner-v1.0",
    warmupFraction: 0.2, // the paper's optimum (Fig. 3)
    model: { dModel: 128, nHeads: 4, nLayers: 2, maxLen: 160, tied: true },
    // 600 steps (+120 of warm-up): on the default world it corrects as well as 1,000 did (held-out iid ω
    // within a few points, README) and keeps the main stages of a cold default run within 10 minutes.
    train: {
      steps: 600,
      batchSize: 32,
      lr: 2e-3,
      lrWarmupRatio: 0.03,
      weightDecay: 0.1,
      evalEvery: 100,
      checkpointEvery: 200,
      lossTruncation: 0,
    },
    decoding: { temperature: 0, topK: 0, topP: 1, maxNewTokens: 64, batchSize: 64 },
    rounds: 1,
    copyCandidate: true,
    copyMargins: [0, 1, 2, 4, 8, 12],
    copyMinTokenProbs: [0, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9],
    answersPerQuestion: 0,
  },
  w2s: W2S_DEFAULTS,
  warmupSweep: {
    fractions: [0, 0.02, 0.1, 0.2, 0.5], // the paper's proportions (Fig. 3) and no warm-up
    steps: 400, // with batches of 16 at lr 3e-3 a 64-wide Aligner learns enough in 400 steps for fractions to differ (at 200 steps of 32 none did)
    batchSize: 16,
    lr: 3e-3,
    model: { dModel: 64, nHeads: 4, nLayers: 2, maxLen: 160, tied: true },
    testQuestions: 100,
  },
  api: API_SLICE_DEFAULTS,
  site: { playgroundMaxBytes: 50_000_000 }, // 50 MB: the default Aligner is a few MB; a reader downloads it all
};

/**
 * The warm-up sweep's fractions this run trains: none on the test world (the sweep is an ablation, and
 * every ablation and design choice is made on the dev world: `world.evalWorld: "dev"`), none without a
 * local Aligner, else `warmupSweep.fractions`.
 */
export const sweepFractions = (config: Pick<Config, "world" | "warmupSweep" | "api">): number[] =>
  config.world.evalWorld === "dev" && config.api.corrector.use === "local" ? config.warmupSweep.fractions : [];

/** Checks what a type cannot: enums, ranges and limits (limits.ts), naming the dotted key. */
export function validateConfig(config: Config, where = "preset"): Config {
  const check = new Checks(where);
  const backends: BackendName[] = ["auto", "tensorflow", "wasm", "cpu"];
  if (!backends.includes(config.backend)) {
    throw new ConfigError(`${where}: "backend" must be one of ${backends.join("|")}, got "${config.backend}"`);
  }
  check.int("seed", config.seed, 0, LIMITS.seed);
  check.list("seeds", config.seeds, 1);
  config.seeds.forEach((s, i) => {
    check.int(`seeds[${i}]`, s, 0, LIMITS.seed);
    if (config.seeds.indexOf(s) !== i) check.fail(`seeds[${i}]`, "named once", s);
  });
  if (!EVAL_WORLDS.includes(config.world.evalWorld))
    throw new ConfigError(
      `${where}: "world.evalWorld" must be one of ${EVAL_WORLDS.join("|")}, got ${JSON.stringify(config.world.evalWorld)}`,
    );
  check.int("world.trainQuestions", config.world.trainQuestions, 1, LIMITS.questions);
  check.int("world.testQuestions", config.world.testQuestions, 1, LIMITS.questions);
  const questions = config.world.trainQuestions + config.world.testQuestions;
  if (questions > LIMITS.questions)
    throw new ConfigError(`${where}: "world.trainQuestions" + "world.testQuestions" must be ≤ ${LIMITS.questions}, got ${questions}`);
  const vocab = config.tokenizer.vocabSize;
  check.int("tokenizer.vocabSize", vocab, 1, LIMITS.vocabSize);
  if (!BASE_NAMES.includes(config.base))
    throw new ConfigError(`${where}: "base" must be one of ${BASE_NAMES.join("|")}, got ${JSON.stringify(config.base)}`);
  check.int("bases.seed", config.bases.seed, 0, LIMITS.seed);
  check.int("bases.corpus.questions", config.bases.corpus.questions, 1, LIMITS.questions);
  for (const kind of ["qa", "facts", "copy"] as const) check.num(`bases.corpus.${kind}`, config.bases.corpus[kind], "≥ 0", (v) => v >= 0);
  if (!(config.bases.corpus.qa + config.bases.corpus.facts + config.bases.corpus.copy > 0))
    check.fail("bases.corpus", "shares with a positive sum", config.bases.corpus);
  for (const size of ["small", "large"] as const) {
    check.model(`bases.${size}.model`, config.bases[size].model, vocab);
    check.train(`bases.${size}.train`, config.bases[size].train);
  }
  check.num("bases.fineTuneLrScale", config.bases.fineTuneLrScale, "> 0", (v) => v > 0);
  check.int("aligner.rounds", config.aligner.rounds, 1, LIMITS.rounds);
  check.list("zoo.models", config.zoo.models);
  config.zoo.models.forEach((name, i) => {
    if (!LM_UPSTREAMS.some((u) => u.name === name))
      check.fail(`zoo.models[${i}]`, `one of ${LM_UPSTREAMS.map((u) => u.name).join(", ")}`, name);
    if (config.zoo.models.indexOf(name) !== i) check.fail(`zoo.models[${i}]`, "named once", name);
  });
  const widest = Math.max(1, ...LM_UPSTREAMS.filter((u) => config.zoo.models.includes(u.name)).map((u) => u.width));
  check.model("zoo.model", config.zoo.model, vocab, widest);
  check.train("zoo.train", config.zoo.train);
  check.decoding("zoo.decoding", config.zoo.decoding);
  check.model("aligner.model", config.aligner.model, vocab);
  check.train("aligner.train", config.aligner.train);
  check.decoding("aligner.decoding", config.aligner.decoding);
  const sweep = config.warmupSweep;
  check.model("warmupSweep.model", sweep.model, vocab);
  check.train("warmupSweep", { steps: sweep.steps, batchSize: sweep.batchSize, lr: sweep.lr });
  check.int("warmupSweep.testQuestions", sweep.testQuestions, 1, LIMITS.questions);
  check.list("warmupSweep.fractions", sweep.fractions);
  const fractions: [string, number][] = [
    ["aligner.warmupFraction", config.aligner.warmupFraction],
    ["aligner.train.lossTruncation", config.aligner.train.lossTruncation ?? 0],
    ["world.iidShare", config.world.iidShare === 1 ? 0 : config.world.iidShare], // [0, 1] (1: no held-out questions)
    ...sweep.fractions.map((f, i): [string, number] => [`warmupSweep.fractions[${i}]`, f]),
  ];
  if (config.aligner.copyMargins.length === 0)
    throw new ConfigError(`${where}: "aligner.copyMargins" needs at least one margin (use [0] for none)`);
  check.list("aligner.copyMargins", config.aligner.copyMargins);
  config.aligner.copyMargins.forEach((m, i) => {
    if (typeof m !== "number" || !(m >= 0) || !Number.isFinite(m))
      throw new ConfigError(`${where}: "aligner.copyMargins[${i}]" must be a finite number ≥ 0, got ${JSON.stringify(m)}`);
  });
  if (config.aligner.copyMinTokenProbs.length === 0)
    throw new ConfigError(`${where}: "aligner.copyMinTokenProbs" needs at least one value (use [0] for none)`);
  check.list("aligner.copyMinTokenProbs", config.aligner.copyMinTokenProbs);
  config.aligner.copyMinTokenProbs.forEach((p, i) => {
    if (typeof p !== "number" || !(p >= 0 && p < 1))
      throw new ConfigError(`${where}: "aligner.copyMinTokenProbs[${i}]" must be a number in [0, 1), got ${JSON.stringify(p)}`);
  });
  for (const [key, value] of fractions) {
    if (typeof value !== "number" || !(value >= 0 && value < 1))
      throw new ConfigError(`${where}: "${key}" must be a number in [0, 1), got ${JSON.stringify(value)}`);
  }
  const k = config.aligner.answersPerQuestion;
  if (!Number.isInteger(k) || k < 0)
    throw new ConfigError(`${where}: "aligner.answersPerQuestion" must be an integer ≥ 0 (0: all), got ${JSON.stringify(k)}`);
  check.int("site.playgroundMaxBytes", config.site.playgroundMaxBytes, 0, Number.MAX_SAFE_INTEGER);
  validateW2sConfig(config.w2s, where, vocab);
  config.api = validateApiSlice(config.api, where);
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
  const raw = parseJsonConfig(text, file);
  const config = validateConfig(mergeConfig(DEFAULTS, raw, file), file);
  const backend = process.env.ALIGNER_BACKEND;
  if (backend) config.backend = validateConfig({ ...config, backend: backend as BackendName }, "ALIGNER_BACKEND").backend;
  return { name, file, config };
}

/** Every preset in data/presets, merged, sorted by name. */
export function listPresets(): Preset[] {
  return readdirSync(PRESETS_DIR)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""))
    .sort() // by name: "tiny" before "tiny-base" (their file names sort the other way)
    .map((name) => loadPreset(name));
}

/** Flattens a config into dotted keys: {world: {testQuestions: 4}} -> {"world.testQuestions": 4}. */
export function flattenConfig(value: unknown, prefix = ""): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const at = prefix ? `${prefix}.${key}` : key;
    if (isPlain(v)) Object.assign(out, flattenConfig(v, at));
    else out[at] = Array.isArray(v) ? JSON.stringify(v) : (v as string | number | boolean);
  }
  return out;
}
