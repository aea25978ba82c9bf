/**
 * A decoder-only causal transformer (GPT-2 shape) in raw TensorFlow.js ops, read like nanoGPT's model.py:
 * seeded randomness → config → differentiable ops → attention → MLP → block → model → loss → KV cache.
 *
 * Weights are plain tf.variables keyed by Hugging Face GPT-2 names (`wte.weight`, `h.0.ln_1.weight`,
 * `h.0.attn.c_attn.weight` [D, 3D] …), so they export to safetensors as they are. Linear weights use
 * GPT-2's Conv1D layout [in, out]; `lm_head.weight` is [V, D] like HF's (tied: the head is `wte.weight`).
 *
 * Speed (research/tfjs-perf.md, all measured on tfjs-wasm): every op below has a hand-written gradient so
 * that (1) matmuls are rank 2 without transpose flags, the only shape XNNPACK serves (the flagged path runs
 * at 1-2 GFLOP/s); (2) the embedding gradient is a scatterND, since wasm lacks UnsortedSegmentSum;
 * (3) attention runs per head as rank-2 matmuls on slices cut in JS from one dataSync; (4) GELU uses
 * x·sigmoid(2u), equal to 0.5x(1+tanh u), because wasm's Sigmoid is vectorised (≈2.5 ms on [4096, 512])
 * and its Tanh is not (≈45 ms); (5) row gathers copy in JS (wasm's GatherV2 is ≈8 ns a value); (6) the
 * last block runs its output projection and MLP only on the rows the loss reads.
 */
import * as tf from "@tensorflow/tfjs";
import { mergeConfig } from "./config.js";
import { createRng, type Rng } from "./random.js";

// ---------------------------------------------------------------------------------------------------
// Seeded randomness (loaders/random.ts: mulberry32, the same stream as torch_gpt.py).

/** A standard normal sample (Box-Muller); advances `rng` by two draws. */
function _normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

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
// Differentiable ops with wasm-friendly gradients. Each is one tf.customGrad kernel.

type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
type OpBody = (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: GradFunc };

function _customOp<T extends tf.Tensor>(body: OpBody, ...inputs: tf.Tensor[]): T {
  const op = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return body(args.slice(0, -1) as tf.Tensor[], save);
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(...inputs) as T;
}

/**
 * Weight and bias gradients of y = x @ w + b: dw = x^T @ dy ([K, N] @ [N, M] -> [K, M]) and db = column
 * sums of dy, with no transpose flags. The smaller of x and dy gets transposed (wasm's Transpose costs
 * ≈6 ns a value), and db reuses the operand XNNPACK has already packed: ones[1, N] @ dy runs on dy's
 * cached packing, dy^T @ ones[N, 1] packs N ones. A tf.sum over axis 0 would transpose dy again.
 */
function _weightGrads(x: tf.Tensor2D, dy: tf.Tensor2D, withBias: boolean): tf.Tensor[] {
  const [n, m] = dy.shape;
  if (x.size <= dy.size) {
    const dw = tf.matMul(tf.transpose(x), dy);
    return withBias ? [dw, tf.reshape(tf.matMul(tf.ones([1, n]), dy), [m])] : [dw]; // [1, M] -> [M]
  }
  const dyT = tf.transpose(dy);
  const dw = tf.transpose(tf.matMul(dyT, x)); // ([M, N] @ [N, K])^T
  return withBias ? [dw, tf.reshape(tf.matMul(dyT, tf.ones([n, 1])), [m])] : [dw]; // [M, 1] -> [M]
}

/** Rows of `table` at `idx` ([N, D] -> [M, D]), copied in JS (wasm's GatherV2 takes ≈8 ns a value);
 * gradient by scatterND, which sums repeated rows (wasm has no UnsortedSegmentSum for tf.gather's). */
export function gatherRows(table: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  return _customOp<tf.Tensor2D>(([t]) => {
    const [n, d] = t!.shape as [number, number];
    const src = t!.dataSync() as Float32Array;
    const out = new Float32Array(idx.length * d);
    idx.forEach((row, i) => {
      if (row < 0 || row >= n) throw new Error(`row index ${row} out of range [0, ${n})`);
      out.set(src.subarray(row * d, (row + 1) * d), i * d);
    });
    return {
      value: tf.tensor2d(out, [idx.length, d]),
      gradFunc: (dy) => tf.scatterND(tf.tensor2d(idx, [idx.length, 1], "int32"), dy, [n, d]), // [M, 1] indices
    };
  }, table);
}

