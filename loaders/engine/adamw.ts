/** AdamW on tf.variables (torch semantics: decoupled weight decay on matrices and embeddings only, as nanoGPT). */
import * as tf from "@tensorflow/tfjs";
import type { GPT } from "./model.js";
import { readFloats } from "./readback.js";
import type { OptimizerState, TrainConfig } from "./train.js";

export interface Adam {
  step: number;
  m: Record<string, tf.Variable>;
  v: Record<string, tf.Variable>;
}

export function createAdam(model: GPT, from?: OptimizerState): Adam {
  const adam: Adam = { step: from?.step ?? 0, m: {}, v: {} };
  for (const [name, p] of Object.entries(model.params)) {
    const m = from?.m[name];
    const v = from?.v[name];
    if (from && (!m || !v)) throw new Error(`optimizer state has no moments for ${name}`);
    adam.m[name] = tf.tidy(() => tf.variable(m ? tf.tensor(m, p.shape) : tf.zerosLike(p), false));
    adam.v[name] = tf.tidy(() => tf.variable(v ? tf.tensor(v, p.shape) : tf.zerosLike(p), false));
  }
  return adam;
}

export function readAdam(adam: Adam): OptimizerState {
  const read = (vars: Record<string, tf.Variable>) => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, readFloats(v).slice()]));
  return { step: adam.step, m: read(adam.m), v: read(adam.v) };
}

/** One AdamW update (torch.optim.AdamW's formula) with gradients scaled by `gradScale` (clipping; a
 * scalar tensor keeps the clip factor on the device). */
export function applyAdamW(
  model: GPT,
  adam: Adam,
  grads: Record<string, tf.Tensor>,
  lr: number,
  gradScale: number | tf.Scalar,
  config: TrainConfig,
): void {
  adam.step += 1;
  const { beta1: b1, beta2: b2, eps, weightDecay } = config;
  const bc1 = 1 - b1 ** adam.step;
  const bc2 = Math.sqrt(1 - b2 ** adam.step);
  for (const [name, p] of Object.entries(model.params)) {
    const grad = grads[name];
    if (!grad) continue;
    tf.tidy(() => {
      const g = gradScale === 1 ? grad : tf.mul(grad, gradScale);
      const m = tf.add(tf.mul(adam.m[name]!, b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(adam.v[name]!, b2), tf.mul(tf.mul(g, g), 1 - b2));
      adam.m[name]!.assign(m);
      adam.v[name]!.assign(v);
      const decayed = p.rank >= 2 && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
      const update = tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2), eps));
      p.assign(tf.sub(decayed, tf.mul(update, lr / bc1)));
    });
  }
}
