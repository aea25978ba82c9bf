/**
 * Differentiable ops with wasm-friendly gradients, and the causal self-attention kernel, for loaders/engine/model.ts.
 *
 * Speed (all measured on tfjs-wasm 4.22, Node 20, one thread): every op below has a hand-written gradient so
 * that (1) matmuls are rank 2 without transpose flags, the only shape XNNPACK serves (the flagged path runs
 * at 1-2 GFLOP/s); (2) the embedding gradient is a scatterND, since wasm lacks UnsortedSegmentSum;
 * (3) attention runs per head as rank-2 matmuls on slices cut in JS from one dataSync; (4) GELU uses
 * x·sigmoid(2u), equal to 0.5x(1+tanh u), because wasm's Sigmoid is vectorised (≈2.5 ms on [4096, 512])
 * and its Tanh is not (≈45 ms); (5) row gathers copy in JS (wasm's GatherV2 is ≈8 ns a value).
 */
import * as tf from "@tensorflow/tfjs";

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
export function _values(fn: () => tf.Tensor[]): Float32Array[] {
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

/** Cross-entropy of each row of logits [M, V] against `targets` [M]: a vector [M] (for weighted or truncated losses). */
export function crossEntropyRows(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  return _customOp<tf.Tensor1D>(([l], save) => {
    const v = l!.shape[1]!;
    const z = tf.sub(l!, tf.max(l!, -1, true));
    const e = tf.exp(z);
    const s = tf.sum(e, -1, true);
    const onehot = tf.oneHot(targets, v);
    save([tf.div(e, s), onehot]);
    return {
      value: tf.reshape(tf.sub(tf.log(s), tf.sum(tf.mul(z, onehot), -1, true)), [-1]),
      gradFunc: (dy, [p, oh]) => tf.mul(tf.sub(p!, oh!), tf.reshape(dy, [-1, 1])),
    };
  }, logits);
}

/** Mean cross-entropy of logits [M, V] against `targets` [M]. */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.mean(crossEntropyRows(logits, targets));
}

// ---------------------------------------------------------------------------------------------------
// Attention: per-head rank-2 matmuls on slices cut in JS from one dataSync (on wasm, faster
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
