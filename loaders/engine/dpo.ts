/**
 * Direct Preference Optimization (Rafailov et al. 2023) on top of the engine's public forward pass:
 *
 *   L = −log σ(β · [(log π(y_w|x) − log π_ref(y_w|x)) − (log π(y_l|x) − log π_ref(y_l|x))])
 *
 * with sequence log-probs summed over the answer tokens (the example's target span, EOS included).
 * `sftWeight` α > 0 adds α · the chosen answers' mean per-token negative log-likelihood (the "DPO + NLL"
 * objective of RPO, Pang et al. 2024, arXiv 2404.19733), which keeps the policy's probability on the
 * chosen answers from falling while the margin grows; α = 0 is plain DPO.
 * The reference model is frozen, so its log-probs are numbers computed once before training (from the
 * policy itself when the policy starts as the reference); only the policy is held in memory.
 */
import * as tf from "@tensorflow/tfjs";
import { globalNorm } from "./gradnorm.js";
import { readFloats, readSync } from "./readback.js";
import { createLogger, type Logger } from "./log.js";
import { forwardRows, targetRows, type GPT, type ForwardOptions } from "./model.js";
import { createRng, shuffle } from "./random.js";
import { type Example, type StepRow } from "./train.js";
import { learningRate, makeBatch, toSequence } from "./batches.js";

/** One preference: the same prompt, a chosen (y_w) and a rejected (y_l) target span. */
export interface PreferencePair {
  prompt: number[];
  chosen: number[];
  rejected: number[];
}

/** Summed log-probs of the reference model: one number per pair and side. */
export interface ReferenceLogProbs {
  chosen: ArrayLike<number>;
  rejected: ArrayLike<number>;
}

export interface DpoConfig {
  steps: number; // 100: optimizer steps
  batchSize: number; // 16: pairs per step (each step runs 2 × batchSize sequences)
  lr: number; // 5e-4: peak learning rate
  beta: number; // 0.1: the paper's "scale coefficient" (Aligner Table 23)
  sftWeight: number; // 0: weight α of the chosen answers' per-token NLL added to the loss (0 = plain DPO)
  lrWarmupRatio: number; // 0.1: linear warm-up, then cosine down to lr·minLrRatio
  minLrRatio: number; // 0.1
  beta1: number; // 0.9
  beta2: number; // 0.95
  eps: number; // 1e-8
  gradClip: number; // 1.0: global-norm clip; 0 = off
  seed: number; // 1: pair order
  padId: number; // 0
}

export const defaultDpoConfig: Readonly<DpoConfig> = Object.freeze({
  steps: 100,
  batchSize: 16,
  lr: 5e-4,
  beta: 0.1,
  sftWeight: 0,
  lrWarmupRatio: 0.1,
  minLrRatio: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  gradClip: 1.0,
  seed: 1,
  padId: 0,
});

/**
 * log π(target | prompt) summed over each example's target tokens: [N], differentiable in the model's
 * parameters. Call inside tf.tidy (or variableGrads). Over-long examples are cut as training cuts them.
 */
export function sequenceLogProbs(model: GPT, examples: readonly Example[], opts: ForwardOptions = {}, padId = 0): tf.Tensor1D {
  const batch = makeBatch(
    examples.map((e) => toSequence(e, model.config.maxLen)),
    padId,
  );
  const { rows, targets } = targetRows(batch);
  const N = examples.length;
  const R = rows.length;
  // Which example each target row belongs to, as a [N, R] 0/1 matrix: wasm has no UnsortedSegmentSum.
  const segments = new Float32Array(N * R);
  rows.forEach((row, r) => (segments[Math.floor(row / batch.length) * R + r] = 1));
  return tf.tidy(() => {
    const picked = _targetLogProbs(model, batch, rows, targets, opts); // [R]
    return tf.reshape(tf.matMul(tf.tensor2d(segments, [N, R]), tf.reshape(picked, [R, 1])), [N]) as tf.Tensor1D; // [N, R] @ [R, 1] -> [N]
  });
}

/** The log-prob of each target token: the head on the target rows only, [R] (call inside a tidy). */
function _targetLogProbs(
  model: GPT,
  batch: ReturnType<typeof makeBatch>,
  rows: Int32Array,
  targets: Int32Array,
  opts: ForwardOptions = {},
): tf.Tensor1D {
  return tf.sum(
    tf.mul(tf.logSoftmax(forwardRows(model, batch, rows, opts)), tf.oneHot(tf.tensor1d(targets, "int32"), model.config.vocabSize)),
    -1,
  ) as tf.Tensor1D;
}

/**
 * Per example, without gradients: the summed target log-prob and the log-prob of its least likely
 * target token (how sure the model is of its weakest step).
 */