/** Runs `fn` in a tidy and returns its tensors' values; never return typed arrays from tf.tidy itself,
 * which walks every element looking for tensors. */
function _values(fn: () => tf.Tensor[]): Float32Array[] {
  const tensors = tf.tidy(fn);
  try {
    return tensors.map((t) => t.dataSync() as Float32Array);
  } finally {
    tf.dispose(tensors);
  }
}

/** x @ w + b for x [N, K], w [K, M], b [M]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return _customOp<tf.Tensor2D>(([xi, wi, bi], save) => {
    save([xi!, wi!]);
    return {
      value: tf.fused.matMul({ a: xi as tf.Tensor2D, b: wi as tf.Tensor2D, bias: bi }),
      gradFunc: (dy, [xs, ws]) => {
        const dx = tf.matMul(dy as tf.Tensor2D, tf.transpose(ws!));
        return [dx, ..._weightGrads(xs as tf.Tensor2D, dy as tf.Tensor2D, b !== undefined)];
      },
    };
  }, ...(b ? [x, w, b] : [x, w]));
}

/** LayerNorm over the last axis of x [N, D] with gain g [D] and bias b [D]. */
export function layerNorm(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor2D {
  return _customOp<tf.Tensor2D>(([xi, gi, bi], save) => {
    const xc = tf.sub(xi!, tf.mean(xi!, -1, true));
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.mul(xc, xc), -1, true), eps)); // [N, 1]
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gi!]);
    return {
      value: tf.add(tf.mul(xhat, gi!), bi!),
      gradFunc: (dy, [xh, rs, gs]) => {
        const g2 = dy as tf.Tensor2D;
        const dxhat = tf.mul(g2, gs!);
        const inner = tf.sub(tf.sub(dxhat, tf.mean(dxhat, -1, true)), tf.mul(xh!, tf.mean(tf.mul(dxhat, xh!), -1, true)));
        return [tf.mul(inner, rs!), tf.sum(tf.mul(g2, xh!), 0), tf.sum(g2, 0)];
      },
    };
  }, x, g, b);
}

const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

/** tanh-approximate GELU, computed as x·sigmoid(2√(2/π)(x + 0.044715x³)). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return _customOp(([xi], save) => {
    const x2 = tf.mul(xi!, xi!);
    const s = tf.sigmoid(tf.mul(xi!, tf.add(tf.mul(x2, 2 * GELU_C * GELU_A), 2 * GELU_C)));
    save([xi!, s, x2]);
    return {
      value: tf.mul(xi!, s),
      gradFunc: (dy, [xs, si, x2i]) => {
        // d/dx = s + x·s(1-s)·2c(1 + 3a x²)
        const du = tf.add(tf.mul(x2i!, 6 * GELU_C * GELU_A), 2 * GELU_C);
        const ds = tf.mul(tf.mul(si!, tf.sub(1, si!)), tf.mul(xs!, du));
        return tf.mul(dy, tf.add(si!, ds));
      },
    };
  }, x);
}

/** Mean cross-entropy of logits [M, V] against `targets` [M]. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return _customOp<tf.Scalar>(([l], save) => {
    const [m, v] = l!.shape as [number, number];
    const z = tf.sub(l!, tf.max(l!, -1, true));
    const e = tf.exp(z);
    const s = tf.sum(e, -1, true);
    const onehot = tf.oneHot(targets, v);
    save([tf.div(e, s), onehot]);
    return {
      value: tf.mean(tf.sub(tf.log(s), tf.sum(tf.mul(z, onehot), -1, true))),
      gradFunc: (dy, [p, oh]) => tf.mul(tf.sub(p!, oh!), tf.div(dy, m)),
    };
  }, logits);
}

// ---------------------------------------------------------------------------------------------------
// Attention: per-head rank-2 matmuls on slices cut in JS from one dataSync (research/tfjs-perf.md §3).

const MASKED = -1e9;

/** Additive causal mask [T, T], with padding keys (keyValid[j] = 0) masked too. */
function _attentionMask(T: number, keyValid?: Uint8Array, offset = 0): Float32Array {
  const mask = new Float32Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      if (j > i || (keyValid !== undefined && keyValid[offset + j] === 0)) mask[i * T + j] = MASKED;
    }
  }
  return mask;
}

