/**
 * x @ W + b for a fixed number of rows, calling the engine's matmul kernel (gemm.ts, on W packed once)
 * or, below 4 rows, tfjs-backend-wasm's own _FusedMatMul kernel (XNNPACK) directly: for KV decoding
 * (kvcache.ts), where each matmul has 16–32 rows and tfjs's op machinery (tensor creation, the engine's
 * bookkeeping, the reshapes around a rank-2 fused matmul, the readback) costs 40–90 µs a call, as much as
 * the kernel itself at size S. The input and output are two tensors kept for the life of the linear; a
 * call writes x into the input's place in the wasm heap, runs the kernel and copies the output out. Either kernel gives the same bits as tf.fused.matMul
 * (test/engine/hostlinear.test.ts).
 *
 * On other backends hostLinear returns null and the caller runs tfjs ops.
 */
import * as tf from "@tensorflow/tfjs";
import { packOnHeap } from "./gemm.js";
import { withFloats } from "./readback.js";
import { wasmHeap, type WasmHeap } from "./wasmheap.js";

export interface HostLinear {
  /** x [rows, K] -> x @ W + b [rows, N]: a new array. */
  run(x: Float32Array): Float32Array;
  dispose(): void;
}

/** _FusedMatMul(a_id, a_shape*, a_rank, b_id, b_shape*, b_rank, transpose_a, transpose_b, activation, bias_id, prelu_id, alpha, out_id). */
let _fusedMatMul: { of: object; run: (...args: number[]) => void } | undefined;

/** A product input @ w + bias into output, on tensors the linear keeps. */
interface Product {
  run(): void;
  dispose(): void;
}

/** A linear for `rows` rows of x on weights w [K, N] and bias b [N] (optional), or null off the wasm backend. */
export function hostLinear(w: tf.Tensor2D, bias: tf.Tensor | undefined, rows: number): HostLinear | null {
  const heap = wasmHeap();
  if (!heap) return null;
  const [K, N] = w.shape;
  const input = tf.zeros([rows, K]);
  const output = tf.zeros([rows, N]);
  const inputAt = heap.offset(input);
  // the engine's kernel from 4 rows: at 1 row XNNPACK's measured faster (both wait on one chain of adds per output)
  const product = (rows >= 4 ? _packed(heap, w, bias, input, output) : null) ?? _xnnpack(heap, w, bias, input, output);
  return {
    run(x) {
      if (x.length !== rows * K) throw new Error(`hostLinear got ${x.length} values for ${rows}×${K}`);
      const bytes = heap.bytes(); // each call: the buffer changes when wasm memory grows
      new Float32Array(bytes.buffer, bytes.byteOffset + inputAt, rows * K).set(x);
      product.run();
      return withFloats(output, (values) => values.slice());
    },
    dispose() {
      product.dispose();
      tf.dispose([input, output]);
    },
  };
}

/** gemm.ts's kernel on w packed once, or null where it does not serve (a width not a multiple of 4). */
function _packed(heap: WasmHeap, w: tf.Tensor2D, bias: tf.Tensor | undefined, input: tf.Tensor, output: tf.Tensor): Product | null {
  const packed = packOnHeap(w);
  if (!packed) return null;
  const [a, b, out] = [heap.offset(input), bias ? heap.offset(bias) : 0, heap.offset(output)];
  const rows = input.shape[0]!;
  return { run: () => packed.run(a, rows, b, out), dispose: () => packed.dispose() };
}

/** The backend's _FusedMatMul (XNNPACK, which caches w's packing) on the tensors' ids. */
function _xnnpack(heap: WasmHeap, w: tf.Tensor2D, bias: tf.Tensor | undefined, input: tf.Tensor, output: tf.Tensor): Product {
  if (_fusedMatMul?.of !== heap) _fusedMatMul = { of: heap, run: heap.kernel("_FusedMatMul", 13) };
  const kernel = _fusedMatMul.run;
  const shapes = heap.malloc(24); // a [1, rows, K], b [1, K, N]: the rank-3 shapes tf.fused.matMul passes
  const [K, N] = w.shape;
  new Int32Array(heap.bytes().buffer, heap.bytes().byteOffset + shapes, 6).set([1, input.shape[0]!, K, 1, K, N]);
  const ids = { a: heap.id(input), w: heap.id(w), bias: bias ? heap.id(bias) : 0, out: heap.id(output) };
  return {
    run: () => kernel(ids.a, shapes, 3, ids.w, shapes + 12, 3, 0, 0, 0, ids.bias, 0, 0, ids.out), // no transposes, linear activation
    dispose: () => heap.free(shapes),
  };
}
