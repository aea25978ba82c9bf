/**
 * Text generation from token-id prompts: KV-cache decoding (or full recomputation, for checking),
 * greedy or sampled (temperature, top-k, top-p), batched prompts of different lengths, per-sequence
 * stop at EOS, seeded. Prompts are left-padded: the padding is masked out of attention and position
 * ids start at each prompt's first real token, so a sequence decodes the same alone or in a batch.
 */
import { createLogger } from "./log.js";
import { forwardRows, type GPT, type TokenBatch } from "./model.js";
import { createKVCache, decodeStep, disposeKVCache, prefill } from "./kvcache.js";
import { createRng, type Rng } from "./random.js";
import { readFloats } from "./readback.js";

export interface GenerateOptions {
  maxNewTokens: number; // 64: new tokens per sequence at most (also capped by the model's maxLen)
  temperature: number; // 0: greedy; > 0 samples from softmax(logits / temperature)
  topK: number; // 0 = off: sample among the k most likely tokens
  topP: number; // 1 = off: sample from the smallest set whose probability reaches p (nucleus)
  eosId: number; // -1 = none: a sequence stops after emitting it (tokenizer/bpe.ts's EOS_ID is 2)
  padId: number; // 0: fills the left padding (never attended to, so any id works)
  seed: number; // 1: sampling stream
  useCache: boolean; // true: KV cache; false recomputes the whole prefix each step (for tests)
  onToken: ((row: number, id: number) => void) | null; // null: called with each new token (EOS excluded) as it is decoded, for streaming
}

export const defaultGenerateOptions: Readonly<GenerateOptions> = Object.freeze({
  maxNewTokens: 64,
  temperature: 0,
  topK: 0,
  topP: 1,
  eosId: -1,
  padId: 0,
  seed: 1,
  useCache: true,
  onToken: null,
});

export interface Generation {
  tokens: number[][]; // new tokens per prompt, EOS excluded
  finished: boolean[]; // the sequence emitted EOS
  steps: number; // decode steps run (the longest sequence's new tokens)
}

const log = createLogger("generate");

/** Continues each prompt (token ids) with up to maxNewTokens tokens. */
export function generate(model: GPT, prompts: number[][], options: Partial<GenerateOptions> = {}): Generation {
  const opts = { ...defaultGenerateOptions, ...options };
  for (const key of Object.keys(options)) if (!(key in defaultGenerateOptions)) throw new Error(`unknown generate option "${key}"`);
  if (prompts.length === 0) return { tokens: [], finished: [], steps: 0 };
  if (prompts.some((p) => p.length === 0)) throw new Error("every prompt needs at least one token");
  const B = prompts.length;
  const T0 = Math.max(...prompts.map((p) => p.length));
  const room = model.config.maxLen - T0;
  if (room <= 0) throw new Error(`the longest prompt (${T0} tokens) leaves no room below maxLen ${model.config.maxLen}`);
  const steps = Math.min(opts.maxNewTokens, room);
  if (steps < opts.maxNewTokens) log.warn(`maxNewTokens ${opts.maxNewTokens} capped at ${steps} by maxLen ${model.config.maxLen}`);
  const rng = createRng(opts.seed);
  const tokens: number[][] = prompts.map(() => []);
  const finished = prompts.map(() => false);
  const sequences = prompts.map((p) => p.slice());

  const pick = (logits: Float32Array) => {
    const V = model.config.vocabSize;
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      next[b] = sampleToken(logits.subarray(b * V, (b + 1) * V), opts, rng);
      if (finished[b]) continue;
      if (next[b] === opts.eosId) finished[b] = true;
      else {
        tokens[b]!.push(next[b]!);
        opts.onToken?.(b, next[b]!);
      }
    }
    return next;
  };

  let run = 0;
  if (opts.useCache) {
    const cache = createKVCache(model, B, T0 + steps);
    try {
      const { batch, keyValid } = leftPad(prompts, T0, opts.padId);
      let next = pick(prefill(model, cache, batch, keyValid));
      for (run = 1; run < steps && !finished.every(Boolean); run++) next = pick(decodeStep(model, cache, next));
    } finally {
      disposeKVCache(cache);
    }
  } else {
    for (run = 0; run < steps && !finished.every(Boolean); run++) {
      const T = T0 + run;
      const { batch, keyValid, positions } = leftPad(sequences, T, opts.padId);
      const last = Int32Array.from({ length: B }, (_, b) => b * T + T - 1);
      const logits = forwardRows(model, batch, last, { keyValid, positions });
      const next = pick(readFloats(logits));
      logits.dispose();
      next.forEach((id, b) => sequences[b]!.push(id));
    }
  }
  return { tokens, finished, steps: run };
}

/** Left-pads sequences to length T: ids [B*T], keyValid [B*T] (1 = real), positions [B*T] from 0 per row. */
export function leftPad(seqs: number[][], T: number, padId: number): { batch: TokenBatch; keyValid: Uint8Array; positions: Int32Array } {
  const B = seqs.length;
  const ids = new Int32Array(B * T).fill(padId);
  const keyValid = new Uint8Array(B * T);
  const positions = new Int32Array(B * T);
  seqs.forEach((s, b) => {
    const pad = T - s.length;
    s.forEach((id, i) => {
      ids[b * T + pad + i] = id;
      keyValid[b * T + pad + i] = 1;
      positions[b * T + pad + i] = i;
    });
  });
  return { batch: { ids, batch: B, length: T }, keyValid, positions };
}

/** One token from a row of logits: argmax when temperature is 0, else a seeded top-k / top-p sample. */
export function sampleToken(logits: Float32Array, opts: Pick<GenerateOptions, "temperature" | "topK" | "topP">, rng: Rng): number {
  if (opts.temperature <= 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
    return best;
  }
  if (opts.topK <= 0 && opts.topP >= 1) {
    // Plain temperature sampling needs no sort: one pass for the max, one for the weights, one to draw
    // (the same draw as the sorted path would make only in distribution, not token for token).
    let top = -Infinity;
    for (let i = 0; i < logits.length; i++) if (logits[i]! > top) top = logits[i]!;
    let total = 0;
    for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i]! - top) / opts.temperature);
    let r = rng() * total;
    for (let i = 0; i < logits.length; i++) {
      r -= Math.exp((logits[i]! - top) / opts.temperature);
      if (r < 0) return i;
    }
    return logits.length - 1;
  }
  let order = Array.from(logits.keys()).sort((a, b) => logits[b]! - logits[a]! || a - b); // most likely first
  if (opts.topK > 0) order = order.slice(0, opts.topK);
  const top = logits[order[0]!]!;
  const weights = order.map((i) => Math.exp((logits[i]! - top) / opts.temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  if (opts.topP < 1) {
    let kept = 0;
    let mass = 0;
    while (kept < weights.length && mass < opts.topP * total) mass += weights[kept++]!;
    order = order.slice(0, Math.max(kept, 1));
    weights.length = order.length;
    total = mass;
  }
  let r = rng() * total;
  for (let i = 0; i < order.length; i++) {
    r -= weights[i]!;
    if (r < 0) return order[i]!;
  }
  return order[order.length - 1]!;
}