/** How attention runs: "auto" picks by size; the others force one implementation (tests compare them). */
export type AttentionPath = "auto" | "perHead" | "batched";

interface AttentionShape {
  batch: number; // B
  length: number; // T
  heads: number; // H
  keyValid?: Uint8Array; // [B*T]: 0 masks a padding key
  path?: AttentionPath; // default "auto"
  /** Receives K and V, each [B, H, T, hd], e.g. to fill a KV cache during prefill. */
  onKeysValues?: (k: Float32Array, v: Float32Array) => void;
}

/**
 * Causal multi-head attention on fused projections qkv [B*T, 3D] -> [B*T, D] (heads concatenated).
 * Long sequences go head by head (rank-2 XNNPACK matmuls, ≈25 tfjs ops per head); short ones in one
 * batched rank-4 pass, whose matmuls run on wasm's slow path but cost less than per-head dispatch when
 * T²·hd is small (break-even near T = 48 for hd = 32 on this machine).
 */
export function causalSelfAttention(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const hd = qkv.shape[1] / 3 / shape.heads;
  const batched = shape.path === "batched" || (shape.path !== "perHead" && shape.length * shape.length * hd < 65536);
  return batched ? _attentionBatched(qkv, shape) : _attentionPerHead(qkv, shape);
}

function _attentionBatched(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const { batch: B, length: T, heads: H, keyValid, onKeysValues } = shape;
  const D = qkv.shape[1] / 3;
  const hd = D / H;
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B*T, D] -> [B, H, T, hd]
  const [q, k, v] = tf.split(qkv, 3, 1).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  if (onKeysValues) onKeysValues(k.dataSync() as Float32Array, v.dataSync() as Float32Array);
  let mask: tf.Tensor = tf.tensor2d(_attentionMask(T), [T, T]);
  if (keyValid) {
    const masks = new Float32Array(B * T * T); // [B, 1, T, T]
    for (let b = 0; b < B; b++) masks.set(_attentionMask(T, keyValid, b * T), b * T * T);
    mask = tf.tensor4d(masks, [B, 1, T, T]);
  }
  const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hd)), mask)); // [B, H, T, T]
  return tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B * T, D]); // [B, H, T, hd] -> [B*T, D]
}

/**
 * Columns [col, col + H·hd) of the rows of `src` ([B*T, stride]) regrouped per head, scaled:
 * [B, H, T, hd], or [B, H, hd, T] when `transpose`. One pass, so no per-head copies or allocations.
 */
function _heads(src: Float32Array, stride: number, col: number, B: number, T: number, H: number, hd: number, transpose: boolean, scale = 1): Float32Array {
  const out = new Float32Array(B * H * T * hd);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const row = (b * T + t) * stride + col;
      for (let h = 0; h < H; h++) {
        const head = (b * H + h) * T * hd;
        const from = row + h * hd;
        if (transpose) for (let d = 0; d < hd; d++) out[head + d * T + t] = src[from + d]! * scale;
        else for (let d = 0; d < hd; d++) out[head + t * hd + d] = src[from + d]! * scale;
      }
    }
  }
  return out;
}

