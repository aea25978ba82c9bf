/**
 * Supervised fine-tuning on token-id examples: loss on the target span only (the target carries its EOS),
 * AdamW (torch semantics, decoupled weight decay on matrices), cosine schedule with linear warm-up,
 * global-norm clipping, length-bucketed batches padded to their own longest example, validation loss,
 * checkpoints that resume exactly, and one log row per step.
 *
 * Determinism: the batch plan of epoch e is a pure function of (seed, e) and dropout masks of (seed, step),
 * so a run is a pure function of its seed, data and config, and a resumed run needs only the step counter,
 * the weights and the Adam moments to continue bit for bit (on a deterministic backend: wasm, cpu).
 */
import * as tf from "@tensorflow/tfjs";
import { saveCheckpoint, type SaveOptions } from "./checkpoint.js";
import { mergeConfig } from "./settings.js";
import { createLogger, type Logger } from "./log.js";
import { maskedLoss, truncatedLoss, type GPT } from "./model.js";
import { applyAdamW, createAdam, readAdam } from "./adamw.js";
import { clipScale, globalNorm } from "./gradnorm.js";
import { closeWorkerPool, createWorkerPool, defaultWorkers, parallelGradients } from "./dataparallel.js";
import { readFloats } from "./readback.js";
import { learningRate, makeBatch, planEpoch, toSequence } from "./batches.js";

export interface Example {
  prompt: number[]; // context tokens: no loss
  target: number[]; // tokens the model learns to produce, EOS included
}

export interface TrainConfig {
  steps: number; // 1000: optimizer steps in the whole run
  batchSize: number; // 32: examples per step
  lr: number; // 3e-3: peak learning rate
  lrWarmupRatio: number; // 0.05: share of steps with a linear learning-rate warm-up from 0 (not the paper's identity warm-up stage)
  minLrRatio: number; // 0.1: the cosine ends at lr·minLrRatio
  weightDecay: number; // 0.1: decoupled (AdamW), on matrices and embeddings only, as nanoGPT
  beta1: number; // 0.9
  beta2: number; // 0.95
  eps: number; // 1e-8: as torch.optim.AdamW
  gradClip: number; // 1.0: clip the global gradient norm to this; 0 = off
  evalEvery: number; // 0: validation loss every N steps and at the last step; 0 = only at the last step (if val data)
  checkpointEvery: number; // 0: save every N steps to checkpointDir; 0 = never
  checkpointDir: string; // "": required when checkpointEvery > 0
  seed: number; // 1: batch order and dropout
  bucketBatches: number; // 16: batches per length-sorted pool (1 = no bucketing)
  lossTruncation: number; // 0: drop from each batch's gradient the examples whose loss is in the top share of recent losses (Kang & Hashimoto 2020); 0 = off
  truncationStart: number; // 0.2: share of steps trained on every example before truncation starts (its warm start)
  padId: number; // 0: pads batches on the right (causal attention never looks right, the loss skips it)
}

/** The training settings a preset sets for one model (the rest keep the defaults below). */
export type TrainSettings = Pick<
  TrainConfig,
  "steps" | "batchSize" | "lr" | "lrWarmupRatio" | "weightDecay" | "evalEvery" | "checkpointEvery"
> &
  Partial<Pick<TrainConfig, "lossTruncation">>;

export const defaultTrainConfig: Readonly<TrainConfig> = Object.freeze({
  steps: 1000,
  batchSize: 32,
  lr: 3e-3,
  lrWarmupRatio: 0.05,
  minLrRatio: 0.1,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  gradClip: 1.0,
  evalEvery: 0,
  checkpointEvery: 0,
  checkpointDir: "",
  seed: 1,
  bucketBatches: 16,
  lossTruncation: 0,
  truncationStart: 0.2,
  padId: 0,
});

/** Defaults overlaid with `overrides`; unknown keys and wrong types throw (settings.ts's mergeConfig). */
export function resolveTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  const config = mergeConfig<TrainConfig>({ ...defaultTrainConfig }, overrides, "train config");
  if (!Number.isInteger(config.steps) || config.steps < 1) throw new Error("train config steps must be a positive integer");
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1) throw new Error("train config batchSize must be a positive integer");
  if (config.checkpointEvery > 0 && !config.checkpointDir) throw new Error("train config checkpointEvery needs checkpointDir");
  return config;
}

