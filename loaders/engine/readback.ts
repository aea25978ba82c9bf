/**
 * Every host readback of the engine goes through here (tensor → JS array), so the bench can count them:
 * on a GPU each one is a device sync (≈0.5 ms on the H200 probe); on wasm it is a heap copy. The hot
 * path's budget: at most 2 per training step and 1 per decoded token batch on the device path
 * (hotpath.ts). Reading a tensor's data any other way in loaders/engine is a bug the counter cannot see.
 */
import type * as tf from "@tensorflow/tfjs";

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

/** The tensor's values, read without blocking the thread (one counted readback). */
export async function readAsync(t: tf.Tensor): Promise<Float32Array | Int32Array | Uint8Array> {
  _count++;
  return (await t.data()) as Float32Array | Int32Array | Uint8Array;
}

/** Readbacks counted so far in this thread. Take differences around the code you measure. */
export function readbackCount(): number {
  return _count;
}
