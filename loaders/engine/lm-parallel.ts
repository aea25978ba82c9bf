/**
 * `generateTexts` with its batches spread over a worker pool (dataparallel.ts): the same plan (cut,
 * length-sorted batches, one seed per batch), each batch decoded whole by one thread, so every text is
 * the one `generateTexts` decodes, greedy or sampled, for any number of threads. Node only (worker
 * threads); the browser keeps `generateTexts`.
 */
import { closeWorkerPool, createWorkerPool, defaultWorkers, generateOnWorker, type WorkerPool } from "./dataparallel.js";
import { generate } from "./generate.js";
import { batchOptions, generateTexts, generationProgress, planGeneration, type Decoding, type Generated } from "./lm.js";
import { silentLogger, type Logger } from "./log.js";
import type { GPT } from "./model.js";
import type { Tokenizer } from "./tokenizer/bpe.js";

/** Texts for `prompts`, batch j on thread j mod N (the main thread is thread 0); one thread: `generateTexts`. */
export async function generateTextsOn(
  pool: WorkerPool | null,
  model: GPT,
  tok: Tokenizer,
  prompts: readonly string[],
  decoding: Decoding,
  log: Logger = silentLogger,
  label = "generate",
): Promise<Generated[]> {
  if (!pool || pool.threads === 1) return generateTexts(model, tok, prompts, decoding, log, label);
  const plan = planGeneration(model, tok, prompts, decoding);
  const out: Generated[] = new Array(prompts.length);
  const landed = generationProgress(prompts.length, log, label);
  // A worker's first batch (j < N) carries the weights.
  const asks = plan.batches.flatMap(({ rows, seed }, j) => {
    const thread = j % pool.threads;
    if (thread === 0) return [];
    const batch = rows.map((i) => plan.ids[i]!);
    const options = batchOptions(plan, decoding, seed);
    return [generateOnWorker(pool, model, thread - 1, batch, options, j < pool.threads).then((r) => landed(rows, r, tok, out))];
  });
  // The main thread's batches run while the workers decode theirs; their replies land between batches.
  for (const [j, { rows, seed }] of plan.batches.entries()) {
    if (j % pool.threads !== 0) continue;
    landed(
      rows,
      generate(
        model,
        rows.map((i) => plan.ids[i]!),
        batchOptions(plan, decoding, seed),
      ),
      tok,
      out,
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  await Promise.all(asks);
  return out;
}

/** Runs `fn` with a pool of the machine's threads (ALIGNER_WORKERS) for `model`, closed afterwards; none for one thread. */
export async function withGenerationPool<T>(
  model: GPT,
  fn: (pool: WorkerPool | null) => Promise<T>,
  threads = defaultWorkers(),
): Promise<T> {
  const pool = threads > 1 ? await createWorkerPool(model, threads) : null;
  try {
    return await fn(pool);
  } finally {
    if (pool) await closeWorkerPool(pool);
  }
}