function _attentionPerHead(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const { batch: B, length: T, heads: H, keyValid, onKeysValues } = shape;
  const D = qkv.shape[1] / 3;
  const hd = D / H;
  const scale = 1 / Math.sqrt(hd);
  const size = T * hd; // one head's slice
  return _customOp<tf.Tensor2D>(([x], save) => {
    const data = x!.dataSync() as Float32Array; // [B*T, 3D]
    const qs = _heads(data, 3 * D, 0, B, T, H, hd, false, scale); // [B, H, T, hd], q pre-scaled by 1/sqrt(hd)
    const kTs = _heads(data, 3 * D, D, B, T, H, hd, true); // [B, H, hd, T]
    const vs = _heads(data, 3 * D, 2 * D, B, T, H, hd, false); // [B, H, T, hd]
    if (onKeysValues) onKeysValues(_heads(data, 3 * D, D, B, T, H, hd, false), vs);
    const out = new Float32Array(B * T * D); // [B*T, D]
    const probs: tf.Tensor2D[] = [];
    const sharedMask = keyValid ? undefined : tf.tensor2d(_attentionMask(T), [T, T]);
    for (let b = 0; b < B; b++) {
      const mask = sharedMask ?? tf.tensor2d(_attentionMask(T, keyValid, b * T), [T, T]);
      for (let h = 0; h < H; h++) {
        const off = (b * H + h) * size;
        const p = tf.tidy(() => {
          const s = tf.matMul(tf.tensor2d(qs.subarray(off, off + size), [T, hd]), tf.tensor2d(kTs.subarray(off, off + size), [hd, T]));
          return tf.softmax(tf.add(s, mask)) as tf.Tensor2D; // [T, T]
        });
        const [y] = _values(() => [tf.matMul(p, tf.tensor2d(vs.subarray(off, off + size), [T, hd]))]); // [T, hd]
        for (let t = 0; t < T; t++) out.set(y!.subarray(t * hd, (t + 1) * hd), (b * T + t) * D + h * hd);
        probs.push(p);
      }
      if (!sharedMask) mask.dispose();
    }
    sharedMask?.dispose();
    save(probs);
    return {
      value: tf.tensor2d(out, [B * T, D]),
      gradFunc: (dy, saved) => {
        const g = dy.dataSync() as Float32Array; // [B*T, D]
        const dYs = _heads(g, D, 0, B, T, H, hd, false); // [B, H, T, hd]
        const dYTs = _heads(g, D, 0, B, T, H, hd, true); // [B, H, hd, T]
        const qTs = _heads(data, 3 * D, 0, B, T, H, hd, true, scale); // [B, H, hd, T]
        const ks = _heads(data, 3 * D, D, B, T, H, hd, false); // [B, H, T, hd]
        const vTs = _heads(data, 3 * D, 2 * D, B, T, H, hd, true); // [B, H, hd, T]
        const dqkv = new Float32Array(B * T * 3 * D);
        for (let b = 0; b < B; b++) {
          for (let h = 0; h < H; h++) {
            const off = (b * H + h) * size;
            const slice = (a: Float32Array, rows: number, cols: number) => tf.tensor2d(a.subarray(off, off + size), [rows, cols]);
            const [dq, dkT, dvT] = _values(() => {
              const p = saved[b * H + h]!;
              const dP = tf.matMul(slice(dYs, T, hd), slice(vTs, hd, T)); // [T, T]
              const dvT = tf.matMul(slice(dYTs, hd, T), p); // [hd, T]
              const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true))); // softmax backward
              const dq = tf.matMul(dS, slice(ks, T, hd)); // [T, hd]
              const dkT = tf.matMul(slice(qTs, hd, T), dS); // [hd, T]
              return [dq, dkT, dvT];
            });
            for (let t = 0; t < T; t++) {
              const row = (b * T + t) * 3 * D + h * hd;
              for (let d = 0; d < hd; d++) {
                dqkv[row + d] = dq![t * hd + d]! * scale;
                dqkv[row + D + d] = dkT![d * T + t]!;
                dqkv[row + 2 * D + d] = dvT![d * T + t]!;
              }
            }
          }
        }
        return tf.tensor2d(dqkv, [B * T, 3 * D]);
      },
    };
  }, qkv);
}

// ---------------------------------------------------------------------------------------------------
// Parameters

export type Params = Record<string, tf.Variable>;

export interface GPT {
  config: ModelConfig;
  params: Params; // HF GPT-2 names, insertion order = export order
}

