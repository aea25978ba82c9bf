/**
 * Causal self-attention for loaders/engine/model.ts, on two paths chosen per backend (hotpath.ts): batched
 * (one rank-4 matmul per step over all heads, no readback) and per head (rank-2 matmuls on slices cut
 * in JS from one readback per layer and direction, with a hand-written gradient; the heads' results
 * are assembled on the device), which is the faster one on wasm for long sequences. On wasm the per-head
 * forward and backward run for all heads at once on the backend's heap (heapattention.ts: the same bits,
 * 3 tfjs ops a layer forward instead of about 8 a head, and none backward instead of about 16 a head).
 */
import * as tf from "@tensorflow/tfjs";
import { hotPath } from "./hotpath.js";
import { _customOp } from "./ops.js";
import { readFloats, withFloats } from "./readback.js";
import { scratch } from "./scratch.js";
import { attendOnHeap, attentionGradOnHeap } from "./heapattention.js";

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
  /** Receives K and V, each [B, H, T, hd], e.g. to fill a KV cache during prefill (one readback each). */
  onKeysValues?: (k: Float32Array, v: Float32Array) => void;
  /** Receives K and V as tensors [B, H, T, hd] without a readback (batched path only; keep them with tf.keep). */
  onKeysValuesTensors?: (k: tf.Tensor4D, v: tf.Tensor4D) => void;
}

/**
 * Causal multi-head attention on fused projections qkv [B*T, 3D] -> [B*T, D] (heads concatenated).
 * "auto": on the device hot path always batched; on the host path (wasm, cpu) long sequences go head
 * by head (rank-2 XNNPACK matmuls, ≈25 tfjs ops per head) and short ones in one batched rank-4 pass,
 * whose matmuls run on wasm's slow path but cost less than per-head dispatch when T²·hd is small
 * (break-even near T = 48 for hd = 32 on this machine).
 */
export function causalSelfAttention(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const hd = qkv.shape[1] / 3 / shape.heads;
  const auto = shape.path === undefined || shape.path === "auto";
  const small = shape.length * shape.length * hd < 65536;
  const batched = shape.path === "batched" || shape.onKeysValuesTensors !== undefined || (auto && (small || hotPath() === "device"));
  return batched ? _attentionBatched(qkv, shape) : _attentionPerHead(qkv, shape);
}

function _attentionBatched(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const { batch: B, length: T, heads: H, keyValid, onKeysValues, onKeysValuesTensors } = shape;
  const D = qkv.shape[1] / 3;
  const hd = D / H;
  const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B*T, D] -> [B, H, T, hd]
  const [q, k, v] = tf.split(qkv, 3, 1).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  if (onKeysValues) onKeysValues(readFloats(k), readFloats(v));
  if (onKeysValuesTensors) onKeysValuesTensors(k, v);
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
 * [B, H, T, hd], or [B, H, hd, T] when `transpose`. One pass in the order of the output (two loops
 * specialised for the two layouts: a branch or a multiply the JIT cannot hoist costs ≈2× here).
 */
function _heads(
  src: Float32Array,
  stride: number,
  col: number,
  B: number,
  T: number,
  H: number,
  hd: number,
  transpose: boolean,
  scale = 1,
  out: Float32Array = new Float32Array(B * H * T * hd),
): Float32Array {
  const copy = { src, stride, col, B, T, H, hd, scale };
  return transpose ? _headsCols(copy, out) : _headsRows(copy, out);
}

/** What _heads copies: columns [col, col + H·hd) of `src` ([B*T, stride]), times `scale`. */
interface HeadCopy {
  src: Float32Array;
  stride: number;
  col: number;
  B: number;
  T: number;
  H: number;
  hd: number;
  scale: number;
}

/** [B, H, T, hd]: each head's T rows of hd values, copied (scale 1) or scaled. */
function _headsRows({ src, stride, col, B, T, H, hd, scale }: HeadCopy, out: Float32Array): Float32Array {
  let o = 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let from = b * T * stride + col + h * hd, t = 0; t < T; t++, from += stride) {
        if (scale === 1) (out.set(src.subarray(from, from + hd), o), (o += hd));
        else for (let i = from, end = from + hd; i < end; i++) out[o++] = src[i]! * scale;
      }
    }
  }
  return out;
}