/** One row per optimizer step (the TRAINING table's columns plus a few). */
export interface StepRow {
  step: number; // 1-based: the number of optimizer updates done
  loss: number; // training loss of this step's batch, before the update
  val_loss: number | null; // when evaluated, after the update
  lr: number;
  tokens_per_s: number; // non-padding tokens of the batch / wall time of the step
  tokens: number; // non-padding tokens of the batch
  grad_norm: number; // global norm before clipping
}

/** Adam moments as plain arrays keyed by parameter name. */
export interface OptimizerState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

/** Everything besides weights and moments that a resumed run needs, and the log so far. */
export interface TrainerState {
  step: number; // steps done
  epoch: number; // of the next batch
  batchInEpoch: number; // of the next batch
  seed: number;
  config: TrainConfig;
  log: StepRow[];
  /** Recent per-example losses, the window loss truncation takes its quantile from (when on). */
  recentLosses?: number[];
}

export interface TrainOptions {
  val?: Example[];
  onStep?: (row: StepRow) => void;
  resume?: { optimizer: OptimizerState; trainer: TrainerState }; // from loadCheckpoint
  checkpoint?: Omit<SaveOptions, "optimizer" | "trainer">; // tokenizer and extras saved with each checkpoint
  logger?: Logger;
  /** The label of this training's progress line (default "train"). */
  progressLabel?: string;
  /** Threads computing each step's gradients (dataparallel.ts; default defaultWorkers()). Runs with dropout or
   * loss truncation use one: their masks and thresholds are per batch. */
  workers?: number;
}

export interface TrainResult {
  log: StepRow[];
  optimizer: OptimizerState;
  trainer: TrainerState;
}

// ---------------------------------------------------------------------------------------------------
// Loss truncation: the threshold is the (1 − c) quantile of the most recent per-example losses

function _truncationWindow(config: TrainConfig, from?: number[]) {
  if (!(config.lossTruncation > 0 && config.lossTruncation < 1))
    throw new Error(`train config lossTruncation must be in [0, 1), got ${config.lossTruncation}`);
  const size = Math.max(512, 8 * config.batchSize);
  const recent: number[] = from ? from.slice(-size) : [];
  const window = {
    recent,
    dropped: 0,
    record(losses: Float64Array, dropped: number) {
      for (const x of losses) if (Number.isFinite(x)) recent.push(x);
      if (recent.length > size) recent.splice(0, recent.length - size);
      window.dropped += dropped;
    },
    threshold(): number {
      if (recent.length < size / 2) return Infinity;
      const sorted = recent.slice().sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((1 - config.lossTruncation) * sorted.length))]!;
    },
  };
  return window;
}

// ---------------------------------------------------------------------------------------------------
// Training loop

/** Mean loss per target token over `examples` (no gradients). */
export function validationLoss(model: GPT, examples: Example[], config: Pick<TrainConfig, "batchSize" | "padId">): number {
  const seqs = examples.map((e) => toSequence(e, model.config.maxLen)).sort((a, b) => a.ids.length - b.ids.length);
  let total = 0;
  let count = 0;
  for (let i = 0; i < seqs.length; i += config.batchSize) {
    const batch = makeBatch(seqs.slice(i, i + config.batchSize), config.padId);
    const n = batch.targets.reduce((c, t) => c + (t >= 0 ? 1 : 0), 0);
    if (n === 0) continue;
    const loss = tf.tidy(() => maskedLoss(model, batch));
    total += (readFloats(loss)[0] ?? NaN) * n;
    count += n;
    loss.dispose();
  }
  return count === 0 ? NaN : total / count;
}