/** Parameter names and shapes in export order. */
export function paramShapes(config: ModelConfig): Array<[string, number[]]> {
  const { vocabSize: V, dModel: D, maxLen, nLayers } = config;
  const shapes: Array<[string, number[]]> = [["wte.weight", [V, D]], ["wpe.weight", [maxLen, D]]];
  for (let i = 0; i < nLayers; i++) {
    const p = `h.${i}.`;
    shapes.push(
      [`${p}ln_1.weight`, [D]], [`${p}ln_1.bias`, [D]],
      [`${p}attn.c_attn.weight`, [D, 3 * D]], [`${p}attn.c_attn.bias`, [3 * D]],
      [`${p}attn.c_proj.weight`, [D, D]], [`${p}attn.c_proj.bias`, [D]],
      [`${p}ln_2.weight`, [D]], [`${p}ln_2.bias`, [D]],
      [`${p}mlp.c_fc.weight`, [D, 4 * D]], [`${p}mlp.c_fc.bias`, [4 * D]],
      [`${p}mlp.c_proj.weight`, [4 * D, D]], [`${p}mlp.c_proj.bias`, [D]],
    );
  }
  shapes.push(["ln_f.weight", [D]], ["ln_f.bias", [D]]);
  if (!config.tied) shapes.push(["lm_head.weight", [V, D]]);
  return shapes;
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
  for (const [name, v] of Object.entries(model.params)) out[name] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
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
}

function _param(model: GPT, name: string): tf.Variable {
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
function _headT(model: GPT): tf.Tensor2D {
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

/** Mean cross-entropy over the positions with a target; the head runs on those rows only. */
export function maskedLoss(model: GPT, batch: LossBatch, opts: ForwardOptions = {}): tf.Scalar {
  const rows: number[] = [];
  const targets: number[] = [];
  batch.targets.forEach((t, i) => {
    if (t >= 0) rows.push(i), targets.push(t);
  });
  if (rows.length === 0) throw new Error("batch has no target tokens");
  return tf.tidy(() => {
    const logits = forwardRows(model, batch, Int32Array.from(rows), opts);
    return crossEntropy(logits, tf.tensor1d(targets, "int32"));
  });
}

// ---------------------------------------------------------------------------------------------------
// KV cache. Prefill runs the full forward and keeps each layer's K and V; a decode step then feeds one
// token per sequence. In a step the row-wise ops (embedding, LayerNorm, residuals) touch a few thousand
// values, so they run in JS, where an op costs microseconds less than a tfjs dispatch (≈30 µs); attention
// over the cache runs in a small WebAssembly SIMD kernel; the four matmuls per layer, the GELU and the
// head go through tfjs (XNNPACK).

export interface KVCache {
  batch: number; // B
  capacity: number; // most positions the cache holds
  length: number; // positions filled so far (shared: prompts are left-padded)
  keys: Float32Array[]; // per layer [B, H, capacity, hd], views into `heap`
  values: Float32Array[]; // per layer [B, H, capacity, hd], views into `heap`
  keyValid: Uint8Array; // [B, capacity]: 0 = padding, never attended to
  positions: Int32Array; // [B]: position id of each sequence's next token
  weights: Record<string, Float32Array>; // JS copies of the embeddings, LayerNorms and biases
  headT: tf.Tensor2D; // [D, V], owned by the cache: call disposeKVCache
  heap: Float32Array; // the attention kernels' memory: K, V, then scratch for q, p and y
  kernels: AttentionKernels;
}

/** An empty cache for `batch` sequences of up to `capacity` positions. */
export function createKVCache(model: GPT, batch: number, capacity: number): KVCache {
  const { nLayers, nHeads, dModel } = model.config;
  const size = batch * nHeads * capacity * (dModel / nHeads);
  const scratch = dModel / nHeads + capacity + batch * dModel; // q [hd], p [capacity], y [B, D]
  const memory = new WebAssembly.Memory({ initial: Math.ceil(((2 * nLayers * size + scratch) * 4) / 65536) });
  const heap = new Float32Array(memory.buffer);
  const weights: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(model.params)) {
    if (v.rank === 1 || name === "wte.weight" || name === "wpe.weight") weights[name] = v.dataSync() as Float32Array;
  }
  return {
    batch,
    capacity,
    length: 0,
    keys: Array.from({ length: nLayers }, (_, l) => heap.subarray(2 * l * size, (2 * l + 1) * size)),
    values: Array.from({ length: nLayers }, (_, l) => heap.subarray((2 * l + 1) * size, (2 * l + 2) * size)),
    keyValid: new Uint8Array(batch * capacity),
    positions: new Int32Array(batch),
    weights,
    headT: tf.keep(_headT(model)),
    heap,
    kernels: _attentionKernels(memory),
  };
}

export function disposeKVCache(cache: KVCache): void {
  cache.headT.dispose();
}

/**
 * Runs the prompts through the model, fills the cache and returns the logits [B*V] at each sequence's
 * last position. `batch` is left-padded; `keyValid` [B*T] marks real tokens (default: all).
 */
export function prefill(model: GPT, cache: KVCache, batch: TokenBatch, keyValid?: Uint8Array): Float32Array {
  const { batch: B, length: T } = batch;
  if (B !== cache.batch || cache.length !== 0 || T > cache.capacity) throw new Error("prefill needs an empty cache of the batch's size");
  const hd = model.config.dModel / model.config.nHeads;
  const H = model.config.nHeads;
  const positions = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let next = 0;
    for (let t = 0; t < T; t++) {
      const valid = keyValid === undefined || keyValid[b * T + t] === 1;
      positions[b * T + t] = valid ? next++ : 0;
      cache.keyValid[b * cache.capacity + t] = valid ? 1 : 0;
    }
    cache.positions[b] = next;
  }
  const onKeysValues = (layer: number, k: Float32Array, v: Float32Array) => {
    for (let bh = 0; bh < B * H; bh++) {
      cache.keys[layer]!.set(k.subarray(bh * T * hd, (bh + 1) * T * hd), bh * cache.capacity * hd); // [B, H, T, hd] -> [B, H, cap, hd]
      cache.values[layer]!.set(v.subarray(bh * T * hd, (bh + 1) * T * hd), bh * cache.capacity * hd);
    }
  };
  const last = Int32Array.from({ length: B }, (_, b) => b * T + T - 1);
  const logits = forwardRows(model, batch, last, { positions, keyValid, onKeysValues });
  try {
    cache.length = T;
    return logits.dataSync() as Float32Array;
  } finally {
    logits.dispose();
  }
}

