/**
 * Training data and schedule: examples -> next-token sequences -> length-bucketed, right-padded
 * batches, the epoch's batch plan (a pure function of seed and epoch), and the learning rate.
 */
import { createRng, shuffle } from "./random.js";
import type { LossBatch } from "./model.js";
import type { Example, TrainConfig } from "./train.js";

interface Sequence {
  ids: number[]; // inputs, prompt ++ target minus the last token
  targets: number[]; // next token at each position, -1 = no loss
}

/** Inputs and masked targets of one example; over-long ones lose prompt tokens from the left, then target tokens from the right. */
export function toSequence(example: Example, maxLen: number): Sequence {
  if (example.target.length === 0) throw new Error("an example needs at least one target token");
  let prompt = example.prompt;
  let target = example.target;
  const excess = prompt.length + target.length - 1 - maxLen;
  if (excess > 0) {
    const fromPrompt = Math.min(excess, Math.max(prompt.length - 1, 0));
    prompt = prompt.slice(fromPrompt);
    target = target.slice(0, target.length - (excess - fromPrompt));
  }
  const all = [...prompt, ...target];
  const ids = all.slice(0, -1);
  if (ids.length === 0) throw new Error("an example needs at least two tokens (prompt + target)");
  const targets = ids.map((_, t) => (t + 1 >= prompt.length ? all[t + 1]! : -1));
  return { ids, targets };
}

/** Right-padded batch of sequences; `tokens` counts the non-padding ones. */
export function makeBatch(seqs: Sequence[], padId: number): LossBatch & { tokens: number } {
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const targets = new Int32Array(B * T).fill(-1);
  let tokens = 0;
  seqs.forEach((s, b) => {
    ids.set(s.ids, b * T);
    targets.set(s.targets, b * T);
    tokens += s.ids.length;
  });
  return { ids, targets, batch: B, length: T, tokens };
}

/**
 * Epoch `epoch`'s batches as example indices: shuffle, sort pools of bucketBatches·B by length (so a batch
 * pads little), cut into batches, shuffle the batches. A pure function of (lengths, seed, epoch).
 */
export function planEpoch(lengths: number[], config: Pick<TrainConfig, "batchSize" | "bucketBatches" | "seed">, epoch: number): number[][] {
  const rng = createRng((config.seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const order = shuffle(
    rng,
    lengths.map((_, i) => i),
  );
  const pool = config.batchSize * Math.max(1, config.bucketBatches);
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += pool) {
    const chunk = order.slice(start, start + pool).sort((a, b) => lengths[b]! - lengths[a]!); // stable
    for (let i = 0; i < chunk.length; i += config.batchSize) batches.push(chunk.slice(i, i + config.batchSize));
  }
  return shuffle(rng, batches);
}

/** Learning rate at 0-based step `step`: linear warm-up, then cosine down to lr·minLrRatio. */
export function learningRate(step: number, config: Pick<TrainConfig, "steps" | "lr" | "lrWarmupRatio" | "minLrRatio">): number {
  const warmup = Math.round(config.lrWarmupRatio * config.steps);
  if (step < warmup) return (config.lr * (step + 1)) / warmup;
  const progress = Math.min(1, (step - warmup) / Math.max(1, config.steps - warmup));
  return config.lr * (config.minLrRatio + (1 - config.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}
