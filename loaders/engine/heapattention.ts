/**
 * Per-head causal attention (attention.ts's host path) on the wasm heap, for every head of a layer at once.
 * Forward: the scores q·kᵀ and p @ v with the SIMD kernels of kvkernels.ts, one tf.softmax over every
 * head's rows, and the heads' outputs written straight into their columns of y: three tfjs ops a layer
 * instead of about eight a head. Backward (attentionGradOnHeap): every matmul and softmax's backward in the
 * same kernels, d(qkv) written into its columns, and no tfjs op but the output's allocation.
 *
 * The same bits as the per-head rank-2 matmuls and softmaxes it replaces: XNNPACK sums each output of a
 * matmul over k in order, one rounded product at a time (test/engine/ops.test.ts pins this), and so do the
 * kernels; the mask is added in float32 as tf.add adds it; softmax treats each row alone. p @ v stops at the
 * causal diagonal, where the rest of a row is exactly 0 (softmax flushes scores near the mask's −1e9 to 0,
 * and adding 0·v changes no finite sum), except in rows whose every key is masked (left padding), which
 * run to the end as the matmul did.
 */
import * as tf from "@tensorflow/tfjs";
import { withFloats } from "./readback.js";
import { wasmHeap } from "./wasmheap.js";

export interface HeapAttention {
  y: tf.Tensor2D; // [B*T, D], heads concatenated
  probs: tf.Tensor2D; // [B*H*T, T]: head (b, h)'s attention rows at (b·H + h)·T
}

export interface HeapAttentionShape {
  batch: number; // B
  length: number; // T
  heads: number; // H
  mask: (b: number) => Float32Array; // sequence b's additive mask [T, T] (0 or MASKED)
  keyValid?: Uint8Array; // [B*T]: 0 = padding key
}

/** Attention of qkv [B*T, 3D] on the wasm heap, or null where there is none (another backend, hd % 4 ≠ 0). */
export function attendOnHeap(qkv: tf.Tensor2D, shape: HeapAttentionShape): HeapAttention | null {
  const { batch: B, length: T, heads: H, mask, keyValid } = shape;
  const D = qkv.shape[1] / 3;
  const hd = D / H;
  const heap = wasmHeap();
  if (!heap || hd % 4 !== 0) return null;
  const Tp = 4 * Math.ceil(T / 4); // kᵀ's rows and the scores' rows padded to the kernels' 4-wide vectors
  const rows = B * H * T;
  const masks = keyValid ? B : 1; // one additive mask [T, T] per sequence, or one for all
  const scores = heap.empty([rows, T]) as tf.Tensor2D; // masked, softmax's input: every value written below
  const [nq, nk, ns] = [rows * hd, B * H * hd * Tp, rows * Tp];
  const base = heap.malloc(4 * (nq + nk + ns + masks * T * T)); // q [B,H,T,hd] (scaled), kᵀ [B,H,hd,Tp], raw scores [B*H*T, Tp], masks
  const [qAt, kAt, sAt, mAt] = [base, base + 4 * nq, base + 4 * (nq + nk), base + 4 * (nq + nk + ns)];
  try {
    withFloats(qkv, (data) => {
      const bytes = heap.bytes(); // after every allocation above
      const at = (offset: number, n: number) => new Float32Array(bytes.buffer, bytes.byteOffset + offset, n);
      _regroup(data, { B, T, H, hd, Tp }, at(qAt, nq), at(kAt, nk));
      for (let b = 0; b < masks; b++) at(mAt + 4 * b * T * T, T * T).set(mask(b));
    });
    const { axpys, adds } = heap.kernels(Tp);
    const scoresAt = heap.offset(scores);
    for (let r = 0; r < rows; r++) axpys(qAt + 4 * r * hd, kAt + 4 * Math.floor(r / T) * hd * Tp, sAt + 4 * r * Tp, hd, Tp); // q_r @ kᵀ
    for (let head = 0; head < B * H; head++) {
      const m = mAt + 4 * (keyValid ? Math.floor(head / H) : 0) * T * T;
      if (Tp === T)
        adds(sAt + 4 * head * T * T, m, scoresAt + 4 * head * T * T, T * T); // + mask, float32 as tf.add
      else for (let i = 0; i < T; i++) adds(sAt + 4 * (head * T + i) * Tp, m + 4 * i * T, scoresAt + 4 * (head * T + i) * T, T);
    }
    const probs = tf.tidy(() => tf.softmax(scores) as tf.Tensor2D);
    const y = heap.empty([B * T, D]) as tf.Tensor2D; // every value written below
    const [pAt, yAt, vAt] = [heap.offset(probs), heap.offset(y), heap.offset(qkv) + 4 * 2 * D];
    const { axpys: axpysHd } = heap.kernels(hd);
    for (let b = 0; b < B; b++) {
      let first = 0; // rows before sequence b's first real token have every key masked
      while (keyValid && first < T && keyValid[b * T + first] === 0) first++;
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < T; i++) {
          const r = (b * H + h) * T + i;
          const v = vAt + 4 * (b * T * 3 * D + h * hd); // head h's values, rows 3D apart in qkv
          axpysHd(pAt + 4 * r * T, v, yAt + 4 * ((b * T + i) * D + h * hd), i < first ? T : i + 1, 3 * D); // y row = p_r @ v
        }
      }
    }
    return { y, probs };
  } finally {
    scores.dispose();
    heap.free(base);
  }
}