/** LayerNorm of each row of x [B, D] in JS. */
function _layerNormRows(x: Float32Array, g: Float32Array, b: Float32Array, D: number, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / D; r++) {
    let mean = 0;
    for (let i = 0; i < D; i++) mean += x[r * D + i]!;
    mean /= D;
    let variance = 0;
    for (let i = 0; i < D; i++) variance += (x[r * D + i]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(variance / D + eps);
    for (let i = 0; i < D; i++) out[r * D + i] = (x[r * D + i]! - mean) * rstd * g[i]! + b[i]!;
  }
  return out;
}

/** Adds the row-wise result of `f` (a tfjs computation on the [B, D] input `a`) into x in place. */
function _addInto(x: Float32Array, a: Float32Array, B: number, f: (a: tf.Tensor2D) => tf.Tensor): void {
  const [y] = _values(() => [f(tf.tensor2d(a, [B, a.length / B]))]);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + y![i]!;
}

/**
 * Single-query attention of every sequence and head over the cache of one layer. The two dot-product
 * loops run in the WebAssembly SIMD kernels below (≈4× faster than JS loops), the softmax in JS.
 * Writes this step's k, v (from qkv [B, 3D]) at position t; returns y [B, D], heads concatenated.
 */
function _attendCached(cache: KVCache, layer: number, qkv: Float32Array, H: number, hd: number): Float32Array {
  const { batch: B, capacity: cap, length: t, heap, keyValid } = cache;
  const { dots, axpys } = cache.kernels;
  const D = H * hd;
  const scale = 1 / Math.sqrt(hd);
  const K = cache.keys[layer]!;
  const V = cache.values[layer]!;
  const kAt = K.byteOffset / 4;
  const vAt = V.byteOffset / 4;
  const qAt = 2 * cache.keys.length * K.length; // scratch after every layer's K and V
  const pAt = qAt + hd;
  const yAt = pAt + cap;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const base = (b * H + h) * cap * hd; // [B, H, cap, hd]
      const src = b * 3 * D + h * hd;
      K.set(qkv.subarray(src + D, src + D + hd), base + t * hd);
      V.set(qkv.subarray(src + 2 * D, src + 2 * D + hd), base + t * hd);
      for (let d = 0; d < hd; d++) heap[qAt + d] = qkv[src + d]! * scale;
      dots(4 * qAt, 4 * (kAt + base), 4 * pAt, t + 1, hd); // scores, [t+1]
      let max = -Infinity;
      for (let j = 0; j <= t; j++) if (keyValid[b * cap + j] === 1 && heap[pAt + j]! > max) max = heap[pAt + j]!;
      let sum = 0;
      for (let j = 0; j <= t; j++) {
        const e = keyValid[b * cap + j] === 1 ? Math.exp(heap[pAt + j]! - max) : 0;
        heap[pAt + j] = e;
        sum += e;
      }
      for (let j = 0; j <= t; j++) heap[pAt + j] = heap[pAt + j]! / sum;
      axpys(4 * pAt, 4 * (vAt + base), 4 * (yAt + b * D + h * hd), t + 1, hd); // p @ V, [hd]
    }
  }
  return heap.slice(yAt, yAt + B * D);
}

