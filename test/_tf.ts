/** Shared test helpers for the tfjs engine: backend set-up and a tensor-leak assertion. */
import * as tf from "@tensorflow/tfjs";
import { expect } from "vitest";
import { selectBackend, type BackendInfo, type BackendRequest } from "../loaders/engine/backend.js";
import { createRng } from "../loaders/engine/random.js";

tf.env().set("PROD", true); // silences tfjs's console warnings (e.g. the cpu backend's "install tfjs-node" banner)

/** Use `name` as the tfjs backend for this test file (wasm unless the test needs cpu). */
export async function useBackend(name: BackendRequest = "wasm"): Promise<BackendInfo> {
  return selectBackend(name);
}

/** Run `fn` (sync or async) and assert that it left no new tensors behind; returns fn's result. */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before);
  return out;
}

/** Largest absolute difference between two equal-length arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

/** A float32 tensor of `shape` with seeded values in [-1, 1). */
export function seededTensor(shape: number[], seed: number): tf.Tensor {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => rng() * 2 - 1),
    shape,
  );
}
