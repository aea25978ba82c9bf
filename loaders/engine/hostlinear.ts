/**
 * x @ W + b for a fixed number of rows, calling tfjs-backend-wasm's own _FusedMatMul kernel (XNNPACK)
 * directly: for KV decoding (kvcache.ts), where each matmul has 16–32 rows and tfjs's op machinery
 * (tensor creation, the engine's bookkeeping, the reshapes around a rank-2 fused matmul, the readback)
 * costs 40–90 µs a call, as much as the kernel itself at size S. The input and output are two tensors
 * kept for the life of the linear; a call writes x into the input's place in the wasm heap, runs the
 * kernel and copies the output out. The same kernel on the same values: the same bits as
 * tf.fused.matMul (test/engine/hostlinear.test.ts).
 *
 * This reads tfjs-backend-wasm 4.22's internals (backend_wasm.js: `wasm.cwrap`, `dataIdMap`; the kernel's C
 * signature in kernels/_FusedMatMul.js). Where they are missing (another backend or version) hostLinear
 * returns null and the caller runs tfjs ops.
 */
import * as tf from "@tensorflow/tfjs";
import { withFloats } from "./readback.js";

/** What this file reads of the wasm backend. */
interface WasmBackend {
  wasm?: {
    HEAPU8: Uint8Array;
    cwrap?: (name: string, returns: null, args: string[]) => (...args: number[]) => void;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  dataIdMap?: { get(dataId: object): { id: number; memoryOffset: number | null } | undefined };
}

export interface HostLinear {
  /** x [rows, K] -> x @ W + b [rows, N]: a new array. */
  run(x: Float32Array): Float32Array;
  dispose(): void;
}

/** _FusedMatMul(a_id, a_shape*, a_rank, b_id, b_shape*, b_rank, transpose_a, transpose_b, activation, bias_id, prelu_id, alpha, out_id). */
type FusedMatMul = (...args: number[]) => void;
const _kernels = new WeakMap<object, FusedMatMul>(); // per backend instance

/** A linear for `rows` rows of x on weights w [K, N] and bias b [N] (optional), or null off the wasm backend. */
export function hostLinear(w: tf.Tensor2D, bias: tf.Tensor | undefined, rows: number): HostLinear | null {
  const backend = tf.engine().backend as unknown as WasmBackend;
  const { wasm, dataIdMap } = backend;
  if (tf.getBackend() !== "wasm" || !wasm?.cwrap || !dataIdMap) return null;
  let kernel = _kernels.get(backend);
  if (!kernel) _kernels.set(backend, (kernel = wasm.cwrap("_FusedMatMul", null, new Array<string>(13).fill("number"))));
  const [K, N] = w.shape;
  const input = tf.zeros([rows, K]);
  const output = tf.zeros([rows, N]);
  const entry = (t: tf.Tensor) => dataIdMap.get(t.dataId);
  const [a, o, wi, bi] = [entry(input), entry(output), entry(w), bias && entry(bias)];
  if (!a || !o || !wi || (bias && !bi) || typeof a.memoryOffset !== "number") {
    tf.dispose([input, output]);
    return null;
  }
  const shapes = wasm._malloc(24); // a [1, rows, K], b [1, K, N]: the rank-3 shapes tf.fused.matMul passes
  new Int32Array(wasm.HEAPU8.buffer, wasm.HEAPU8.byteOffset + shapes, 6).set([1, rows, K, 1, K, N]);
  const inputAt = a.memoryOffset;
  const ids = { a: a.id, w: wi.id, bias: bi?.id ?? 0, out: o.id };
  return {
    run(x) {
      if (x.length !== rows * K) throw new Error(`hostLinear got ${x.length} values for ${rows}×${K}`);
      const heap = wasm.HEAPU8; // read each call: the heap's buffer changes when wasm memory grows
      new Float32Array(heap.buffer, heap.byteOffset + inputAt, rows * K).set(x);
      kernel(ids.a, shapes, 3, ids.w, shapes + 12, 3, 0, 0, 0, ids.bias, 0, 0, ids.out); // no transposes, linear activation
      return withFloats(output, (values) => values.slice());
    },
    dispose() {
      tf.dispose([input, output]);
      wasm._free(shapes);
    },
  };
}