/**
 * The two loops of single-query attention as a WebAssembly SIMD module (f32x4), assembled here from
 * bytes: no toolchain, 350 bytes. Pointers are byte offsets into the imported memory; hd % 4 == 0.
 *   dots(q, k, out, n, hd):  out[j] = q · k[j·hd : (j+1)·hd]        for j < n
 *   axpys(p, v, out, n, hd): out[d] = Σ_j p[j] · v[j·hd + d]         for d < hd
 */
interface AttentionKernels {
  dots(q: number, k: number, out: number, n: number, hd: number): void;
  axpys(p: number, v: number, out: number, n: number, hd: number): void;
}

let _kernelModule: WebAssembly.Module | undefined; // compiled once per process; a constant, not state

function _attentionKernels(memory: WebAssembly.Memory): AttentionKernels {
  _kernelModule ??= new WebAssembly.Module(_kernelBytes());
  return new WebAssembly.Instance(_kernelModule, { m: { mem: memory } }).exports as unknown as AttentionKernels;
}

function _kernelBytes(): Uint8Array<ArrayBuffer> {
  const uleb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >>> 7)]);
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const [I32, V128] = [0x7f, 0x7b];
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const i32 = (n: number) => [0x41, n]; // small non-negative constants only
  const [ADD, SHL, GE_U, F32_ADD] = [[0x6a], [0x74], [0x4f], [0x92]];
  const simd = (op: number) => [0xfd, ...uleb(op)];
  const [LOAD, STORE] = [[...simd(0), 4, 0], [...simd(11), 4, 0]];
  const ZERO = [...simd(12), ...new Array<number>(16).fill(0)];
  const [SPLAT, F4_ADD, F4_MUL] = [simd(19), simd(228), simd(230)];
  const lane = (l: number) => [...get(7), ...simd(31), l];
  const [F32_LOAD, F32_STORE] = [[0x2a, 2, 0], [0x38, 2, 0]];
  const [BLOCK, LOOP, END] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
  const at = (base: number, index: number) => [...get(base), ...get(index), ...i32(2), ...SHL, ...ADD]; // base + 4·index
  const step = (local: number, by: number[]) => [...get(local), ...by, ...ADD, ...set(local)];
  const whileLess = (i: number, n: number, body: number[]) => [...BLOCK, ...LOOP, ...get(i), ...get(n), ...GE_U, 0x0d, 1, ...body, 0x0c, 0, ...END, ...END];
  // params: 0..4 = (a, b, out, n, hd); locals: 5 = j, 6 = d, 7 = acc (v128), 8 = row pointer
  const dots = whileLess(5, 3, [
    ...ZERO, ...set(7), ...i32(0), ...set(6),
    ...whileLess(6, 4, [...get(7), ...at(0, 6), ...LOAD, ...at(1, 6), ...LOAD, ...F4_MUL, ...F4_ADD, ...set(7), ...step(6, i32(4))]),
    ...at(2, 5), ...lane(0), ...lane(1), ...F32_ADD, ...lane(2), ...F32_ADD, ...lane(3), ...F32_ADD, ...F32_STORE,
    ...step(1, [...get(4), ...i32(2), ...SHL]), ...step(5, i32(1)),
  ]);
  const axpys = whileLess(6, 4, [
    ...ZERO, ...set(7), ...at(1, 6), ...set(8), ...i32(0), ...set(5),
    ...whileLess(5, 3, [
      ...get(7), ...at(0, 5), ...F32_LOAD, ...SPLAT, ...get(8), ...LOAD, ...F4_MUL, ...F4_ADD, ...set(7),
      ...step(8, [...get(4), ...i32(2), ...SHL]), ...step(5, i32(1)),
    ]),
    ...at(2, 6), ...get(7), ...STORE, ...step(6, i32(4)),
  ]);
  const code = (body: number[]) => {
    const fn = [...vec([[2, I32], [1, V128], [1, I32]]), ...body, ...END];
    return [...uleb(fn.length), ...fn];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])), // one type: (i32 ×5) -> ()
    ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, 0x00]])), // import memory m.mem
    ...section(3, vec([[0], [0]])),
    ...section(7, vec([[...name("dots"), 0x00, 0], [...name("axpys"), 0x00, 1]])),
    ...section(10, vec([code(dots), code(axpys)])),
  ]);
}

