/**
 * One data-parallel shard's work, shared by the main thread and the workers (dataparallel.ts,
 * dpworker.ts): the masked loss and its gradients on some rows of a batch, flattened in parameter
 * order, and the weights flattened and set back in that order.
 */
import * as tf from "@tensorflow/tfjs";
import { maskedLoss, type GPT, type LossBatch } from "./model.js";
import { readFloats } from "./readback.js";

export interface ShardResult {
  loss: number; // mean loss over the shard's target tokens
  targets: number; // target tokens in the shard (the weight of its loss in the batch's mean)
  grads?: Float32Array; // every parameter's gradient, flattened in parameter order; absent without targets
}

/** Values in the model's parameters. */
export function paramCount(model: GPT): number {
  return Object.values(model.params).reduce((n, p) => n + p.size, 0);
}

/** Rows [from, to) of a batch. */
export function shardRows(batch: LossBatch, from: number, to: number): LossBatch {
  const T = batch.length;
  return { ids: batch.ids.subarray(from * T, to * T), targets: batch.targets.subarray(from * T, to * T), batch: to - from, length: T };
}

/** `rows` split into `parts` contiguous, nearly equal [from, to) ranges (the first ones one row longer). */
export function splitRows(rows: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let k = 0; k < parts; k++) {
    const to = from + Math.floor(rows / parts) + (k < rows % parts ? 1 : 0);
    if (to > from) out.push([from, to]);
    from = to;
  }
  return out;
}

/** Loss and flattened gradients of one shard (one readback: gradients and loss together). */
export function shardGradients(model: GPT, batch: LossBatch): ShardResult {
  let targets = 0;
  for (const t of batch.targets) if (t >= 0) targets++;
  if (targets === 0) return { loss: 0, targets };
  const params = Object.values(model.params);
  const { value, grads } = tf.variableGrads(() => maskedLoss(model, batch), params);
  try {
    const flat = tf.tidy(() => tf.concat([...params.map((p) => tf.reshape(grads[p.name]!, [-1])), tf.reshape(value, [1])]));
    const values = readFloats(flat);
    flat.dispose();
    return { loss: values[values.length - 1]!, targets, grads: values.subarray(0, values.length - 1) };
  } finally {
    tf.dispose(grads);
    value.dispose();
  }
}

/** Every weight flattened in parameter order (one readback). */
export function flatWeights(model: GPT): Float32Array {
  const flat = tf.tidy(() => tf.concat(Object.values(model.params).map((p) => tf.reshape(p, [-1]))));
  try {
    return readFloats(flat);
  } finally {
    flat.dispose();
  }
}

/** Assigns flattened weights (parameter order) to the model. */
export function setFlatWeights(model: GPT, values: Float32Array): void {
  let at = 0;
  for (const p of Object.values(model.params)) {
    tf.tidy(() => p.assign(tf.tensor(values.subarray(at, at + p.size), p.shape)));
    at += p.size;
  }
  if (at !== values.length) throw new Error(`setFlatWeights got ${values.length} values for ${at} parameters`);
}

/** Flattened gradients (parameter order) as tensors keyed by variable name, as tf.variableGrads returns them. */
export function unflattenGrads(model: GPT, values: Float32Array): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  let at = 0;
  for (const p of Object.values(model.params)) {
    out[p.name] = tf.tensor(values.subarray(at, at + p.size), p.shape);
    at += p.size;
  }
  return out;
}
