/**
 * A decoder-only causal transformer (GPT-2 shape) in raw TensorFlow.js ops, read like nanoGPT's model.py:
 * config → parameters → attention → MLP → block → model → loss. The differentiable ops and the attention
 * kernel live in loaders/engine/ops.ts, the KV cache for generation in loaders/engine/kvcache.ts; both are re-exported
 * here, so this file stays the one import for the model.
 *
 * Weights are plain tf.variables keyed by Hugging Face GPT-2 names (`wte.weight`, `h.0.ln_1.weight`,
 * `h.0.attn.c_attn.weight` [D, 3D] …), so they export to safetensors as they are. Linear weights use
 * GPT-2's Conv1D layout [in, out]; `lm_head.weight` is [V, D] like HF's (tied: the head is `wte.weight`).
 *
 * Speed (measured on tfjs-wasm): the ops carry hand-written wasm-friendly gradients (see ops.ts),
 * and the last block runs its output projection and MLP only on the rows the loss reads.
 */
import * as tf from "@tensorflow/tfjs";
import { mergeConfig } from "./settings.js";
import { crossEntropyRows, crossEntropy, gatherRows, gelu, layerNorm, linear } from "./ops.js";
import { causalSelfAttention, type AttentionPath } from "./attention.js";
import { createRng, type Rng } from "./random.js";
import { readFloats } from "./readback.js";

export { crossEntropy, crossEntropyRows, gatherRows, gelu, layerNorm, linear } from "./ops.js";
export { causalSelfAttention, type AttentionPath } from "./attention.js";

// ---------------------------------------------------------------------------------------------------
// Config

export interface ModelConfig {
  vocabSize: number; // 256: byte-level tokens
  dModel: number; // 128: residual width D
  nHeads: number; // 4: attention heads; head size D / nHeads
  nLayers: number; // 2: transformer blocks
  maxLen: number; // 128: learned positions, the longest sequence
  tied: boolean; // false: the LM head reuses wte.weight
  dropout: number; // 0: on embeddings and residual branches, training only
  layerNormEps: number; // 1e-5: as torch.nn.LayerNorm
}

/** The sizes a preset sets for one model (the vocabulary comes from the tokenizer, the rest from the defaults above). */
export type ModelSize = Pick<ModelConfig, "dModel" | "nHeads" | "nLayers" | "maxLen"> & Partial<Pick<ModelConfig, "tied">>;

export const defaultModelConfig: Readonly<ModelConfig> = Object.freeze({
  vocabSize: 256,
  dModel: 128,
  nHeads: 4,
  nLayers: 2,
  maxLen: 128,
  tied: false,
  dropout: 0,
  layerNormEps: 1e-5,
});

/** Defaults overlaid with `overrides`; unknown keys, wrong types and impossible shapes throw. */
export function resolveModelConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  const config = mergeConfig<ModelConfig>({ ...defaultModelConfig }, overrides, "model config");
  for (const key of ["vocabSize", "dModel", "nHeads", "nLayers", "maxLen"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new Error(`model config ${key} must be a positive integer`);
  }
  if (config.dModel % config.nHeads !== 0) throw new Error("model config dModel must be divisible by nHeads");
  if ((config.dModel / config.nHeads) % 4 !== 0) throw new Error("model config head size dModel/nHeads must be a multiple of 4");
  if (!(config.dropout >= 0 && config.dropout < 1)) throw new Error("model config dropout must be in [0, 1)");
  return config;
}

// ---------------------------------------------------------------------------------------------------
// Parameters. Seeded randomness: loaders/engine/random.ts (mulberry32, the same stream as torch_gpt.py).

export type Params = Record<string, tf.Variable>;

export interface GPT {
  config: ModelConfig;
  params: Params; // HF GPT-2 names, insertion order = export order
}

