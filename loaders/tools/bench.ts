/**
 * Engine benchmark, side by side with ../shared/bench/torch_gpt.py (same model sizes, task, data stream,
 * optimizer and output fields). Prints one JSON line per measurement to stdout; progress goes to stderr.
 *
 *   npm run bench -- --size S|M|L [--steps 30] [--warmup 5] [--only train|generate|gemm] [--no-cache] [--backend wasm]
 *                    [--path device|host] [--workers N] [--vs-torch] [--rounds 1]
 *
 * --path picks the hot path (engine/hotpath.ts; default: the backend's); every row reports readbacks
 * (engine/readback.ts): per training step, and per generated token batch (prefill included).
 * --workers sets ALIGNER_WORKERS (training threads, default the machine's cores). --vs-torch
 * also runs loaders/tools/torch_gpt.py in the same run (bench-torch.ts) and prints its rows and the ratios.
 * --rounds N repeats the measurement N times, tfjs and torch back to back in each round (torch first in
 * even rounds), tags every row with its round and ends with one `ratio_summary` line per figure: the
 * median, min and max of the N paired ratios (on a machine whose speed drifts, one ratio is one sample).
 * --only gemm times the matmuls of one training shard alone, beside PyTorch's with --vs-torch (bench-gemm.ts).
 *
 * Training: plain Adam at lr 3e-3 (torch_gpt.py's optimizer: no decay, clipping or schedule) on batches of
 * "64 random letters | the letters reversed", loss on the reversed half; tokens/s counts the batch's
 * non-padding tokens (all 4096 here) over the median step. Generation: greedy, 64-token prompts, 64 new
 * tokens with the KV cache, batch 1 and 32, untrained seed-1 weights; tokens/s = B·64 / (prefill + decode).
 */
import * as tf from "@tensorflow/tfjs";
import { pathToFileURL } from "node:url";
import { selectBackend, type BackendInfo, type BackendRequest } from "../engine/backend.js";
import { generate } from "../engine/generate.js";
import { hotPath } from "../engine/hotpath.js";
import { closeWorkerPool, createWorkerPool, defaultWorkers, parallelGenerate } from "../engine/dataparallel.js";
import { readbackCount } from "../engine/readback.js";
import { benchGemm, firstShardRows } from "./bench-gemm.js";
import { bestTorch, ratioRows, runTorch, TORCH_SETTINGS, torchSkipReason, type TorchRow } from "./bench-torch.js";
import { createLogger } from "../engine/log.js";
import { median } from "../experiment/metrics.js";
import { countParams, createModel, disposeModel, resolveModelConfig, type ModelConfig } from "../engine/model.js";
import { createRng, type Rng } from "../engine/random.js";
import { trainModel, type Example } from "../engine/train.js";

export const SIZES = {
  S: { vocabSize: 256, dModel: 128, nHeads: 4, nLayers: 2, maxLen: 128, batch: 32 },
  M: { vocabSize: 256, dModel: 256, nHeads: 8, nLayers: 4, maxLen: 128, batch: 32 },
  L: { vocabSize: 256, dModel: 512, nHeads: 8, nLayers: 8, maxLen: 128, batch: 32 },
} as const;
export type Size = keyof typeof SIZES;

const log = createLogger("bench");

/** torch_gpt.py's make_batch as examples: n = (T-2)//2+1 letters, "|", the letters reversed; loss on the reversed half. */
export function reverseExamples(rng: Rng, count: number, T: number): Example[] {
  const n = Math.floor((T - 2) / 2) + 1;
  return Array.from({ length: count }, () => {
    const s = Array.from({ length: n }, () => 97 + Math.floor(rng() * 26));
    return { prompt: [...s, 124], target: s.slice().reverse() }; // inputs = first T tokens, as torch's x = seq[:T]
  });
}

/** Forward matmul FLOPs × 3 per step, torch_gpt.py's formula (the full T×T attention square included). */
export function stepFlops(c: ModelConfig, B: number, T: number): number {
  const N = B * T;
  const D = c.dModel;
  const per = 2 * N * D * 3 * D + 2 * N * D * D + 2 * 2 * N * D * 4 * D + 2 * 2 * B * T * T * D;
  return 3 * (c.nLayers * per + 2 * N * D * c.vocabSize);
}

interface Common {
  kind: "train" | "generate";
  size: Size;
  batch: number;
  tokens_per_s: number;
  backend: string;
  threads: number;
  peak_rss_mb: number;
  num_tensors_before: number;
  num_tensors_after: number;
}

function _common(info: BackendInfo): Pick<Common, "backend" | "threads" | "peak_rss_mb"> & { hot_path: string } {
  return {
    backend: info.backend,
    threads: info.threads,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    hot_path: hotPath(),
  };
}

