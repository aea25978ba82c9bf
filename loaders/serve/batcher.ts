/**
 * Batching for `aligner serve`. Requests to the same model that arrive within a short window (5 ms)
 * are decoded in one `generate` call, at most `maxBatch` at a time, oldest first. Only requests with
 * the same sampling share a batch: greedy ones together, sampled ones by (temperature, top_p, top_k);
 * a sampled request with its own seed is decoded alone, so its seed reproduces it.
 *
 * A batch decodes as many steps as its longest request still wants, capped by the room the longest
 * prompt leaves below the model's maxLen; each sequence keeps only its own share. A sequence the cap
 * cut short goes back to the queue as prompt + tokens so far and continues in a later batch. As
 * `generate` left-pads and masks, a greedy request gets the same tokens in any batch as alone.
 *
 * Decoding is synchronous: one batch runs at a time, and between batches the event loop reads new
 * requests (which then join the next batch without waiting for a window).
 */
import { generate } from "../engine/generate.js";
import { silentLogger, type Logger } from "../engine/log.js";
import { EOS_ID, PAD_ID } from "../engine/tokenizer/bpe.js";
import { HttpError } from "./protocol.js";
import type { ServedModel } from "./registry.js";

export interface Sampling {
  temperature: number; // 0 = greedy
  topP: number; // 1 = off
  topK: number; // 0 = off
  seed?: number; // sampled requests with a seed are decoded alone
}

export interface SequenceRequest {
  /** BOS + prompt ids; shorter than the model's maxLen. */
  ids: number[];
  /** New tokens at most; ids.length + maxNewTokens ≤ maxLen. */
  maxNewTokens: number;
  sampling: Sampling;
}

export interface SequenceResult {
  /** New tokens, EOS excluded. */
  tokens: number[];
  /** Emitted EOS within maxNewTokens. */
  finished: boolean;
}

export interface BatchStats {
  /** Sequences submitted (one per prompt). */
  sequences: number;
  /** `generate` calls made: the batches formed, continuations included. */
  generate_calls: number;
  largest_batch: number;
  /** Sequences decoded per call on average. */
  mean_batch: number;
  /** Times a sequence cut short by a batch's room went back to the queue. */
  continued: number;
  new_tokens: number;
}

export interface BatcherOptions {
  windowMs?: number; // 5: how long the first request of an idle server waits for company
  maxBatch?: number; // 32: sequences per generate call at most
  seed?: number; // 1: sampling stream of batches without a request seed (advances per batch)
  log?: Logger;
}

export interface Batcher {
  submit(model: ServedModel, request: SequenceRequest): Promise<SequenceResult>;
  stats(): BatchStats;
  /** Fails queued sequences with 503 and takes no more. */
  close(): void;
}

interface _Job {
  model: ServedModel;
  ids: number[];
  out: number[];
  remaining: number;
  sampling: Sampling;
  key: string;
  arrival: number;
  resolve(result: SequenceResult): void;
  reject(error: unknown): void;
}

const _key = (s: Sampling, arrival: number) =>
  s.temperature <= 0 ? "greedy" : s.seed !== undefined ? `seeded#${arrival}` : `t=${s.temperature} p=${s.topP} k=${s.topK}`;

export function createBatcher({ windowMs = 5, maxBatch = 32, seed = 1, log = silentLogger }: BatcherOptions = {}): Batcher {
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`maxBatch must be a positive integer, got ${maxBatch}`);
  const pending: _Job[] = []; // in arrival order; continuations keep their place
  const stats = { sequences: 0, generate_calls: 0, largest_batch: 0, decoded: 0, continued: 0, new_tokens: 0 };
  let arrivals = 0;
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  let closed = false;

  function schedule(delayMs: number): void {
    if (closed || pending.length === 0 || immediate) return;
    if (delayMs > 0 && !timer) timer = setTimeout(step, delayMs);
    if (delayMs === 0) {
      clearTimeout(timer);
      timer = undefined;
      immediate = setImmediate(step);
    }
  }

  /** The oldest request and those it can share a batch with, removed from the queue. */
  function take(): _Job[] {
    const first = pending[0]!;
    const batch: _Job[] = [];
    for (let i = 0; i < pending.length && batch.length < maxBatch; i++) {
      const job = pending[i]!;
      if (job.model === first.model && job.key === first.key) batch.push(...pending.splice(i--, 1));
    }
    return batch;
  }

  function step(): void {
    timer = undefined;
    immediate = undefined;
    if (closed || pending.length === 0) return;
    decode(take());
    schedule(0);
  }

  function decode(batch: _Job[]): void {
    const { model } = batch[0]!;
    const sampling = batch[0]!.sampling;
    const longest = Math.max(...batch.map((j) => j.ids.length));
    const steps = Math.min(model.maxLen - longest, Math.max(...batch.map((j) => j.remaining)));
    stats.generate_calls++;
    stats.decoded += batch.length;
    stats.largest_batch = Math.max(stats.largest_batch, batch.length);
    let result: ReturnType<typeof generate>;
    try {
      result = generate(
        model.model,
        batch.map((j) => j.ids),
        {
          maxNewTokens: steps,
          temperature: sampling.temperature,
          topK: sampling.topK,
          topP: sampling.topP,
          eosId: EOS_ID,
          padId: PAD_ID,
          seed: sampling.seed ?? seed + stats.generate_calls,
        },
      );
    } catch (error) {
      log.error(`generate failed on a batch of ${batch.length} for ${model.id}: ${(error as Error).message}`);
      for (const job of batch) job.reject(error);
      return;
    }
    log.debug(`${model.id}: batch of ${batch.length}, ${result.steps} steps`);
    batch.forEach((job, k) => {
      const tokens = result.tokens[k]!;
      const kept = tokens.slice(0, job.remaining);
      job.out.push(...kept);
      stats.new_tokens += kept.length;
      if (tokens.length >= job.remaining || result.finished[k]) {
        job.resolve({ tokens: job.out, finished: result.finished[k]! && tokens.length < job.remaining });
        return;
      }
      job.ids = [...job.ids, ...tokens]; // cut short by the batch's room: continue later
      job.remaining -= tokens.length;
      stats.continued++;
      const at = pending.findIndex((j) => j.arrival > job.arrival);
      pending.splice(at < 0 ? pending.length : at, 0, job);
    });
  }

  return {
    submit(model, { ids, maxNewTokens, sampling }) {
      if (closed) return Promise.reject(new HttpError(503, "the server is shutting down", "shutting_down"));
      if (ids.length === 0 || ids.length + maxNewTokens > model.maxLen || maxNewTokens < 1) {
        return Promise.reject(
          new RangeError(`${ids.length} prompt + ${maxNewTokens} new tokens do not fit ${model.id}'s maxLen ${model.maxLen}`),
        );
      }
      stats.sequences++;
      return new Promise<SequenceResult>((resolve, reject) => {
        const arrival = arrivals++;
        pending.push({ model, ids, out: [], remaining: maxNewTokens, sampling, key: _key(sampling, arrival), arrival, resolve, reject });
        schedule(pending.length >= maxBatch ? 0 : windowMs);
      });
    },
    stats: () => {
      const { decoded, ...rest } = stats;
      return { ...rest, mean_batch: stats.generate_calls ? Math.round((decoded / stats.generate_calls) * 100) / 100 : 0 };
    },
    close() {
      closed = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      for (const job of pending.splice(0)) job.reject(new HttpError(503, "the server is shutting down", "shutting_down"));
    },
  };
}
