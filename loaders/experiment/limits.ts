/**
 * The ranges a preset's numbers must fall in, checked before any work starts (config.ts's
 * validateConfig, weak-to-strong/config.ts, api/config.ts). The upper bounds are generous (tens to
 * thousands of times the defaults) and only refuse what would exhaust memory, hit a JavaScript limit,
 * or run for days on the engine's CPU backends; each says why it is where it is.
 */
import type { DecodingSettings } from "../engine/lm.js";
import type { ModelSize } from "../engine/model.js";
import { ConfigError } from "../engine/settings.js";

export const LIMITS = {
  /**
   * Questions per split, and both splits together. The world stage keeps ~3.6 KB of JSON per question
   * (its rows for every upstream; measured at 20,000 questions: 256 MB RSS, 18 s); past ~140,000 its
   * rows.json outgrows V8's 512 MB string limit. 100,000 is 28× the default world.
   */
  questions: 100_000,
  /** Byte-level BPE vocabulary: 65,536 is 44× the default and above GPT-2's 50,257; the tokenizer learns merges in JavaScript. */
  vocabSize: 65_536,
  /** Width: 8,192 is LLaMA-65B's, 64× the default Aligner's. */
  dModel: 8192,
  /** Blocks: 128 is past any model of that width (LLaMA-65B has 80). */
  nLayers: 128,
  /** Attention heads: 128 (dModel must also divide into heads of 4+ dims). */
  nHeads: 128,
  /** Context: 8,192 tokens; attention keeps batch × heads × maxLen² scores (256 MB per sequence-head at 8,192). */
  maxLen: 8192,
  /**
   * Parameters of one model (≈ 12·nLayers·dModel² + (vocab + maxLen)·dModel): weights, gradients and
   * AdamW's two moments take 16 bytes each, so 1e9 already needs 16 GB (the default Aligner has ~0.6M).
   */
  parameters: 1e9,
  /** Optimizer steps: 1,000,000 is 1,600× the default Aligner's; each keeps a row of the training log. */
  steps: 1_000_000,
  /** Examples per training or decoding batch: 4,096 (128× the default); activations grow with batch × maxLen × dModel. */
  batchSize: 4096,
  /** Tokens decoded per answer: at most maxLen's limit (a model never sees more than maxLen tokens). */
  maxNewTokens: 8192,
  /** Correction rounds (aligner, w2s): each re-decodes every test answer; 100 is far past where rounds stop helping. */
  rounds: 100,
  /** Entries in a list that trains or calibrates one thing per entry (sweep fractions, copy-rule candidates, corpora, API upstreams). */
  listLength: 100,
  /** Seeds: the generators take them mod 2^32 (engine/random.ts), so a larger one would alias a smaller one. */
  seed: 2 ** 32 - 1,
} as const;

/** Checks a preset's values, each error naming the source and the dotted key. */
export class Checks {
  constructor(readonly where: string) {}

  fail(at: string, must: string, got: unknown): never {
    throw new ConfigError(`${this.where}: "${at}" must be ${must}, got ${JSON.stringify(got) ?? String(got)}`);
  }

  /** An integer in [min, max]; `note` explains a special value, e.g. "0: all". */
  int(at: string, value: unknown, min: number, max = Infinity, note = ""): void {
    if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return;
    const lower = min === 1 ? "a positive integer" : min === 0 ? "a non-negative integer" : `an integer ≥ ${min}`;
    const upper = max === Infinity ? "" : ` and ≤ ${max.toLocaleString("en-US")}`;
    this.fail(at, `${lower}${upper}${note ? ` (${note})` : ""}`, value);
  }

  /** A finite number with `ok(value)`; `must` says what ok means, e.g. "> 0". */
  num(at: string, value: unknown, must: string, ok: (v: number) => boolean): void {
    if (typeof value === "number" && Number.isFinite(value) && ok(value)) return;
    this.fail(at, `${must} and finite`, value);
  }

  positive(at: string, value: unknown): void {
    this.num(at, value, "> 0", (v) => v > 0);
  }

  nonNegative(at: string, value: unknown): void {
    this.num(at, value, "≥ 0", (v) => v >= 0);
  }

  /** At most LIMITS.listLength entries. */
  list(at: string, value: readonly unknown[], min = 0): void {
    if (value.length < min || value.length > LIMITS.listLength)
      throw new ConfigError(`${this.where}: "${at}" must have ${min} to ${LIMITS.listLength} entries, got ${value.length}`);
  }

  /** A model's sizes (`at`: e.g. "aligner.model"); `widest` scales dModel (the zoo's widest LM). */
  model(at: string, model: ModelSize, vocabSize: number, widest = 1): void {
    this.int(`${at}.dModel`, model.dModel, 1, LIMITS.dModel);
    this.int(`${at}.nHeads`, model.nHeads, 1, LIMITS.nHeads);
    this.int(`${at}.nLayers`, model.nLayers, 1, LIMITS.nLayers);
    this.int(`${at}.maxLen`, model.maxLen, 1, LIMITS.maxLen);
    if (model.dModel % (4 * model.nHeads) !== 0)
      throw new ConfigError(
        `${this.where}: "${at}.dModel" must be a multiple of 4 × nHeads (head sizes are multiples of 4), got ${model.dModel}`,
      );
    const d = model.dModel * widest;
    const parameters = 12 * model.nLayers * d * d + (vocabSize * (model.tied === false ? 2 : 1) + model.maxLen) * d;
    if (parameters > LIMITS.parameters)
      throw new ConfigError(
        `${this.where}: "${at}" has ~${parameters.toExponential(1)} parameters, over the limit of ${LIMITS.parameters.toExponential(0)} (16 bytes each to train)`,
      );
  }

  /** Training settings (`at`: e.g. "aligner.train"); evalEvery and checkpointEvery only where the slice has them. */
  train(at: string, train: { steps: number; batchSize: number; lr: number; lrWarmupRatio?: number; weightDecay?: number }): void {
    this.int(`${at}.steps`, train.steps, 1, LIMITS.steps);
    this.int(`${at}.batchSize`, train.batchSize, 1, LIMITS.batchSize);
    this.positive(`${at}.lr`, train.lr);
    if (train.lrWarmupRatio !== undefined) this.num(`${at}.lrWarmupRatio`, train.lrWarmupRatio, "in [0, 1]", (v) => v >= 0 && v <= 1);
    if (train.weightDecay !== undefined) this.nonNegative(`${at}.weightDecay`, train.weightDecay);
    for (const key of ["evalEvery", "checkpointEvery"] as const) {
      const value = (train as Record<string, unknown>)[key];
      if (value !== undefined) this.int(`${at}.${key}`, value, 0, LIMITS.steps, "0: off");
    }
  }

  /** Decoding settings (`at`: e.g. "aligner.decoding"). */
  decoding(at: string, decoding: DecodingSettings): void {
    this.nonNegative(`${at}.temperature`, decoding.temperature);
    this.int(`${at}.topK`, decoding.topK, 0, LIMITS.vocabSize, "0: off");
    this.num(`${at}.topP`, decoding.topP, "in (0, 1]", (v) => v > 0 && v <= 1);
    this.int(`${at}.maxNewTokens`, decoding.maxNewTokens, 1, LIMITS.maxNewTokens);
    this.int(`${at}.batchSize`, decoding.batchSize, 1, LIMITS.batchSize);
  }
}