export function scoreTokens(model: GPT, examples: readonly Example[], batchSize = 32, padId = 0): { sum: Float64Array; min: Float64Array } {
  const sum = new Float64Array(examples.length);
  const min = new Float64Array(examples.length).fill(Infinity);
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = makeBatch(
      examples.slice(start, start + batchSize).map((e) => toSequence(e, model.config.maxLen)),
      padId,
    );
    const { rows, targets } = targetRows(batch);
    const picked = tf.tidy(() => _targetLogProbs(model, batch, rows, targets));
    const values = readSync(picked);
    picked.dispose();
    rows.forEach((row, r) => {
      const b = start + Math.floor(row / batch.length);
      sum[b] = sum[b]! + values[r]!;
      min[b] = Math.min(min[b]!, values[r]!);
    });
  }
  return { sum, min };
}

/**
 * Summed target log-probs of many examples, without gradients, in batches: plain numbers. It sums as
 * `sequenceLogProbs` does (a float32 segment matmul), so DPO's reference and policy agree exactly at
 * the start; `scoreTokens` sums in float64 and adds each example's weakest token.
 */
export function scoreSequences(model: GPT, examples: readonly Example[], batchSize = 32): Float64Array {
  const out = new Float64Array(examples.length);
  for (let start = 0; start < examples.length; start += batchSize) {
    const logps = sequenceLogProbs(model, examples.slice(start, start + batchSize));
    out.set(readFloats(logps), start);
    logps.dispose();
  }
  return out;
}

const _sides = (pairs: readonly PreferencePair[]): Example[] => [
  ...pairs.map((p) => ({ prompt: p.prompt, target: p.chosen })),
  ...pairs.map((p) => ({ prompt: p.prompt, target: p.rejected })),
];

/** The reference log-probs of every pair under `model` (call before the policy's first update). */
export function referenceLogProbs(
  model: GPT,
  pairs: readonly PreferencePair[],
  batchSize = 32,
): { chosen: Float64Array; rejected: Float64Array } {
  const chosen = scoreSequences(
    model,
    pairs.map((p) => ({ prompt: p.prompt, target: p.chosen })),
    batchSize,
  );
  const rejected = scoreSequences(
    model,
    pairs.map((p) => ({ prompt: p.prompt, target: p.rejected })),
    batchSize,
  );
  return { chosen, rejected };
}

/**
 * The implicit reward margins h = (log π(y_w) − log π_ref(y_w)) − (log π(y_l) − log π_ref(y_l)): [B],
 * differentiable. The DPO loss is mean(−log σ(β·h)).
 */
export function dpoMargins(
  model: GPT,
  pairs: readonly PreferencePair[],
  reference: ReferenceLogProbs,
  opts: ForwardOptions = {},
  padId = 0,
): tf.Tensor1D {
  return tf.tidy(() => _policySides(model, pairs, reference, opts, padId).margins);
}

/** The margins h [B] and the policy's summed log-probs of the chosen answers [B] (call inside a tidy). */
function _policySides(
  model: GPT,
  pairs: readonly PreferencePair[],
  reference: ReferenceLogProbs,
  opts: ForwardOptions,
  padId: number,
): { margins: tf.Tensor1D; chosen: tf.Tensor1D } {
  const B = pairs.length;
  if (reference.chosen.length !== B || reference.rejected.length !== B)
    throw new Error(`reference log-probs for ${reference.chosen.length} pairs, expected ${B}`);
  const refDiff = Float32Array.from(pairs, (_, i) => reference.chosen[i]! - reference.rejected[i]!);
  const logps = sequenceLogProbs(model, _sides(pairs), opts, padId); // [2B]: chosen then rejected
  const [chosen, rejected] = tf.split(logps, 2) as [tf.Tensor1D, tf.Tensor1D];
  return { margins: tf.sub(tf.sub(chosen, rejected), tf.tensor1d(refDiff)) as tf.Tensor1D, chosen };
}

/** mean(−log σ(β·h)), plus α · the mean over pairs of the chosen answer's per-token NLL, −log π(y_w|x) / |y_w|,
 * when α = sftWeight > 0 (a scalar). */
function _objective(
  sides: { margins: tf.Tensor1D; chosen: tf.Tensor1D },
  pairs: readonly PreferencePair[],
  beta: number,
  sftWeight: number,
): tf.Scalar {
  const dpo = _lossOfMargins(sides.margins, beta);
  if (sftWeight === 0) return dpo;
  const perToken = Float32Array.from(pairs, (p) => -sftWeight / Math.max(1, p.chosen.length) / pairs.length);
  return tf.add(dpo, tf.sum(tf.mul(sides.chosen, tf.tensor1d(perToken))));
}

/** The DPO loss of a batch of pairs (plus α · the chosen answers' NLL when `sftWeight` α > 0): a scalar,
 * differentiable in the policy's parameters. */
export function dpoLoss(
  model: GPT,
  pairs: readonly PreferencePair[],
  reference: ReferenceLogProbs,
  beta: number,
  opts: ForwardOptions = {},
  padId = 0,
  sftWeight = 0,
): tf.Scalar {
  return tf.tidy(() => _objective(_policySides(model, pairs, reference, opts, padId), pairs, beta, sftWeight));
}

/** mean(−log σ(β·h)) as mean(softplus(−β·h)): tf.logSigmoid's gradient reads a tensor its tidy has freed. */
const _lossOfMargins = (h: tf.Tensor1D, beta: number): tf.Scalar => tf.mean(tf.softplus(tf.mul(h, -beta)));