/** [B, H, hd, T]: each head transposed. */
function _headsCols({ src, stride, col, B, T, H, hd, scale }: HeadCopy, out: Float32Array): Float32Array {
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const head = (b * H + h) * T * hd;
      for (let from = b * T * stride + col + h * hd, t = 0; t < T; t++, from += stride) {
        for (let d = 0, o = head + t; d < hd; d++, o += T) out[o] = src[from + d]! * scale;
      }
    }
  }
  return out;
}

/** Heads back into rows on the device: [B*H, T, hd] (or [B*H, hd, T] when `transposed`) -> [B*T, H*hd]. */
function _mergeHeads(x: tf.Tensor3D, B: number, T: number, H: number, hd: number, transposed = false): tf.Tensor2D {
  const perm = transposed ? [0, 3, 1, 2] : [0, 2, 1, 3]; // -> [B, T, H, hd]
  return tf.reshape(tf.transpose(tf.reshape(x, transposed ? [B, H, hd, T] : [B, H, T, hd]), perm), [B * T, H * hd]);
}

/** Stacks per-head results [rows, cols] into [B*H, rows, cols], merges them into rows and disposes the parts. */
function _assemble(parts: tf.Tensor2D[], B: number, T: number, H: number, hd: number, transposed = false): tf.Tensor2D {
  try {
    return tf.tidy(() => _mergeHeads(tf.stack(parts) as tf.Tensor3D, B, T, H, hd, transposed));
  } finally {
    tf.dispose(parts);
  }
}