/** Feeds one token per sequence (ids [B]) and returns the next-token logits [B*V]. */
export function decodeStep(model: GPT, cache: KVCache, ids: Int32Array): Float32Array {
  const { dModel: D, nHeads: H, nLayers, layerNormEps: eps, vocabSize: V } = model.config;
  const { batch: B, capacity: cap, weights: w } = cache;
  const hd = D / H;
  const t = cache.length;
  if (ids.length !== B) throw new Error(`decodeStep got ${ids.length} ids for a batch of ${B}`);
  if (t >= cap) throw new Error(`KV cache is full (${cap} positions)`);
  const x = new Float32Array(B * D); // [B, D]
  const wte = w["wte.weight"]!;
  const wpe = w["wpe.weight"]!;
  for (let b = 0; b < B; b++) {
    const id = ids[b]!;
    const pos = cache.positions[b]!;
    if (id < 0 || id >= V) throw new Error(`token id ${id} out of range [0, ${V})`);
    if (pos >= model.config.maxLen) throw new Error(`position ${pos} exceeds maxLen ${model.config.maxLen}`);
    for (let i = 0; i < D; i++) x[b * D + i] = wte[id * D + i]! + wpe[pos * D + i]!;
    cache.keyValid[b * cap + t] = 1;
    cache.positions[b] = pos + 1;
  }
  for (let layer = 0; layer < nLayers; layer++) {
    const p = `h.${layer}.`;
    const a = _layerNormRows(x, w[`${p}ln_1.weight`]!, w[`${p}ln_1.bias`]!, D, eps);
    const [qkv] = _values(() => [
      tf.fused.matMul({ a: tf.tensor2d(a, [B, D]), b: _param(model, `${p}attn.c_attn.weight`) as tf.Tensor2D, bias: _param(model, `${p}attn.c_attn.bias`) }),
    ]); // [B, 3D]
    const y = _attendCached(cache, layer, qkv!, H, hd);
    _addInto(x, y, B, (yt) =>
      tf.fused.matMul({ a: yt, b: _param(model, `${p}attn.c_proj.weight`) as tf.Tensor2D, bias: _param(model, `${p}attn.c_proj.bias`) }),
    );
    _addInto(x, _layerNormRows(x, w[`${p}ln_2.weight`]!, w[`${p}ln_2.bias`]!, D, eps), B, (at) => {
      const h = gelu(tf.fused.matMul({ a: at, b: _param(model, `${p}mlp.c_fc.weight`) as tf.Tensor2D, bias: _param(model, `${p}mlp.c_fc.bias`) }));
      return tf.fused.matMul({ a: h as tf.Tensor2D, b: _param(model, `${p}mlp.c_proj.weight`) as tf.Tensor2D, bias: _param(model, `${p}mlp.c_proj.bias`) });
    });
  }
  cache.length = t + 1;
  const a = _layerNormRows(x, w["ln_f.weight"]!, w["ln_f.bias"]!, D, eps);
  const [logits] = _values(() => [tf.matMul(tf.tensor2d(a, [B, D]), cache.headT)]);
  return logits!;
}