/** q (times 1/√hd, in float32 as the per-head path scaled it) and kᵀ with zero padding to Tp, from rows [B*T, 3D]. */
function _regroup(
  data: Float32Array,
  { B, T, H, hd, Tp }: { B: number; T: number; H: number; hd: number; Tp: number },
  q: Float32Array,
  kT: Float32Array,
): void {
  const D = H * hd;
  const scale = 1 / Math.sqrt(hd);
  if (Tp !== T) kT.fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const head = b * H + h;
      for (let t = 0; t < T; t++) {
        const from = (b * T + t) * 3 * D + h * hd;
        const to = (head * T + t) * hd;
        for (let d = 0; d < hd; d++) q[to + d] = data[from + d]! * scale;
        for (let d = 0, k = head * hd * Tp + t; d < hd; d++, k += Tp) kT[k] = data[from + D + d]!;
      }
    }
  }
}

export interface HeapAttentionGradShape {
  batch: number; // B
  length: number; // T
  heads: number; // H
  keyValid?: Uint8Array; // [B*T]: 0 = padding key
}

/**
 * The per-head backward on the wasm heap: d(qkv) [B*T, 3D] from dy [B*T, D], the saved qkv and the forward's
 * probabilities [B*H*T, T], or null where there is no heap. Per head, with q and k scaled by 1/√hd as the
 * forward scaled q:
 *   dP = dy_h @ vᵀ, r = Σ_j dP ⊙ p (in order), dS = p ⊙ (dP − r), dq = dS @ k, dkᵀ = qᵀ @ dS, dvᵀ = dy_hᵀ @ p
 * — the per-head path's rank-2 matmuls and softmax backward, to the bit: every output is summed over its
 * inner index in the matmul's order, one rounded product at a time (dk and dv are computed as rows,
 * Σ_i dS[i, j]·q[i] and Σ_i p[i, j]·dy[i], the same products added in the same order as the columns of
 * qᵀ @ dS and dy_hᵀ @ p). Where p is exactly 0 (keys past the causal diagonal, outside rows whose every key
 * is padding) dS is ±0 too, and the sums skip those terms: adding ±0 changes no sum that starts at +0.
 */
