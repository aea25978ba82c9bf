/**
 * Data parallelism on worker threads (issue 18): tfjs on Node's wasm runs one thread, so a step uses one
 * core. A pool of N − 1 workers (dpworker.ts), each with its own backend and model replica, plus the main
 * thread: a batch's rows are split into N shards, each computes its shard's loss and gradients, the
 * gradients are summed weighted by each shard's share of the target tokens (so the result is the
 * one-thread gradient up to float summation order), and the main thread takes the one optimizer step.
 * Weights go to the workers through a SharedArrayBuffer before each step; gradients come back through
 * one SharedArrayBuffer slot per worker. Generation splits a batch's rows across the threads the same way.
 */
import * as tf from "@tensorflow/tfjs";
import { availableParallelism } from "node:os";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { BackendRequest } from "./backend.js";
import { flatWeights, paramCount, shardGradients, shardRows, splitRows, unflattenGrads } from "./dpshard.js";
import type { WorkerInit, WorkerReply, WorkerRequest } from "./dpworker.js";
import { defaultGenerateOptions, generate, type GenerateOptions, type Generation } from "./generate.js";
import type { GPT, LossBatch } from "./model.js";
import { scratch } from "./scratch.js";

/** Threads a training or generation uses: ALIGNER_WORKERS if set, else the machine's cores (1 under vitest,
 * so unit tests keep single-thread numerics unless they ask). */
export function defaultWorkers(): number {
  const asked = process.env.ALIGNER_WORKERS;
  if (asked !== undefined && asked !== "") {
    const n = Number(asked);
    if (!Number.isInteger(n) || n < 1) throw new Error(`ALIGNER_WORKERS=${asked} is not a positive integer`);
    return n;
  }
  return process.env.VITEST ? 1 : availableParallelism();
}