/** Parameter names and shapes in export order. */
export function paramShapes(config: ModelConfig): Array<[string, number[]]> {
  const { vocabSize: V, dModel: D, maxLen, nLayers } = config;
  const shapes: Array<[string, number[]]> = [
    ["wte.weight", [V, D]],
    ["wpe.weight", [maxLen, D]],
  ];
  for (let i = 0; i < nLayers; i++) {
    const p = `h.${i}.`;
    shapes.push(
      [`${p}ln_1.weight`, [D]],
      [`${p}ln_1.bias`, [D]],
      [`${p}attn.c_attn.weight`, [D, 3 * D]],
      [`${p}attn.c_attn.bias`, [3 * D]],
      [`${p}attn.c_proj.weight`, [D, D]],
      [`${p}attn.c_proj.bias`, [D]],
      [`${p}ln_2.weight`, [D]],
      [`${p}ln_2.bias`, [D]],
      [`${p}mlp.c_fc.weight`, [D, 4 * D]],
      [`${p}mlp.c_fc.bias`, [4 * D]],
      [`${p}mlp.c_proj.weight`, [4 * D, D]],
      [`${p}mlp.c_proj.bias`, [D]],
    );
  }
  shapes.push(["ln_f.weight", [D]], ["ln_f.bias", [D]]);
  if (!config.tied) shapes.push(["lm_head.weight", [V, D]]);
  return shapes;
}

/** A standard normal sample (Box-Muller); advances `rng` by two draws. */
function _normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Initial value of one parameter, GPT-2 style (residual projections scaled by 1/sqrt(2L)). */
function _initValue(name: string, size: number, config: ModelConfig, rng: Rng): Float32Array {
  const values = new Float32Array(size);
  if (name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight") || name === "ln_f.weight") return values.fill(1);
  if (name.endsWith(".bias")) return values;
  const std = name === "wpe.weight" ? 0.01 : name.endsWith("c_proj.weight") ? 0.02 / Math.sqrt(2 * config.nLayers) : 0.02;
  for (let i = 0; i < size; i++) values[i] = std * _normal(rng);
  return values;
}

/** A freshly initialised model; the same `seed` gives the same weights on every backend. */
export function createModel(overrides: Partial<ModelConfig> = {}, { seed = 1 }: { seed?: number } = {}): GPT {
  const config = resolveModelConfig(overrides);
  const rng = createRng(seed);
  const values: Record<string, Float32Array> = {};
  for (const [name, shape] of paramShapes(config)) values[name] = _initValue(name, _sizeOf(shape), config, rng);
  return modelFromValues(config, values);
}

/** A model holding copies of `values` (e.g. read from safetensors); shapes are checked. */
export function modelFromValues(config: ModelConfig, values: Record<string, Float32Array>): GPT {
  const params: Params = {};
  for (const [name, shape] of paramShapes(config)) {
    const data = values[name];
    if (!data) throw new Error(`missing parameter ${name}`);
    if (data.length !== _sizeOf(shape)) throw new Error(`parameter ${name} has ${data.length} values, expected shape [${shape}]`);
    params[name] = tf.tidy(() => tf.variable(tf.tensor(data, shape, "float32")));
  }
  return { config, params };
}

/** Weights as plain arrays keyed by name. */
export function readParams(model: GPT): Record<string, { shape: number[]; data: Float32Array }> {
  const out: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, v] of Object.entries(model.params)) out[name] = { shape: v.shape.slice(), data: readFloats(v) };
  return out;
}

export function countParams(model: GPT): number {
  return Object.values(model.params).reduce((n, v) => n + v.size, 0);
}

export function disposeModel(model: GPT): void {
  for (const v of Object.values(model.params)) v.dispose();
}

function _sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

// ---------------------------------------------------------------------------------------------------
// The model: attention → MLP → block → GPT

/** Token ids of a rectangular batch: ids [B*T], row-major. */
export interface TokenBatch {
  ids: Int32Array;
  batch: number; // B
  length: number; // T
}

export interface ForwardOptions {
  positions?: Int32Array; // [B*T] position ids; default 0..T-1 in every row
  keyValid?: Uint8Array; // [B*T] 0 = padding token: never attended to (left-padded generation)
  training?: boolean; // applies dropout when config.dropout > 0
  dropoutSeed?: number; // seeds dropout masks (deterministic resume)
  attention?: AttentionPath; // "auto": per head for long sequences, batched for short ones
  onKeysValues?: (layer: number, k: Float32Array, v: Float32Array) => void; // K, V [B, H, T, hd] per layer
  onKeysValuesTensors?: (layer: number, k: tf.Tensor4D, v: tf.Tensor4D) => void; // the same as tensors, no readback (batched path)
}