export function attentionGradOnHeap(dy: tf.Tensor, qkv: tf.Tensor, probs: tf.Tensor, shape: HeapAttentionGradShape): tf.Tensor2D | null {
  const { batch: B, length: T, heads: H, keyValid } = shape;
  const D = qkv.shape[1]! / 3;
  const hd = D / H;
  const heap = wasmHeap();
  if (!heap || hd % 4 !== 0) return null;
  const Tp = 4 * Math.ceil(T / 4);
  const n = B * H * T * hd;
  const out = heap.empty([B * T, 3 * D]) as tf.Tensor2D; // every value written below
  // vᵀ [B,H,hd,Tp] (zero-padded), q and k scaled [B,H,T,hd], one row of dP [Tp], one head's dS [T, Tp]
  const base = heap.malloc(4 * (B * H * hd * Tp + 2 * n + Tp + T * Tp));
  const vTAt = base;
  const qAt = vTAt + 4 * B * H * hd * Tp;
  const kAt = qAt + 4 * n;
  const dPAt = kAt + 4 * n;
  const dSAt = dPAt + 4 * Tp;
  try {
    const f32 = new Float32Array(heap.memory.buffer); // after every allocation above
    const [dyAt, pAt, outAt] = [heap.offset(dy), heap.offset(probs), heap.offset(out)]; // read in place by the kernels
    withFloats(qkv, (data) => _regroupGrad(data, f32, { B, T, H, hd, Tp }, qAt >> 2, kAt >> 2, vTAt >> 2)); // the host's one read of it
    const { axpys, axpyw, axpysc, softgrad } = heap.kernels(hd);
    const dS = dSAt >> 2;
    for (let b = 0; b < B; b++) {
      let first = 0; // rows before sequence b's first real token have every key masked
      while (keyValid && first < T && keyValid[b * T + first] === 0) first++;
      for (let h = 0; h < H; h++) {
        const head = b * H + h;
        if (first > 0) f32.fill(0, dS, dS + T * Tp); // columns of dS are read whole below
        for (let i = 0; i < T; i++) {
          const e = i < first ? T : i + 1; // the row's keys with p that may be nonzero
          axpyw(dyAt + 4 * ((b * T + i) * D + h * hd), vTAt + 4 * head * hd * Tp, dPAt, hd, Tp, 4 * Math.ceil(e / 4)); // dP row
          const ds = dSAt + 4 * i * Tp;
          softgrad(dPAt, pAt + 4 * (head * T + i) * T, ds, e, 0); // dS row
          axpys(ds, kAt + 4 * head * T * hd, outAt + 4 * ((b * T + i) * 3 * D + h * hd), e, hd); // dq row
        }
        for (let j = 0; j < T; j++) {
          const s = first > 0 ? 0 : j; // rows before the diagonal contribute 0
          const row = outAt + 4 * ((b * T + j) * 3 * D + h * hd);
          axpysc(dSAt + 4 * (s * Tp + j), qAt + 4 * (head * T + s) * hd, row + 4 * D, T - s, hd, Tp); // dk row: column j of dS
          axpysc(pAt + 4 * ((head * T + s) * T + j), dyAt + 4 * ((b * T + s) * D + h * hd), row + 8 * D, T - s, D, T); // dv row: column j of p
        }
      }
    }
    return out;
  } catch (error) {
    out.dispose();
    throw error;
  } finally {
    heap.free(base);
  }
}

/** q and k (times 1/√hd, as the per-head backward scaled them) in [B,H,T,hd] and vᵀ in [B,H,hd,Tp] at those float offsets of the heap `f32`, from rows [B*T, 3D]. */
function _regroupGrad(
  data: Float32Array,
  f32: Float32Array,
  { B, T, H, hd, Tp }: { B: number; T: number; H: number; hd: number; Tp: number },
  q: number,
  k: number,
  vT: number,
): void {
  const D = H * hd;
  const scale = 1 / Math.sqrt(hd);
  if (Tp !== T) f32.fill(0, vT, vT + B * H * hd * Tp);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const head = b * H + h;
      for (let t = 0; t < T; t++) {
        const src = (b * T + t) * 3 * D + h * hd;
        const to = (head * T + t) * hd;
        for (let d = 0; d < hd; d++) {
          f32[q + to + d] = data[src + d]! * scale;
          f32[k + to + d] = data[src + D + d]! * scale;
        }
        for (let d = 0, at = vT + head * hd * Tp + t; d < hd; d++, at += Tp) f32[at] = data[src + 2 * D + d]!;
      }
    }
  }
}
