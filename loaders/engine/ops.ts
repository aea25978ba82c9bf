/**
 * Differentiable ops with wasm-friendly gradients for loaders/engine/model.ts (attention: ./attention.ts).
 *
 * Speed (all measured on tfjs-wasm 4.22, Node 20, one thread): every op below has a hand-written gradient so
 * that (1) matmuls are rank 2 without transpose flags: on wasm linear's products run in the engine's own
 * SIMD kernel (./gemm.ts, the same bits as XNNPACK's), elsewhere tf.matMul in the only shape XNNPACK
 * serves well (the flagged path runs at 1-2 GFLOP/s); (2) the embedding gradient is a scatterND, since
 * wasm lacks UnsortedSegmentSum; (3) attention (./attention.ts) runs per head on wasm, batched elsewhere
 * (./hotpath.ts); (4) GELU uses x·sigmoid(2u), equal to 0.5x(1+tanh u), because wasm's Sigmoid is
 * vectorised (≈2.5 ms on [4096, 512]) and its Tanh is not (≈45 ms); (5) row gathers run on the device
 * (tf.gather) on the device path and as JS copies on the host path, where wasm's GatherV2 is slow.
 */
import * as tf from "@tensorflow/tfjs";
import { matMulOnHeap } from "./gemm.js";
import { hotPath } from "./hotpath.js";
import { readFloats, withFloats } from "./readback.js";
import { wasmHeap } from "./wasmheap.js";

// ---------------------------------------------------------------------------------------------------
// Differentiable ops with wasm-friendly gradients. Each is one tf.customGrad kernel.

type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
type OpBody = (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: GradFunc };

export function _customOp<T extends tf.Tensor>(body: OpBody, ...inputs: tf.Tensor[]): T {
  const op = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    return body(args.slice(0, -1) as tf.Tensor[], save);
  }) as Parameters<typeof tf.customGrad>[0]);
  return op(...inputs) as T;
}

/**
 * Weight and bias gradients of y = x @ w + b: dw = x^T @ dy ([K, N] @ [N, M] -> [K, M]) and db = column
 * sums of dy, with no transpose flags. On the wasm heap (gemm.ts) the smaller of x and dy is transposed
 * (≈3 ns a value; packing the other costs a fraction of that): x^T @ dy, or (dy^T @ x)^T when dy is the
 * smaller; db is the engine's axpy kernel with coefficients 1 down the rows of dy. Elsewhere tf.matMul,
 * where XNNPACK packs a right operand anew for every tensor it has not seen (≈20 ns a value here), so the
 * larger one is transposed and the smaller packed, and db reuses dy's packing (ones[1, N] @ dy) or packs
 * N ones (dy^T @ ones[N, 1]). Every order adds the same products in the same order (over N), so the values
 * are the same on every path: 0 + 1·dy[0, j] + 1·dy[1, j] + … is XNNPACK's column sum too.
 */
function _weightGrads(x: tf.Tensor2D, dy: tf.Tensor2D, withBias: boolean): tf.Tensor[] {
  const [n, m] = dy.shape;
  const heap = n > 0 && m % 4 === 0 && x.shape[1] % 4 === 0 ? wasmHeap() : null;
  const dyT = (heap ? x.size > dy.size : x.size < dy.size) ? transpose2d(dy) : undefined; // which one is transposed
  const dw = dyT ? transpose2d(_matMul(dyT, x)) : _matMul(transpose2d(x), dy); // ([M, N] @ [N, K])^T or x^T @ dy
  if (!withBias) return [dw];
  if (heap) {
    const [ones, db] = [tf.ones([n]), heap.empty([m])];
    heap.kernels(4).axpyw(heap.offset(ones), heap.offset(dy), heap.offset(db), n, m, m);
    return [dw, db];
  }
  return [dw, tf.reshape(dyT ? tf.matMul(dyT, tf.ones([n, 1])) : tf.matMul(tf.ones([1, n]), dy), [m])]; // [M, 1] or [1, M] -> [M]
}

/** a @ b (+ bias) for rank-2 operands: the engine's kernel on the wasm heap (gemm.ts), else tfjs's. The same bits either way on wasm. */
function _matMul(a: tf.Tensor2D, b: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  return matMulOnHeap(a, b, bias) ?? ((bias ? tf.fused.matMul({ a, b, bias }) : tf.matMul(a, b)) as tf.Tensor2D);
}