/** The element at index ⌊n/2⌋ of the sorted values: torch_gpt.py's `times[len(times) // 2]`, so both sides take the same step. */
function _upperMedian(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Training throughput: the median of `steps` timed steps after `warmup` untimed ones. */
export async function benchTrain(
  size: Size,
  info: BackendInfo,
  { steps = 30, warmup = 5 } = {},
): Promise<Common & Record<string, unknown>> {
  const { batch: B, ...config } = SIZES[size];
  const T = config.maxLen;
  const model = createModel(config, { seed: 1 });
  const examples = reverseExamples(createRng(1234), (steps + warmup) * B, T);
  const before = tf.memory().numTensors;
  const reads: number[] = [];
  let lastReads = readbackCount();
  const adam = { lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, gradClip: 0, lrWarmupRatio: 0, minLrRatio: 1 };
  const { log: rows } = await trainModel(
    model,
    examples,
    { ...adam, steps: steps + warmup, batchSize: B },
    {
      onStep: (r) => {
        reads.push(readbackCount() - lastReads);
        lastReads = readbackCount();
        log.info(`train ${size} step ${r.step}/${steps + warmup} loss ${r.loss.toFixed(4)} ${Math.round(r.tokens_per_s)} tok/s`);
      },
    },
  );
  const after = tf.memory().numTensors;
  const timed = rows.slice(warmup);
  const seconds = _upperMedian(timed.map((r) => r.tokens / r.tokens_per_s));
  const tokens = timed[0]!.tokens;
  const result = {
    kind: "train" as const,
    size,
    batch: B,
    tokens_per_s: Math.round(tokens / seconds),
    ..._common(info),
    num_tensors_before: before,
    num_tensors_after: after,
    framework: `tfjs ${tf.version.tfjs}`,
    params: countParams(model),
    gflops: Number((stepFlops(model.config, B, T) / seconds / 1e9).toFixed(2)),
    median_step_s: Number(seconds.toFixed(4)),
    workers: defaultWorkers(), // threads computing each step's gradients (engine/dataparallel.ts)
    readbacks_per_step: _upperMedian(reads.slice(warmup)),
    loss_first: Number(rows[0]!.loss.toFixed(4)),
    loss_last: Number(rows.at(-1)!.loss.toFixed(4)),
  };
  disposeModel(model);
  return result;
}

/** Greedy generation throughput with the KV cache at each batch size (≥ 2 repetitions and ≥ 2 s each): one row
 * per batch on one thread, and for batches of more than one row a second on `workers` threads (the batch's
 * rows split across them, engine/dataparallel.ts's parallelGenerate, as correction and answering run). */
export async function benchGenerate(
  size: Size,
  info: BackendInfo,
  { batches = [1, 32], noCache = false, workers = defaultWorkers() } = {},
): Promise<Array<Common & Record<string, unknown>>> {
  const { batch: _, ...config } = SIZES[size];
  const model = createModel(config, { seed: 1 });
  const rng = createRng(99);
  const out: Array<Common & Record<string, unknown>> = [];
  const pool = workers > 1 && batches.some((b) => b > 1) ? await createWorkerPool(model, workers) : null;
  try {
    for (const B of batches) {
      const prompts = reverseExamples(rng, B, config.maxLen).map((e) => e.prompt.slice(0, 64));
      const run = (useCache: boolean) => generate(model, prompts, { maxNewTokens: 64, useCache });
      const readsBefore = readbackCount();
      const first = run(true); // warm-up (and XNNPACK weight packing)
      const reads = readbackCount() - readsBefore;
      const before = tf.memory().numTensors;
      const seconds = await _timed(async () => void run(true));
      const after = tf.memory().numTensors;
      const row: Common & Record<string, unknown> = {
        kind: "generate",
        size,
        batch: B,
        tokens_per_s: Number(((B * 64) / seconds).toFixed(1)),
        ..._common(info),
        workers: 1,
        num_tensors_before: before,
        num_tensors_after: after,
        prompt_tokens: 64,
        new_tokens: 64,
        readbacks_per_token_batch: Number((reads / 64).toFixed(2)), // one generate call's readbacks (prefill included) / 64 steps
        framework: `tfjs ${tf.version.tfjs}`,
      };
      if (noCache) {
        const t0 = performance.now();
        const slow = run(false);
        row.no_cache_tokens_per_s = Number(((B * 64) / ((performance.now() - t0) / 1000)).toFixed(1));
        row.kv_matches_no_cache = JSON.stringify(slow.tokens) === JSON.stringify(first.tokens);
      }
      log.info(`generate ${size} batch ${B}: ${row.tokens_per_s} tok/s`);
      out.push(row);
      if (!pool || B < 2) continue;
      const parallel = () => parallelGenerate(pool, model, prompts, { maxNewTokens: 64 });
      const same = JSON.stringify((await parallel()).tokens) === JSON.stringify(first.tokens); // warm-up, and greedy equals one thread
      const threaded = await _timed(async () => void (await parallel()));
      const tokensPerS = Number(((B * 64) / threaded).toFixed(1));
      log.info(`generate ${size} batch ${B} on ${pool.threads} threads: ${tokensPerS} tok/s`);
      out.push({
        ...row,
        tokens_per_s: tokensPerS,
        workers: pool.threads,
        matches_one_thread: same,
        num_tensors_after: tf.memory().numTensors,
      });
    }
  } finally {
    if (pool) await closeWorkerPool(pool);
    disposeModel(model);
  }
  return out;
}

/** Seconds per call of `fn`: repeated for at least 2 s and 2 calls. */
async function _timed(fn: () => Promise<void>): Promise<number> {
  let reps = 0;
  const start = performance.now();
  while (performance.now() - start < 2000 || reps < 2) (await fn(), reps++);
  return (performance.now() - start) / 1000 / reps;
}

function _arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

function _print(row: object): void {
  process.stdout.write(JSON.stringify(row) + "\n");
}

export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  const size = (_arg(args, "size") ?? "S").toUpperCase();
  if (!(size in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(", ")}, got ${size}`);
  const only = _arg(args, "only");
  if (only !== undefined && !["train", "generate", "gemm"].includes(only))
    throw new Error(`--only must be train, generate or gemm, got ${only}`);
  const path = _arg(args, "path");
  if (path !== undefined) {
    if (path !== "device" && path !== "host") throw new Error(`--path must be device or host, got ${path}`);
    process.env.ALIGNER_HOT_PATH = path;
  }
  const workers = _arg(args, "workers");
  if (workers !== undefined) process.env.ALIGNER_WORKERS = workers;
  const rounds = _count(args, "rounds", 1);
  const vsTorch = args.includes("--vs-torch");
  const skip = vsTorch ? torchSkipReason() : undefined;
  if (skip) _print({ kind: "skip", what: "torch", reason: skip });
  const info = await selectBackend((_arg(args, "backend") as BackendRequest | undefined) ?? undefined);
  log.info(`backend ${info.backend} (threads ${info.threads}, simd ${info.simd}), size ${size}, hot path ${hotPath()}`);
  const steps = _count(args, "steps", 30);
  const warmup = _count(args, "warmup", 5, 0);
  const tfjs = async (): Promise<TorchRow[]> => {
    const rows: TorchRow[] = [];
    if (only !== "generate") rows.push(await benchTrain(size as Size, info, { steps, warmup }));
    if (only !== "train") rows.push(...(await benchGenerate(size as Size, info, { noCache: args.includes("--no-cache") })));
    return rows;
  };
  const torch = (): TorchRow[] => {
    const rows: TorchRow[] = [];
    for (const setting of TORCH_SETTINGS) {
      log.info(`torch ${size}, threads ${setting.threads}, OPENBLAS_NUM_THREADS ${setting.blas}`);
      if (only !== "generate") rows.push(...runTorch(["--size", size, "--steps", String(steps), "--warmup", String(warmup)], setting));
      if (only !== "train") rows.push(...runTorch(["--size", size, "--gen"], setting));
    }
    return rows;
  };
  const paired = vsTorch && !skip;
  if (only === "gemm") {
    const { batch, ...config } = SIZES[size as Size];
    const examples = reverseExamples(createRng(1234), firstShardRows(batch, defaultWorkers()), config.maxLen);
    for (let round = 1; round <= rounds; round++) {
      const rows = await benchGemm(size, resolveModelConfig(config), examples, { vsTorch: paired, log: (line) => log.info(line) });
      rows.forEach((row) => _print(rounds > 1 ? { ...row, round } : row));
    }
    return;
  }
  const ratios: Array<Record<string, unknown>> = [];
  for (let round = 1; round <= rounds; round++) {
    if (rounds > 1) log.info(`round ${round}/${rounds}`);
    const tag = <R extends object>(row: R) => (rounds > 1 ? { ...row, round } : row);
    // even rounds measure torch first, so a machine that speeds up or slows down during the run favours neither side
    const torchFirst = paired && round % 2 === 0;
    const torchBefore = torchFirst ? torch() : [];
    const rows = await tfjs();
    rows.forEach((row) => _print(tag(row)));
    if (!paired) continue;
    const torchRows = torchFirst ? torchBefore : torch();
    torchRows.forEach((row) => _print(tag(row)));
    const roundRatios = ratioRows(rows, bestTorch(torchRows)).map(tag);
    roundRatios.forEach(_print);
    ratios.push(...roundRatios);
  }
  if (rounds > 1) summarizeRatios(ratios).forEach(_print);
}

/**
 * One line per figure over the rounds of a `--rounds N --vs-torch` run: each round's ratio is tfjs and torch
 * measured back to back (alternating which goes first), so the ratios are paired, and their median, min
 * and max say how far the machine's drift moves a single run's ratio.
 */
export function summarizeRatios(ratios: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const r of ratios) {
    const key = JSON.stringify([r.what, r.size, r.batch, r.tfjs_workers]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rows) => {
    const values = rows.map((r) => r.ratio as number);
    const first = rows[0]!;
    return {
      kind: "ratio_summary",
      what: first.what,
      size: first.size,
      batch: first.batch,
      tfjs_workers: first.tfjs_workers,
      rounds: values.length,
      median: Number(median(values).toFixed(3)),
      min: Math.min(...values),
      max: Math.max(...values),
      ratios: values,
    };
  });
}

/** A whole-number option (`--name N`, at least `min`), or `fallback` when absent. */
function _count(args: string[], name: string, fallback: number, min = 1): number {
  const raw = _arg(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got ${raw}`);
  return n;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  });
}
