/**
 * Reusable float buffers for values a tensor is about to be made from (the host hot path, hotpath.ts). On
 * the machines we measured, the first touch of freshly allocated memory costs ≈3 ms per MB in page faults,
 * more than regrouping or transposing that MB in JS, so the host path writes into the same buffers every
 * step. Only where the backend copies a tensor's values when the tensor is made (wasm); the cpu backend
 * keeps the array it was given, so there each call gets a fresh one.
 */
import * as tf from "@tensorflow/tfjs";

const _buffers = new Map<string, Float32Array>();

/** Buffer `slot` with `size` values, valid until the next call with that slot (contents undefined). */
export function scratch(slot: string, size: number): Float32Array {
  if (!tensorsCopyValues()) return new Float32Array(size);
  let buffer = _buffers.get(slot);
  if (buffer?.length !== size) _buffers.set(slot, (buffer = new Float32Array(size)));
  return buffer;
}

/** Whether the backend copies the values a tensor is made from (wasm), so the caller may reuse the array. */
export function tensorsCopyValues(): boolean {
  return tf.getBackend() === "wasm";
}