/** Trains `model` in place on `train` for config.steps steps (continuing from `resume`). */
export async function trainModel(
  model: GPT,
  train: Example[],
  overrides: Partial<TrainConfig> = {},
  options: TrainOptions = {},
): Promise<TrainResult> {
  const config = resolveTrainConfig(overrides);
  const log = options.logger ?? createLogger("train");
  if (train.length === 0) throw new Error("no training examples");
  const seqs = train.map((e) => toSequence(e, model.config.maxLen));
  const lengths = seqs.map((s) => s.ids.length);
  const perEpoch = planEpoch(lengths, config, 0).length;
  const names = new Map(Object.entries(model.params).map(([name, v]) => [v.name, name]));
  const adam = createAdam(model, options.resume?.optimizer);
  const rows: StepRow[] = options.resume ? options.resume.trainer.log.slice() : [];
  let plan: { epoch: number; batches: number[][] } | undefined;
  const truncation = config.lossTruncation > 0 ? _truncationWindow(config, options.resume?.trainer.recentLosses) : null;
  const state = (step: number): TrainerState => ({
    step,
    epoch: Math.floor(step / perEpoch),
    batchInEpoch: step % perEpoch,
    seed: config.seed,
    config,
    log: rows,
    ...(truncation ? { recentLosses: truncation.recent.slice() } : {}),
  });
  let step = options.resume?.trainer.step ?? 0;
  if (step !== adam.step) throw new Error(`resume state is inconsistent: trainer at step ${step}, optimizer at ${adam.step}`);
  const threads = options.workers ?? defaultWorkers();
  const pool = threads > 1 && model.config.dropout === 0 && !truncation ? await createWorkerPool(model, threads) : undefined;
  if (pool) log.debug(`data-parallel training on ${pool.threads} threads`);
  try {
    for (; step < config.steps; step++) {
      const epoch = Math.floor(step / perEpoch);
      if (plan?.epoch !== epoch) plan = { epoch, batches: planEpoch(lengths, config, epoch) };
      const batch = makeBatch(
        plan.batches[step % perEpoch]!.map((i) => seqs[i]!),
        config.padId,
      );
      const lr = learningRate(step, config);
      const start = performance.now();
      const forward = { training: true, dropoutSeed: config.seed * 1_000_003 + step };
      const threshold = truncation && step >= Math.round(config.truncationStart * config.steps) ? truncation.threshold() : Infinity;
      const { value, grads: byVar } =
        pool && batch.batch > 1
          ? await parallelGradients(pool, model, batch)
          : tf.variableGrads(
              () =>
                truncation
                  ? truncatedLoss(model, batch, threshold, (losses, dropped) => truncation.record(losses, dropped), forward)
                  : maskedLoss(model, batch, forward),
              Object.values(model.params),
            );
      let loss = NaN;
      let gradNorm = NaN;
      try {
        const grads: Record<string, tf.Tensor> = {};
        for (const [varName, g] of Object.entries(byVar)) grads[names.get(varName) ?? varName] = g;
        const norm = globalNorm(Object.values(grads));
        const scale = clipScale(norm, config.gradClip);
        try {
          applyAdamW(model, adam, grads, lr, scale, config);
          const read = tf.tidy(() => tf.stack([value, norm]));
          [loss = NaN, gradNorm = NaN] = readFloats(read); // the step's one readback (loss truncation adds one)
          read.dispose();
        } finally {
          tf.dispose(scale === 1 ? [norm] : [norm, scale]);
        }
      } finally {
        tf.dispose(byVar);
        value.dispose();
      }
      const seconds = (performance.now() - start) / 1000;
      const last = step + 1 === config.steps;
      const evaluate = options.val && options.val.length > 0 && ((config.evalEvery > 0 && (step + 1) % config.evalEvery === 0) || last);
      const row: StepRow = {
        step: step + 1,
        loss,
        val_loss: evaluate ? validationLoss(model, options.val!, config) : null,
        lr,
        tokens_per_s: batch.tokens / seconds,
        tokens: batch.tokens,
        grad_norm: gradNorm,
      };
      rows.push(row);
      options.onStep?.(row);
      if (!Number.isFinite(loss)) throw new Error(`loss is ${loss} at step ${step + 1}`);
      log.progress?.(options.progressLabel ?? "train", row.step, config.steps, { detail: `loss ${loss.toFixed(3)}` });
      log.debug(
        `step ${row.step} loss ${loss.toFixed(4)} lr ${lr.toExponential(2)} ${Math.round(row.tokens_per_s)} tok/s${truncation ? `, ${truncation.dropped} examples truncated so far` : ""}`,
      );
      if (config.checkpointEvery > 0 && (step + 1) % config.checkpointEvery === 0) {
        await saveCheckpoint(config.checkpointDir, model, { ...options.checkpoint, optimizer: readAdam(adam), trainer: state(step + 1) });
      }
    }
    return { log: rows, optimizer: readAdam(adam), trainer: state(step) };
  } finally {
    tf.dispose([...Object.values(adam.m), ...Object.values(adam.v)]);
    if (pool) await closeWorkerPool(pool);
  }
}