interface PoolWorker {
  worker: Worker;
  grads: Float32Array; // this worker's shared gradient slot
  waiting: Array<{ resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>;
}

export interface WorkerPool {
  threads: number; // the main thread included
  workers: PoolWorker[];
  weights: Float32Array; // shared: the weights the workers load when a request says syncWeights
}

// A worker registers tsx (as loaders/cli/bin.js does) before it imports the TypeScript worker module: Node
// does not apply `--import` from a Worker's execArgv to its entry module.
// (The ESM build: import.meta.resolve where the runtime has it; vitest's transform does not, so there the
// require-condition path with tsx's ESM file beside it.) Resolved when a pool starts, not at import: the
// Playground's browser bundle imports this module through train.ts, and a browser cannot resolve "tsx".
function bootSource(): string {
  const tsxApi =
    typeof import.meta.resolve === "function"
      ? import.meta.resolve("tsx/esm/api")
      : pathToFileURL(
          createRequire(import.meta.url)
            .resolve("tsx/esm/api")
            .replace(/\.cjs$/, ".mjs"),
        ).href;
  const worker = new URL("./dpworker.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(worker)}); })`;
}

/** A pool of `threads` − 1 workers with replicas of `model` (their weights are set on the first request). */
export async function createWorkerPool(model: GPT, threads: number): Promise<WorkerPool> {
  const size = paramCount(model);
  const weights = new Float32Array(new SharedArrayBuffer(4 * size));
  const backend = tf.getBackend() as BackendRequest;
  const boot = bootSource();
  const workers = await Promise.all(
    Array.from({ length: Math.max(0, threads - 1) }, async () => {
      const grads = new SharedArrayBuffer(4 * size);
      const init: WorkerInit = { backend, config: model.config, weights: weights.buffer as SharedArrayBuffer, grads };
      const worker = new Worker(boot, { eval: true, workerData: init });
      const entry: PoolWorker = { worker, grads: new Float32Array(grads), waiting: [] };
      await new Promise<void>((resolve, reject) => {
        worker.once("error", reject);
        worker.once("message", () => (worker.off("error", reject), resolve()));
      });
      worker.on("message", (reply: WorkerReply) => entry.waiting.shift()?.resolve(reply));
      worker.on("error", (e) => entry.waiting.splice(0).forEach((w) => w.reject(e)));
      return entry;
    }),
  );
  return { threads: workers.length + 1, workers, weights };
}

export async function closeWorkerPool(pool: WorkerPool): Promise<void> {
  await Promise.all(pool.workers.map((w) => w.worker.terminate()));
  pool.workers = [];
}

function _ask(w: PoolWorker, req: WorkerRequest): Promise<WorkerReply> {
  return new Promise<WorkerReply>((resolve, reject) => {
    w.waiting.push({ resolve, reject });
    w.worker.postMessage(req);
  }).then((reply) => {
    if (reply.type === "error") throw new Error(`data-parallel worker: ${reply.message}`);
    return reply;
  });
}

export interface ParallelGrads {
  value: tf.Scalar; // the batch's mean loss over target tokens
  grads: Record<string, tf.Tensor>; // keyed by variable name, as tf.variableGrads
  workerTensors: number[]; // tf.memory().numTensors in each worker after its shard
}

/** maskedLoss(model, batch) and its gradients, computed in shards across the pool's threads. */
export async function parallelGradients(pool: WorkerPool, model: GPT, batch: LossBatch): Promise<ParallelGrads> {
  const shards = splitRows(batch.batch, pool.threads);
  flatWeights(model, pool.weights);
  const asks = shards.slice(1).map(([from, to], k) => {
    const s = shardRows(batch, from, to);
    return _ask(pool.workers[k]!, {
      type: "grads",
      syncWeights: true,
      ids: s.ids.slice(),
      targets: s.targets.slice(),
      batch: s.batch,
      length: s.length,
    });
  });
  const size = pool.weights.length;
  const mine = shardGradients(model, shardRows(batch, shards[0]![0], shards[0]![1]), scratch("dp-mine", size)); // runs while the workers run
  const replies = (await Promise.all(asks)) as Array<Extract<WorkerReply, { type: "grads" }>>;
  const total = mine.targets + replies.reduce((n, r) => n + r.targets, 0);
  if (total === 0) throw new Error("batch has no target tokens");
  const parts = [
    { share: mine.targets / total, loss: mine.loss, grads: mine.grads },
    ...replies.map((r, k) => ({ share: r.targets / total, loss: r.loss, grads: r.targets > 0 ? pool.workers[k]!.grads : undefined })),
  ].filter((part): part is { share: number; loss: number; grads: Float32Array } => part.grads !== undefined);
  const loss = parts.reduce((sum, part) => sum + part.share * part.loss, 0);
  const sum = _weightedSum(parts, scratch("dp-sum", size)); // a buffer reused every step where tensors copy it (wasm)
  return { value: tf.scalar(loss), grads: unflattenGrads(model, sum), workerTensors: replies.map((r) => r.numTensors) };
}

/**
 * out[i] = (…((0 + s₀·g₀[i]) + s₁·g₁[i]) + …) with each partial sum rounded to float32. Two parts (two
 * threads, the default on two cores) in one pass over the arrays, which reads and writes `out` once (≈3×
 * faster at 3.3 M parameters); more, one array at a time, as a float32 array stores each step: the same values.
 */
export function _weightedSum(parts: Array<{ share: number; grads: Float32Array }>, out: Float32Array): Float32Array {
  if (parts.length === 2) {
    const [{ share: s0, grads: g0 }, { share: s1, grads: g1 }] = parts as [(typeof parts)[0], (typeof parts)[0]];
    for (let i = 0; i < out.length; i++) out[i] = Math.fround(0 + s0 * g0[i]!) + s1 * g1[i]!;
    return out;
  }
  out.fill(0);
  for (const { share, grads } of parts) for (let i = 0; i < out.length; i++) out[i] = out[i]! + share * grads[i]!;
  return out;
}

/** One generate() call on worker `k` (weights copied from `model` first when `syncWeights`). */
export async function generateOnWorker(
  pool: WorkerPool,
  model: GPT,
  k: number,
  prompts: number[][],
  options: Partial<GenerateOptions>,
  syncWeights: boolean,
): Promise<Generation> {
  const worker = pool.workers[k];
  if (!worker) throw new Error(`generateOnWorker: the pool has no worker ${k}`);
  if (syncWeights) flatWeights(model, pool.weights);
  const reply = (await _ask(worker, { type: "generate", syncWeights, prompts, options })) as Extract<WorkerReply, { type: "generate" }>;
  return { tokens: reply.tokens, finished: reply.finished, steps: reply.steps };
}

/** generate() with the prompts split into contiguous row ranges across the pool's threads. Greedy: the same
 * tokens as one generate call (a row decodes the same in any left-padded batch). Sampled: the range from
 * row r draws from its own stream, seed + r (the first range's is the single call's). */
export async function parallelGenerate(
  pool: WorkerPool,
  model: GPT,
  prompts: number[][],
  options: Partial<GenerateOptions> = {},
): Promise<Generation> {
  const ranges = splitRows(prompts.length, pool.threads);
  flatWeights(model, pool.weights);
  const asks = ranges.slice(1).map(([from, to], k) =>
    _ask(pool.workers[k]!, {
      type: "generate",
      syncWeights: true,
      prompts: prompts.slice(from, to),
      options: { ...options, seed: (options.seed ?? defaultGenerateOptions.seed) + from },
    }),
  );
  const first = ranges[0] ? generate(model, prompts.slice(ranges[0][0], ranges[0][1]), options) : { tokens: [], finished: [], steps: 0 };
  const rest = (await Promise.all(asks)) as Array<Extract<WorkerReply, { type: "generate" }>>;
  const all = [first, ...rest];
  return { tokens: all.flatMap((g) => g.tokens), finished: all.flatMap((g) => g.finished), steps: Math.max(...all.map((g) => g.steps)) };
}
