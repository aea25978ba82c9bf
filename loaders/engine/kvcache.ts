/**
 * The KV cache for generation, for loaders/engine/model.ts. Prefill runs the full forward and keeps each layer's
 * K and V; a decode step then feeds one token per sequence. In a step the row-wise ops (embedding,
 * LayerNorm, residuals) touch a few thousand values, so they run in JS, where an op costs microseconds
 * less than a tfjs dispatch (≈30 µs); attention over the cache runs in a small WebAssembly SIMD kernel;
 * the four matmuls per layer, the GELU and the head go through tfjs (XNNPACK).
 */
import * as tf from "@tensorflow/tfjs";
import { _headT, _param, forwardRows, type GPT, type TokenBatch } from "./model.js";
import { _values, gelu } from "./ops.js";

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
  const [LOAD, STORE] = [
    [...simd(0), 4, 0],
    [...simd(11), 4, 0],
  ];
  const ZERO = [...simd(12), ...new Array<number>(16).fill(0)];
  const [SPLAT, F4_ADD, F4_MUL] = [simd(19), simd(228), simd(230)];
  const lane = (l: number) => [...get(7), ...simd(31), l];
  const [F32_LOAD, F32_STORE] = [
    [0x2a, 2, 0],
    [0x38, 2, 0],
  ];
  const [BLOCK, LOOP, END] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
  const at = (base: number, index: number) => [...get(base), ...get(index), ...i32(2), ...SHL, ...ADD]; // base + 4·index
  const step = (local: number, by: number[]) => [...get(local), ...by, ...ADD, ...set(local)];
  const whileLess = (i: number, n: number, body: number[]) => [
    ...BLOCK,
    ...LOOP,
    ...get(i),
    ...get(n),
    ...GE_U,
    0x0d,
    1,
    ...body,
    0x0c,
    0,
    ...END,
    ...END,
  ];
  // params: 0..4 = (a, b, out, n, hd); locals: 5 = j, 6 = d, 7 = acc (v128), 8 = row pointer
  const dots = whileLess(5, 3, [
    ...ZERO,
    ...set(7),
    ...i32(0),
    ...set(6),
    ...whileLess(6, 4, [...get(7), ...at(0, 6), ...LOAD, ...at(1, 6), ...LOAD, ...F4_MUL, ...F4_ADD, ...set(7), ...step(6, i32(4))]),
    ...at(2, 5),
    ...lane(0),
    ...lane(1),
    ...F32_ADD,
    ...lane(2),
    ...F32_ADD,
    ...lane(3),
    ...F32_ADD,
    ...F32_STORE,
    ...step(1, [...get(4), ...i32(2), ...SHL]),
    ...step(5, i32(1)),
  ]);
  const axpys = whileLess(6, 4, [
    ...ZERO,
    ...set(7),
    ...at(1, 6),
    ...set(8),
    ...i32(0),
    ...set(5),
    ...whileLess(5, 3, [
      ...get(7),
      ...at(0, 5),
      ...F32_LOAD,
      ...SPLAT,
      ...get(8),
      ...LOAD,
      ...F4_MUL,
      ...F4_ADD,
      ...set(7),
      ...step(8, [...get(4), ...i32(2), ...SHL]),
      ...step(5, i32(1)),
    ]),
    ...at(2, 6),
    ...get(7),
    ...STORE,
    ...step(6, i32(4)),
  ]);
  const code = (body: number[]) => {
    const fn = [
      ...vec([
        [2, I32],
        [1, V128],
        [1, I32],
      ]),
      ...body,
      ...END,
    ];
    return [...uleb(fn.length), ...fn];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])), // one type: (i32 ×5) -> ()
    ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, 0x00]])), // import memory m.mem
    ...section(3, vec([[0], [0]])),
    ...section(
      7,
      vec([
        [...name("dots"), 0x00, 0],
        [...name("axpys"), 0x00, 1],
      ]),
    ),
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
      tf.fused.matMul({
        a: tf.tensor2d(a, [B, D]),
        b: _param(model, `${p}attn.c_attn.weight`) as tf.Tensor2D,
        bias: _param(model, `${p}attn.c_attn.bias`),
      }),
    ]); // [B, 3D]
    const y = _attendCached(cache, layer, qkv!, H, hd);
    _addInto(x, y, B, (yt) =>
      tf.fused.matMul({ a: yt, b: _param(model, `${p}attn.c_proj.weight`) as tf.Tensor2D, bias: _param(model, `${p}attn.c_proj.bias`) }),
    );
    _addInto(x, _layerNormRows(x, w[`${p}ln_2.weight`]!, w[`${p}ln_2.bias`]!, D, eps), B, (at) => {
      const h = gelu(
        tf.fused.matMul({ a: at, b: _param(model, `${p}mlp.c_fc.weight`) as tf.Tensor2D, bias: _param(model, `${p}mlp.c_fc.bias`) }),
      );
      return tf.fused.matMul({
        a: h as tf.Tensor2D,
        b: _param(model, `${p}mlp.c_proj.weight`) as tf.Tensor2D,
        bias: _param(model, `${p}mlp.c_proj.bias`),
      });
    });
  }
  cache.length = t + 1;
  const a = _layerNormRows(x, w["ln_f.weight"]!, w["ln_f.bias"]!, D, eps);
  const [logits] = _values(() => [tf.matMul(tf.tensor2d(a, [B, D]), cache.headT)]);
  return logits!;
}
