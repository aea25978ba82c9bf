/**
 * Causal self-attention for loaders/engine/model.ts, on two paths chosen per backend: batched (one
 * rank-4 matmul per step over all heads) and per head (rank-2 matmuls on slices cut in JS from one
 * dataSync, with a hand-written gradient), which is the faster one on wasm.
 */
import * as tf from "@tensorflow/tfjs";
import { _customOp, _values } from "./ops.js";

// Per-head rank-2 matmuls on slices cut in JS from one dataSync (on wasm, faster
// than batched rank-4 matmuls, which XNNPACK does not serve).

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
): Float32Array {
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
