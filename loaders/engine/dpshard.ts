/**
 * One data-parallel shard's work, shared by the main thread and the workers (dataparallel.ts,
 * dpworker.ts): the masked loss and its gradients on some rows of a batch, flattened in parameter
 * order, and the weights flattened and set back in that order.
 */
import * as tf from "@tensorflow/tfjs";
import { maskedLoss, type GPT, type LossBatch } from "./model.js";
import { readFloats, withFloats } from "./readback.js";
import { tensorsCopyValues } from "./scratch.js";

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

/**
 * Loss and flattened gradients of one shard, written into `into` (a fresh array by default): each gradient
 * is copied from a view of its values (readback.ts's withFloats), so a step allocates no array the size of
 * the model (3.3 M parameters are 13 MB, ≈40 ms of first-touch page faults on the machines we measured).
 */
export function shardGradients(model: GPT, batch: LossBatch, into?: Float32Array): ShardResult {
  let targets = 0;
  for (const t of batch.targets) if (t >= 0) targets++;
  if (targets === 0) return { loss: 0, targets };
  const params = Object.values(model.params);
  const { value, grads } = tf.variableGrads(() => maskedLoss(model, batch), params);
  try {
    const out = into ?? new Float32Array(paramCount(model));
    _flatten(
      params.map((p) => grads[p.name]!),
      out,
    );
    return { loss: readFloats(value)[0]!, targets, grads: out };
  } finally {
    tf.dispose(grads);
    value.dispose();
  }
}

/** Every weight flattened in parameter order into `into` (a fresh array by default). */
export function flatWeights(model: GPT, into?: Float32Array): Float32Array {
  const out = into ?? new Float32Array(paramCount(model));
  _flatten(Object.values(model.params), out);
  return out;
}

/** The tensors' values one after another into `out` (one view each, no intermediate copy). */
function _flatten(tensors: tf.Tensor[], out: Float32Array): void {
  let at = 0;
  for (const t of tensors) {
    withFloats(t, (v) => out.set(v, at));
    at += t.size;
  }
  if (at !== out.length) throw new Error(`flattened ${at} values into an array of ${out.length}`);
}

/** Assigns flattened weights (parameter order) to the model; `values` may be reused afterwards. */
export function setFlatWeights(model: GPT, values: Float32Array): void {
  let at = 0;
  for (const p of Object.values(model.params)) {
    const view = values.subarray(at, at + p.size); // copied where the backend would keep it (cpu)
    tf.tidy(() => p.assign(tf.tensor(tensorsCopyValues() ? view : view.slice(), p.shape)));
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