export function _param(model: GPT, name: string): tf.Variable {
  const p = model.params[name];
  if (!p) throw new Error(`model has no parameter ${name}`);
  return p;
}

function _dropout(x: tf.Tensor2D, model: GPT, opts: ForwardOptions, salt: number): tf.Tensor2D {
  const rate = model.config.dropout;
  if (!opts.training || rate === 0) return x;
  return tf.dropout(x, rate, undefined, (opts.dropoutSeed ?? 0) * 1000 + salt) as tf.Tensor2D;
}

/** Attention heads of one layer before the output projection: [B*T, D] -> [B*T, D]. */
function attention(model: GPT, layer: number, x: tf.Tensor2D, batch: TokenBatch, opts: ForwardOptions): tf.Tensor2D {
  const p = `h.${layer}.attn.`;
  const qkv = linear(x, _param(model, `${p}c_attn.weight`) as tf.Tensor2D, _param(model, `${p}c_attn.bias`) as tf.Tensor1D);
  return causalSelfAttention(qkv, {
    batch: batch.batch,
    length: batch.length,
    heads: model.config.nHeads,
    keyValid: opts.keyValid,
    path: opts.attention,
    onKeysValues: opts.onKeysValues && ((k, v) => opts.onKeysValues!(layer, k, v)),
    onKeysValuesTensors: opts.onKeysValuesTensors && ((k, v) => opts.onKeysValuesTensors!(layer, k, v)),
  });
}

function mlp(model: GPT, layer: number, x: tf.Tensor2D): tf.Tensor2D {
  const p = `h.${layer}.mlp.`;
  const h = gelu(linear(x, _param(model, `${p}c_fc.weight`) as tf.Tensor2D, _param(model, `${p}c_fc.bias`) as tf.Tensor1D));
  return linear(h as tf.Tensor2D, _param(model, `${p}c_proj.weight`) as tf.Tensor2D, _param(model, `${p}c_proj.bias`) as tf.Tensor1D);
}

function _norm(model: GPT, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  const g = _param(model, `${prefix}.weight`) as tf.Tensor1D;
  return layerNorm(x, g, _param(model, `${prefix}.bias`) as tf.Tensor1D, model.config.layerNormEps);
}

/**
 * One pre-LN block. With `rows`, only those rows leave the block ([R, D]): keys and values still come from
 * every position, but the output projection and MLP run on the rows a later loss or sampler reads.
 */
function block(model: GPT, layer: number, x: tf.Tensor2D, batch: TokenBatch, opts: ForwardOptions, rows?: Int32Array): tf.Tensor2D {
  let y = attention(model, layer, _norm(model, `h.${layer}.ln_1`, x), batch, opts);
  if (rows) [x, y] = [gatherRows(x, rows), gatherRows(y, rows)]; // [B*T, D] -> [R, D]
  const p = `h.${layer}.attn.c_proj`;
  const a = linear(y, _param(model, `${p}.weight`) as tf.Tensor2D, _param(model, `${p}.bias`) as tf.Tensor1D);
  x = tf.add(x, _dropout(a, model, opts, 2 * layer + 1));
  const m = mlp(model, layer, _norm(model, `h.${layer}.ln_2`, x));
  return tf.add(x, _dropout(m, model, opts, 2 * layer + 2));
}

/** Final hidden states after ln_f: [B*T, D], or [R, D] at the flat positions `rows` (indices into B*T). */
export function hiddenStates(model: GPT, batch: TokenBatch, opts: ForwardOptions = {}, rows?: Int32Array): tf.Tensor2D {
  const { batch: B, length: T } = batch;
  if (T > model.config.maxLen) throw new Error(`sequence length ${T} exceeds maxLen ${model.config.maxLen}`);
  if (batch.ids.length !== B * T) throw new Error(`batch has ${batch.ids.length} ids, expected ${B}×${T}`);
  const positions = opts.positions ?? Int32Array.from({ length: B * T }, (_, i) => i % T);
  const tok = gatherRows(_param(model, "wte.weight") as tf.Tensor2D, batch.ids);
  const pos = gatherRows(_param(model, "wpe.weight") as tf.Tensor2D, positions);
  let x = _dropout(tf.add(tok, pos), model, opts, 0); // [B*T, D]
  const L = model.config.nLayers;
  for (let layer = 0; layer < L; layer++) x = block(model, layer, x, batch, opts, layer === L - 1 ? rows : undefined);
  return _norm(model, "ln_f", x);
}

