/**
 * Global-norm gradient clipping on the device: the norm and the clip factor stay tensors, so a training
 * step reads nothing back until it logs (loss and norm together, one readback).
 */
import * as tf from "@tensorflow/tfjs";

/** Most inputs one AddN takes: the stock webgpu AddN binds every input as a storage buffer, and a model's
 * ~30 gradients exceed the per-stage limit (the command buffer is dropped and the sum reads 0). */
export const ADDN_CHUNK = 8;

/** The sum of same-shaped tensors by AddN in chunks of at most ADDN_CHUNK inputs. */
export function addNChunked(xs: tf.Tensor[]): tf.Tensor {
  if (xs.length === 0) throw new Error("addNChunked needs at least one tensor");
  return tf.tidy(() => {
    let level = xs;
    while (level.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += ADDN_CHUNK) {
        const part = level.slice(i, i + ADDN_CHUNK);
        next.push(part.length === 1 ? part[0]! : tf.addN(part));
      }
      level = next;
    }
    return tf.clone(level[0]!);
  });
}

/** √(Σ‖g‖²) over every gradient, as a scalar tensor. */
export function globalNorm(grads: tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => tf.sqrt(addNChunked(grads.map((g) => tf.sum(tf.mul(g, g))))) as tf.Scalar);
}

/** The clip factor clip / (norm + 1e-6) where norm > clip, else 1 (torch's clip_grad_norm_); 1 when clip ≤ 0. */
export function clipScale(norm: tf.Scalar, clip: number): tf.Scalar | 1 {
  if (!(clip > 0)) return 1;
  return tf.tidy(() => tf.where(tf.greater(norm, clip), tf.div(clip, tf.add(norm, 1e-6)), tf.onesLike(norm)) as tf.Scalar);
}
