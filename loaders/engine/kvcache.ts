/**
 * The KV cache for generation, for loaders/engine/model.ts. Prefill runs the full forward and keeps each layer's
 * K and V; a decode step then feeds one token per sequence. Two implementations behind hotpath.ts's switch:
 * on the device path K and V stay tensors (kvdevice.ts: one readback per step); on the host path (wasm,
 * cpu) the row-wise ops (embedding, LayerNorm, residuals) touch a few thousand values, so they run in
 * JS, where an op costs microseconds less than a tfjs dispatch (≈30 µs); attention over the cache runs
 * in a small WebAssembly SIMD kernel (kvkernels.ts); the four matmuls per layer and the head call the wasm
 * backend's fused-matmul kernel directly (hostlinear.ts; through tfjs ops on other backends), and the GELU
 * goes through tfjs: 1 + 5·layers readbacks per step.
 */
import * as tf from "@tensorflow/tfjs";
import { hotPath, type HotPath } from "./hotpath.js";
import { createDeviceKV, decodeStepDevice, disposeDeviceKV, prefillDevice, type DeviceKV } from "./kvdevice.js";
import { _headT, _param, forwardRows, type GPT, type TokenBatch } from "./model.js";
import { _values, gelu } from "./ops.js";
import { readFloats } from "./readback.js";
import { hostLinear, type HostLinear } from "./hostlinear.js";
import { _attentionKernels, type AttentionKernels } from "./kvkernels.js";

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
  /** Per layer its four LINEARS, then the head (no bias), on the wasm backend's kernel; empty elsewhere. */
  linears: HostLinear[];
  /** Set on the device hot path: K and V as tensors (the host arrays above are then empty). */
  device?: DeviceKV;
}

/** An empty cache for `batch` sequences of up to `capacity` positions, on `path` (default: the backend's). */
export function createKVCache(model: GPT, batch: number, capacity: number, path: HotPath = hotPath()): KVCache {
  const { nLayers, nHeads, dModel } = model.config;
  if (path === "device") {
    const device = createDeviceKV(model);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const common = { batch, capacity, length: 0, keys: [], values: [], weights: {}, heap: new Float32Array(0) };
    const hosts = { keyValid: new Uint8Array(batch * capacity), positions: new Int32Array(batch) };
    return { ...common, ...hosts, headT: device.headT, kernels: _attentionKernels(memory, dModel / nHeads), linears: [], device };
  }
  const size = batch * nHeads * capacity * (dModel / nHeads);
  const scratch = dModel / nHeads + capacity + batch * dModel; // q [hd], p [capacity], y [B, D]
  const memory = new WebAssembly.Memory({ initial: Math.ceil(((2 * nLayers * size + scratch) * 4) / 65536) });
  const heap = new Float32Array(memory.buffer);
  const weights: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(model.params)) {
    if (v.rank === 1 || name === "wte.weight" || name === "wpe.weight") weights[name] = readFloats(v);
  }
  const headT = tf.keep(_headT(model));
  return {
    batch,
    capacity,
    length: 0,
    keys: Array.from({ length: nLayers }, (_, l) => heap.subarray(2 * l * size, (2 * l + 1) * size)),
    values: Array.from({ length: nLayers }, (_, l) => heap.subarray((2 * l + 1) * size, (2 * l + 2) * size)),
    keyValid: new Uint8Array(batch * capacity),
    positions: new Int32Array(batch),
    weights,
    headT,
    heap,
    kernels: _attentionKernels(memory, dModel / nHeads),
    linears: _hostLinears(model, headT, batch),
  };
}

/** Per layer its LINEARS, then the head; none where hostLinear is unavailable. */
function _hostLinears(model: GPT, headT: tf.Tensor2D, rows: number): HostLinear[] {
  const linears: HostLinear[] = [];
  const add = (w: tf.Tensor, b?: tf.Tensor) => {
    const linear = hostLinear(w as tf.Tensor2D, b, rows);
    if (linear) linears.push(linear);
    return linear !== null;
  };
  for (let layer = 0; layer < model.config.nLayers; layer++) {
    for (const name of LINEARS) {
      if (!add(_param(model, `h.${layer}.${name}.weight`), _param(model, `h.${layer}.${name}.bias`))) return _disposeAll(linears);
    }
  }
  return add(headT) ? linears : _disposeAll(linears);
}

function _disposeAll(linears: HostLinear[]): HostLinear[] {
  for (const linear of linears) linear.dispose();
  return [];
}