/** The LM head's weight as [D, V]. */
export function _headT(model: GPT): tf.Tensor2D {
  return tf.transpose(_param(model, model.config.tied ? "wte.weight" : "lm_head.weight")) as tf.Tensor2D;
}

/** Logits [B, T, V]. */
export function forward(model: GPT, batch: TokenBatch, opts: ForwardOptions = {}): tf.Tensor3D {
  return tf.tidy(() => {
    const h = hiddenStates(model, batch, opts);
    const logits = linear(h, _headT(model)); // [B*T, V]
    return tf.reshape(logits, [batch.batch, batch.length, model.config.vocabSize]); // [B*T, V] -> [B, T, V]
  });
}

/** Logits [R, V] at the flat positions `rows` (indices into B*T) only. */
export function forwardRows(model: GPT, batch: TokenBatch, rows: Int32Array, opts: ForwardOptions = {}): tf.Tensor2D {
  return tf.tidy(() => linear(hiddenStates(model, batch, opts, rows), _headT(model)));
}

/** A batch with next-token targets: targets [B*T], -1 where no loss is taken (prompt, padding). */
export interface LossBatch extends TokenBatch {
  targets: Int32Array;
}

/** The flat positions of `batch` that have a target (row r belongs to example ⌊r / T⌋), and those targets. */
export function targetRows(batch: LossBatch): { rows: Int32Array; targets: Int32Array } {
  const rows: number[] = [];
  const targets: number[] = [];
  batch.targets.forEach((t, i) => {
    if (t >= 0) (rows.push(i), targets.push(t));
  });
  if (rows.length === 0) throw new Error("batch has no target tokens");
  return { rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}

/** Mean cross-entropy over the positions with a target; the head runs on those rows only. */
export function maskedLoss(model: GPT, batch: LossBatch, opts: ForwardOptions = {}): tf.Scalar {
  const { rows, targets } = targetRows(batch);
  return tf.tidy(() => crossEntropy(forwardRows(model, batch, rows, opts), tf.tensor1d(targets, "int32")));
}

/**
 * Loss truncation (Kang & Hashimoto, ACL 2020): the mean cross-entropy over the target tokens of the
 * examples whose own mean loss is at most `threshold`; the rest of the batch gets no gradient. It keeps
 * a small model from learning to guess what it cannot know (a value it cannot compute) while it still
 * learns from every example it can fit. `report` gets each example's mean loss (NaN without targets)
 * and how many were dropped; if every example is above the threshold, none is dropped.
 */
export function truncatedLoss(
  model: GPT,
  batch: LossBatch,
  threshold: number,
  report: (exampleLosses: Float64Array, dropped: number) => void,
  opts: ForwardOptions = {},
): tf.Scalar {
  const { rows, targets } = targetRows(batch);
  const owner = (row: number) => Math.floor(row / batch.length);
  return tf.tidy(() => {
    const ce = crossEntropyRows(forwardRows(model, batch, rows, opts), tf.tensor1d(targets, "int32"));
    const values = readFloats(ce); // loss truncation's one extra readback per step
    const sums = new Float64Array(batch.batch);
    const counts = new Float64Array(batch.batch);
    rows.forEach((row, k) => {
      sums[owner(row)] = sums[owner(row)]! + values[k]!;
      counts[owner(row)] = counts[owner(row)]! + 1;
    });
    const losses = sums.map((x, b) => (counts[b]! > 0 ? x / counts[b]! : NaN));
    const above = Array.from(losses, (x) => x > threshold); // NaN (no targets) is never above
    const withTargets = counts.filter((c) => c > 0).length;
    const dropped = above.filter(Boolean).length;
    if (dropped === 0 || dropped === withTargets) {
      report(losses, 0);
      return tf.mean(ce) as tf.Scalar;
    }
    report(losses, dropped);
    const weights = Float32Array.from(rows, (row) => (above[owner(row)] ? 0 : 1));
    return tf.div(
      tf.sum(tf.mul(ce, tf.tensor1d(weights))),
      weights.reduce((a, w) => a + w, 0),
    ) as tf.Scalar;
  });
}