/** A DPO log row: the TRAINING table's columns plus the batch's mean margin and preference accuracy. */
export interface DpoStepRow extends StepRow {
  margin: number; // mean h over the batch, before the update
  accuracy: number; // share of pairs with h > 0, before the update
}

/**
 * Trains the policy `model` in place with DPO (AdamW without weight decay, warm-up + cosine, global-norm
 * clipping). `reference` holds π_ref's log-probs of every pair (see `referenceLogProbs`).
 */
export function trainDpo(
  model: GPT,
  pairs: readonly PreferencePair[],
  reference: ReferenceLogProbs,
  overrides: Partial<DpoConfig> = {},
  {
    onStep,
    logger = createLogger("dpo"),
    progressLabel = "dpo",
  }: { onStep?: (row: DpoStepRow) => void; logger?: Logger; progressLabel?: string } = {},
): DpoStepRow[] {
  const config: DpoConfig = { ...defaultDpoConfig, ...overrides };
  for (const key of Object.keys(overrides)) if (!(key in defaultDpoConfig)) throw new Error(`unknown DPO option "${key}"`);
  if (pairs.length === 0) throw new Error("no preference pairs");
  if (!Number.isInteger(config.steps) || config.steps < 1) throw new Error("DPO steps must be a positive integer");
  if (!(config.sftWeight >= 0)) throw new Error(`DPO sftWeight must be ≥ 0, got ${config.sftWeight}`);
  const names = new Map(Object.entries(model.params).map(([name, v]) => [v.name, name]));
  const moments = Object.fromEntries(
    Object.entries(model.params).map(([name, p]) => [
      name,
      { m: tf.tidy(() => tf.variable(tf.zerosLike(p), false)), v: tf.tidy(() => tf.variable(tf.zerosLike(p), false)) },
    ]),
  );
  const rng = createRng(config.seed);
  let order: number[] = [];
  const rows: DpoStepRow[] = [];
  try {
    for (let step = 0; step < config.steps; step++) {
      if (order.length < config.batchSize)
        order = [
          ...order,
          ...shuffle(
            rng,
            pairs.map((_, i) => i),
          ),
        ];
      const picked = order.splice(0, Math.min(config.batchSize, pairs.length));
      const batch = picked.map((i) => pairs[i]!);
      const ref = { chosen: picked.map((i) => reference.chosen[i]!), rejected: picked.map((i) => reference.rejected[i]!) };
      const lr = learningRate(step, config);
      const started = performance.now();
      let margins: Float32Array = new Float32Array(0);
      const { value, grads } = tf.variableGrads(() => {
        const sides = _policySides(model, batch, ref, {}, config.padId);
        margins = readFloats(sides.margins);
        return _objective(sides, batch, config.beta, config.sftWeight);
      }, Object.values(model.params));
      let loss = NaN;
      let gradNorm = NaN;
      try {
        loss = readFloats(value)[0] ?? NaN;
        gradNorm = tf.tidy(() => readFloats(globalNorm(Object.values(grads)))[0] ?? NaN);
        const scale = config.gradClip > 0 && gradNorm > config.gradClip ? config.gradClip / (gradNorm + 1e-6) : 1;
        const bc1 = 1 - config.beta1 ** (step + 1);
        const bc2 = Math.sqrt(1 - config.beta2 ** (step + 1));
        for (const [varName, g] of Object.entries(grads)) {
          const name = names.get(varName) ?? varName;
          const p = model.params[name]!;
          const { m, v } = moments[name]!;
          tf.tidy(() => {
            const gs = tf.mul(g, scale);
            m.assign(tf.add(tf.mul(m, config.beta1), tf.mul(gs, 1 - config.beta1)));
            v.assign(tf.add(tf.mul(v, config.beta2), tf.mul(tf.mul(gs, gs), 1 - config.beta2)));
            p.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), bc2), config.eps)), lr / bc1)));
          });
        }
      } finally {
        tf.dispose(grads);
        value.dispose();
      }
      if (!Number.isFinite(loss)) throw new Error(`DPO loss is ${loss} at step ${step + 1}`);
      const tokens = batch.reduce((n, p) => n + 2 * p.prompt.length + p.chosen.length + p.rejected.length, 0);
      const seconds = (performance.now() - started) / 1000;
      const row: DpoStepRow = {
        step: step + 1,
        loss,
        val_loss: null,
        lr,
        tokens_per_s: tokens / seconds,
        tokens,
        grad_norm: gradNorm,
        margin: margins.reduce((a, b) => a + b, 0) / margins.length,
        accuracy: margins.filter((h) => h > 0).length / margins.length,
      };
      rows.push(row);
      onStep?.(row);
      logger.progress?.(progressLabel, row.step, config.steps, { detail: `loss ${loss.toFixed(3)}` });
      logger.debug(`dpo step ${row.step} loss ${loss.toFixed(4)} margin ${row.margin.toFixed(3)} acc ${row.accuracy.toFixed(2)}`);
    }
    return rows;
  } finally {
    tf.dispose(Object.values(moments).flatMap(({ m, v }) => [m, v]));
  }
}