export function disposeKVCache(cache: KVCache): void {
  _disposeAll(cache.linears);
  if (cache.device) disposeDeviceKV(cache.device);
  else cache.headT.dispose();
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
  if (cache.device) {
    const logits = prefillDevice(model, cache.device, batch, last, positions, keyValid);
    cache.length = T;
    return logits;
  }
  const logits = forwardRows(model, batch, last, { positions, keyValid, onKeysValues });
  try {
    cache.length = T;
    return readFloats(logits);
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

/** x += y, element by element, in place. */
function _addInto(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]!;
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

/** Feeds one token per sequence (ids [B]) and returns the next-token logits [B*V]. */
export function decodeStep(model: GPT, cache: KVCache, ids: Int32Array): Float32Array {
  const { dModel: D, nHeads: H, nLayers, layerNormEps: eps, vocabSize: V } = model.config;
  const { batch: B, capacity: cap, weights: w } = cache;
  const hd = D / H;
  const t = cache.length;
  if (ids.length !== B) throw new Error(`decodeStep got ${ids.length} ids for a batch of ${B}`);
  if (t >= cap) throw new Error(`KV cache is full (${cap} positions)`);
  if (cache.device) return _decodeStepOnDevice(model, cache, cache.device, ids);
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
  const direct = cache.linears.length > 0;
  /** Linear `i` (LINEARS order) of `layer` on rows a [B, K]. */
  const linear = (layer: number, i: number, a: Float32Array) =>
    direct ? cache.linears[4 * layer + i]!.run(a) : _values(() => [_linearOp(model, layer, i, tf.tensor2d(a, [B, a.length / B]))])[0]!;
  for (let layer = 0; layer < nLayers; layer++) {
    const p = `h.${layer}.`;
    const qkv = linear(layer, 0, _layerNormRows(x, w[`${p}ln_1.weight`]!, w[`${p}ln_1.bias`]!, D, eps)); // [B, 3D]
    _addInto(x, linear(layer, 1, _attendCached(cache, layer, qkv, H, hd)));
    const fc = linear(layer, 2, _layerNormRows(x, w[`${p}ln_2.weight`]!, w[`${p}ln_2.bias`]!, D, eps));
    const [hidden] = _values(() => [gelu(tf.tensor2d(fc, [B, 4 * D]))]); // [B, 4D]
    _addInto(x, linear(layer, 3, hidden!));
  }
  cache.length = t + 1;
  const a = _layerNormRows(x, w["ln_f.weight"]!, w["ln_f.bias"]!, D, eps);
  if (direct) return cache.linears[4 * nLayers]!.run(a);
  const [logits] = _values(() => [tf.matMul(tf.tensor2d(a, [B, D]), cache.headT)]);
  return logits!;
}

/** A layer's linears, in the order of KVCache.linears. */
const LINEARS = ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"];

/** x @ W + b of linear `i` (LINEARS order) of `layer` through tfjs ops. */
function _linearOp(model: GPT, layer: number, i: number, x: tf.Tensor2D): tf.Tensor2D {
  const p = `h.${layer}.${LINEARS[i]}`;
  return tf.fused.matMul({ a: x, b: _param(model, `${p}.weight`) as tf.Tensor2D, bias: _param(model, `${p}.bias`) }) as tf.Tensor2D;
}

/** decodeStep on the device path: the host keeps only positions and the key mask. */
function _decodeStepOnDevice(model: GPT, cache: KVCache, device: DeviceKV, ids: Int32Array): Float32Array {
  const { batch: B, capacity: cap, length: t } = cache;
  const positions = new Int32Array(B);
  const keyMask = new Uint8Array(B * (t + 1)); // [B, t+1]
  for (let b = 0; b < B; b++) {
    const id = ids[b]!;
    const pos = cache.positions[b]!;
    if (id < 0 || id >= model.config.vocabSize) throw new Error(`token id ${id} out of range [0, ${model.config.vocabSize})`);
    if (pos >= model.config.maxLen) throw new Error(`position ${pos} exceeds maxLen ${model.config.maxLen}`);
    positions[b] = pos;
    cache.keyValid[b * cap + t] = 1;
    cache.positions[b] = pos + 1;
    keyMask.set(cache.keyValid.subarray(b * cap, b * cap + t + 1), b * (t + 1));
  }
  const logits = decodeStepDevice(model, device, ids, positions, keyMask);
  cache.length = t + 1;
  return logits;
}
