/**
 * Every host readback of the engine goes through here (tensor → JS array), so the bench can count them:
 * on a GPU each one is a device sync (≈0.5 ms on the H200 probe); on wasm it is a heap copy. The hot
 * path's budget: at most 2 per training step and 1 per decoded token batch on the device path
 * (hotpath.ts). Reading a tensor's data any other way in loaders/engine is a bug the counter cannot see.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmHeap } from "./wasmheap.js";

let _count = 0; // a process-wide counter, like tf.memory(): each worker thread has its own

/** The tensor's values, read synchronously (one counted readback). */
export function readSync(t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  _count++;
  return t.dataSync() as Float32Array | Int32Array | Uint8Array;
}

/** The float tensor's values, read synchronously (one counted readback). */
export function readFloats(t: tf.Tensor): Float32Array {
  const values = readSync(t);
  if (!(values instanceof Float32Array)) throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  return values;
}

/**
 * Calls `fn` with the float tensor's values (one counted readback) without copying them where the backend
 * allows: on wasm a view of its heap, since a fresh copy of a 1 MB tensor costs ≈3 ms in first-touch
 * page faults on the machines we measured, more than most kernels. The view is valid only inside `fn`:
 * run no tfjs op there and keep nothing that points into it. Elsewhere a plain readback.
 */
export function withFloats<T>(t: tf.Tensor, fn: (values: Float32Array) => T): T {
  if (t.dtype !== "float32") throw new Error(`expected a float32 tensor, got ${t.dtype}`);
  const heap = wasmHeap();
  if (!heap) return fn(readFloats(t));
  _count++;
  const bytes = heap.bytes();
  return fn(new Float32Array(bytes.buffer, bytes.byteOffset + heap.offset(t), t.size));
}

/** The tensor's values, read without blocking the thread (one counted readback). */
export async function readAsync(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  _count++;
  return (await t.data()) as Float32Array | Int32Array | Uint8Array;
}

/** Readbacks counted so far in this thread. Take differences around the code you measure. */
export function readbackCount(): number {
  return _count;
}
