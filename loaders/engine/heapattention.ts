/**
 * The forward of per-head causal attention (attention.ts's host path) on the wasm heap, for every head of a
 * layer at once: the scores q·kᵀ and p @ v with the SIMD kernels of kvkernels.ts, one tf.softmax over every
 * head's rows, and the heads' outputs written straight into their columns of y. Three tfjs ops a layer
 * instead of about eight a head.
 *
 * The same bits as the per-head rank-2 matmuls and softmaxes it replaces: XNNPACK sums each output of a
 * matmul over k in order, one rounded product at a time (test/engine/ops.test.ts pins this), and so do the
 * kernels; the mask is added in float32 as tf.add adds it; softmax treats each row alone. p @ v stops at the
 * causal diagonal, where the rest of a row is exactly 0 (softmax flushes scores near the mask's −1e9 to 0,
 * and adding 0·v changes no finite sum), except in rows whose every key is masked (left padding), which
 * run to the end as the matmul did.
 */
import * as tf from "@tensorflow/tfjs";
import { _attentionKernels, type AttentionKernels } from "./kvkernels.js";
import { withFloats } from "./readback.js";
import { wasmHeap, type WasmHeap } from "./wasmheap.js";

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
  const scores = tf.zeros([rows, T]) as tf.Tensor2D; // masked, softmax's input
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
    const { axpys, adds } = _kernels(heap, Tp);
    const scoresAt = heap.offset(scores);
    for (let r = 0; r < rows; r++) axpys(qAt + 4 * r * hd, kAt + 4 * Math.floor(r / T) * hd * Tp, sAt + 4 * r * Tp, hd, Tp); // q_r @ kᵀ
    for (let head = 0; head < B * H; head++) {
      const m = mAt + 4 * (keyValid ? Math.floor(head / H) : 0) * T * T;
      if (Tp === T)
        adds(sAt + 4 * head * T * T, m, scoresAt + 4 * head * T * T, T * T); // + mask, float32 as tf.add
      else for (let i = 0; i < T; i++) adds(sAt + 4 * (head * T + i) * Tp, m + 4 * i * T, scoresAt + 4 * (head * T + i) * T, T);
    }
    const probs = tf.tidy(() => tf.softmax(scores) as tf.Tensor2D);
    const y = tf.zeros([B * T, D]) as tf.Tensor2D;
    const [pAt, yAt, vAt] = [heap.offset(probs), heap.offset(y), heap.offset(qkv) + 4 * 2 * D];
    const { axpys: axpysHd } = _kernels(heap, hd);
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

const _instances = new Map<number, { heap: WasmHeap; kernels: AttentionKernels }>(); // per width, on the current heap

function _kernels(heap: WasmHeap, width: number): AttentionKernels {
  let entry = _instances.get(width);
  if (entry?.heap !== heap) _instances.set(width, (entry = { heap, kernels: _attentionKernels(heap.memory, width) }));
  return entry.kernels;
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