function _attentionPerHead(qkv: tf.Tensor2D, shape: AttentionShape): tf.Tensor2D {
  const { batch: B, length: T, heads: H, keyValid, onKeysValues } = shape;
  const D = qkv.shape[1] / 3;
  const hd = D / H;
  const scale = 1 / Math.sqrt(hd);
  const size = T * hd; // one head's slice
  const n = B * T * D;
  /** d(qkv) [B*T, 3D] from dy [B*T, D], the saved qkv and each head's attention probabilities [T, T]. */
  const backward = (dy: tf.Tensor, qkvSaved: tf.Tensor, probOf: (head: number) => tf.Tensor2D): tf.Tensor => {
    // the backward's two readbacks (views on wasm): dy [B*T, D] and the saved qkv [B*T, 3D]
    const [dYs, dYTs] = withFloats(dy, (g) => [
      _heads(g, D, 0, B, T, H, hd, false, 1, scratch("heads0", n)), // [B, H, T, hd]
      _heads(g, D, 0, B, T, H, hd, true, 1, scratch("heads1", n)), // [B, H, hd, T]
    ]);
    const [qTs, ks, vTs] = withFloats(qkvSaved, (data) => [
      _heads(data, 3 * D, 0, B, T, H, hd, true, scale, scratch("heads2", n)), // [B, H, hd, T]
      _heads(data, 3 * D, D, B, T, H, hd, false, scale, scratch("heads3", n)), // [B, H, T, hd], pre-scaled: dq = dS @ k / sqrt(hd)
      _heads(data, 3 * D, 2 * D, B, T, H, hd, true, 1, scratch("heads4", n)), // [B, H, hd, T]
    ]);
    const dqs: tf.Tensor2D[] = [];
    const dkTs: tf.Tensor2D[] = [];
    const dvTs: tf.Tensor2D[] = [];
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const off = (b * H + h) * size;
        const slice = (a: Float32Array, rows: number, cols: number) => tf.tensor2d(a.subarray(off, off + size), [rows, cols]);
        const [dq, dkT, dvT] = tf.tidy(() => {
          const p = probOf(b * H + h);
          const dP = tf.matMul(slice(dYs, T, hd), slice(vTs, hd, T)); // [T, T]
          const dvT = tf.matMul(slice(dYTs, hd, T), p); // [hd, T]
          const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true))); // softmax backward
          return [tf.matMul(dS, slice(ks, T, hd)), tf.matMul(slice(qTs, hd, T), dS), dvT] as tf.Tensor2D[]; // dq [T, hd], dkT [hd, T]
        });
        dqs.push(dq!);
        dkTs.push(dkT!);
        dvTs.push(dvT!);
      }
    }
    const parts = [_assemble(dqs, B, T, H, hd), _assemble(dkTs, B, T, H, hd, true), _assemble(dvTs, B, T, H, hd, true)];
    try {
      return tf.concat(parts, 1); // [B*T, 3D]
    } finally {
      tf.dispose(parts);
    }
  };
  return _customOp<tf.Tensor2D>(([x], save) => {
    const shared = keyValid ? undefined : _attentionMask(T);
    const onHeap = attendOnHeap(x as tf.Tensor2D, { ...shape, mask: (b) => shared ?? _attentionMask(T, keyValid, b * T) });
    if (onHeap) {
      if (onKeysValues)
        withFloats(x!, (data) => onKeysValues(_heads(data, 3 * D, D, B, T, H, hd, false), _heads(data, 3 * D, 2 * D, B, T, H, hd, false)));
      save([x!, onHeap.probs]);
      return {
        value: onHeap.y,
        gradFunc: (dy, [qkvSaved, probs]) => {
          // the heap forward ran, so the heap backward runs (same backend and head size)
          const grad = attentionGradOnHeap(dy, qkvSaved!, probs!, shape);
          if (!grad) throw new Error("attention: the heap forward ran but its backward found no heap");
          return grad;
        },
      };
    }
    // [B*T, 3D] -> [B, H, T, hd] and [B, H, hd, T] in JS from the forward's one readback (a view on wasm)
    const [qs, kTs, vs] = withFloats(x!, (data) => {
      const qkvHeads: [Float32Array, Float32Array, Float32Array] = [
        _heads(data, 3 * D, 0, B, T, H, hd, false, scale, scratch("heads0", n)), // q pre-scaled by 1/sqrt(hd)
        _heads(data, 3 * D, D, B, T, H, hd, true, 1, scratch("heads1", n)), // k transposed
        _heads(data, 3 * D, 2 * D, B, T, H, hd, false, 1, onKeysValues ? undefined : scratch("heads2", n)),
      ];
      if (onKeysValues) onKeysValues(_heads(data, 3 * D, D, B, T, H, hd, false), qkvHeads[2]!); // the caller keeps these
      return qkvHeads;
    });
    const probs: tf.Tensor2D[] = [];
    const ys: tf.Tensor2D[] = [];
    const sharedMask = keyValid ? undefined : tf.tensor2d(_attentionMask(T), [T, T]);
    for (let b = 0; b < B; b++) {
      const mask = sharedMask ?? tf.tensor2d(_attentionMask(T, keyValid, b * T), [T, T]);
      for (let h = 0; h < H; h++) {
        const off = (b * H + h) * size;
        const [p, y] = tf.tidy(() => {
          const s = tf.matMul(tf.tensor2d(qs.subarray(off, off + size), [T, hd]), tf.tensor2d(kTs.subarray(off, off + size), [hd, T]));
          const p = tf.softmax(tf.add(s, mask)) as tf.Tensor2D; // [T, T]
          return [p, tf.matMul(p, tf.tensor2d(vs.subarray(off, off + size), [T, hd]))]; // [T, hd]
        });
        probs.push(p!);
        ys.push(y!);
      }
      if (!sharedMask) mask.dispose();
    }
    sharedMask?.dispose();
    save([x!, ...probs]);
    return {
      value: _assemble(ys, B, T, H, hd), // [B*T, D]
      gradFunc: (dy, [qkvSaved, ...saved]) => backward(dy, qkvSaved!, (head) => saved[head]! as tf.Tensor2D),
    };
  }, qkv);
}