/**
 * xᵀ for a matrix, in gradients (no gradient of its own). On wasm, with both sides multiples of 4, the
 * engine's SIMD kernel (4×4 blocks through registers, 2–4 ns a value against 8–9 for wasm's Transpose on
 * [2048, 256] and [2048, 1024] here); elsewhere tf.transpose. A copy either way: the same values.
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  const heap = rows % 4 === 0 && cols % 4 === 0 && x.dtype === "float32" ? wasmHeap() : null;
  if (!heap) return tf.transpose(x);
  const out = heap.empty([cols, rows]) as tf.Tensor2D;
  heap.kernels(4).transpose(heap.offset(x), heap.offset(out), rows, cols, 0);
  return out;
}

/** Rows of `table` at `idx` ([N, D] -> [M, D]); gradient by scatterND, which sums repeated rows (wasm has no
 * UnsortedSegmentSum for tf.gather's). On the device path a tf.gather (no readback); on the host path
 * (hotpath.ts) the rows are copied in JS from one view of the table, ≈20× faster than wasm's
 * GatherV2 (≈30 ns a value) and the same values. Indices are checked on the host, where they already are. */
export function gatherRows(table: tf.Tensor2D, idx: Int32Array): tf.Tensor2D {
  const [n, d] = table.shape;
  for (const row of idx) if (row < 0 || row >= n) throw new Error(`row index ${row} out of range [0, ${n})`);
  return _customOp<tf.Tensor2D>(
    ([t]) => ({
      value: hotPath() === "host" ? _copyRows(t!, d, idx) : tf.tidy(() => tf.gather(t!, tf.tensor1d(idx, "int32")) as tf.Tensor2D),
      gradFunc: (dy) => tf.scatterND(tf.tensor2d(idx, [idx.length, 1], "int32"), dy, [n, d]), // [M, 1] indices
    }),
    table,
  );
}

/** Rows `idx` of a tensor [N, d], copied in JS from a view of its values: a tensor [M, d]. */
function _copyRows(table: tf.Tensor, d: number, idx: Int32Array): tf.Tensor2D {
  const out = new Float32Array(idx.length * d);
  withFloats(table, (values) => idx.forEach((row, i) => out.set(values.subarray(row * d, row * d + d), i * d)));
  return tf.tensor2d(out, [idx.length, d]);
}

/** Runs `fn` in a tidy and returns its tensors' values; never return typed arrays from tf.tidy itself,
 * which walks every element looking for tensors. */
export function _values(fn: () => tf.Tensor[]): Float32Array[] {
  const tensors = tf.tidy(fn);
  try {
    return tensors.map(readFloats);
  } finally {
    tf.dispose(tensors);
  }
}

/** x @ w + b for x [N, K], w [K, M], b [M]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return _customOp<tf.Tensor2D>(
    ([xi, wi, bi], save) => {
      save([xi!, wi!]);
      return {
        value: _matMul(xi as tf.Tensor2D, wi as tf.Tensor2D, bi as tf.Tensor1D | undefined),
        gradFunc: (dy, [xs, ws]) => {
          const dx = _matMul(dy as tf.Tensor2D, transpose2d(ws as tf.Tensor2D));
          return [dx, ..._weightGrads(xs as tf.Tensor2D, dy as tf.Tensor2D, b !== undefined)];
        },
      };
    },
    ...(b ? [x, w, b] : [x, w]),
  );
}

/** LayerNorm over the last axis of x [N, D] with gain g [D] and bias b [D]. */
export function layerNorm(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor2D {
  return _customOp<tf.Tensor2D>(
    ([xi, gi, bi], save) => {
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
          const [dg, db] = hotPath() === "host" ? _columnSums(g2, xh!) : [tf.sum(tf.mul(g2, xh!), 0), tf.sum(g2, 0)];
          return [tf.mul(inner, rs!), dg, db];
        },
      };
    },
    x,
    g,
    b,
  );
}

/**
 * LayerNorm's parameter gradients on the host path: column sums of dy·xhat and of dy ([N, D] -> [D] each) in
 * one pass over heap views, the same float32 values as tf.sum(tf.mul(dy, xhat), 0) and tf.sum(dy, 0) on wasm
 * (each product rounded, then the rows summed in order, as its Sum kernel does), which transposes [N, D]
 * first and costs ≈2.4 ms a call at [2048, 128]; this takes ≈0.5 ms.
 */
function _columnSums(dy: tf.Tensor2D, xhat: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  const [n, d] = dy.shape;
  const dg = new Float32Array(d);
  const db = new Float32Array(d);
  withFloats(xhat, (x) =>
    withFloats(dy, (g) => {
      for (let i = 0, r = 0; i < n; i++, r += d) {
        for (let j = 0; j < d; j++) {
          dg[j] = dg[j]! + Math.fround(g[r + j]! * x[r + j]!);
          db[j] = db[j]! + g[r + j]!;
        }
      }
    }),
  );
  return [tf.tensor1d(dg), tf.tensor1d(db)];
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
