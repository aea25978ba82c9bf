/**
 * Text in, text out on top of the engine: encode (prompt, target) strings as training examples and
 * generate continuations for many prompts in length-sorted batches.
 */
import { generate } from "./generate.js";
import type { Logger } from "./log.js";
import { silentLogger } from "./log.js";
import type { GPT } from "./model.js";
import { BOS_ID, EOS_ID, PAD_ID, type Tokenizer } from "./tokenizer/bpe.js";
import type { Example } from "./train.js";

/** The chat wrapper the upstream language models answer in (the paper's conversation format). */
export const chatPrompt = (question: string): string => `BEGINNING OF CONVERSATION: USER: ${question} ASSISTANT:`;

/** BOS + prompt as context, " " + target + EOS as the span the loss sees. */
export function encodeExample(tok: Tokenizer, prompt: string, target: string): Example {
  return { prompt: [BOS_ID, ...tok.encode(prompt)], target: [...tok.encode(` ${target}`), EOS_ID] };
}

export interface Decoding {
  /** 0 = greedy. */
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
  batchSize: number;
  seed: number;
}

/** Decoding settings as a preset gives them (the seed comes from the run). */
export type DecodingSettings = Omit<Decoding, "seed">;

export interface Generated {
  text: string;
  /** Stopped at maxNewTokens (or the model's length) without EOS. */
  hitLimit: boolean;
}

/** How `generateTexts` cuts and batches prompts: one `generate` call per batch, each with its own seed. */
export interface GenerationPlan {
  /** New tokens per sequence (maxNewTokens capped by the model's length). */
  room: number;
  /** BOS + prompt ids, cut to their last tokens where too long. */
  ids: number[][];
  /** Prompt indices per batch (length-sorted), with the batch's sampling seed. */
  batches: { rows: number[]; seed: number }[];
}

export function planGeneration(model: GPT, tok: Tokenizer, prompts: readonly string[], decoding: Decoding): GenerationPlan {
  const room = Math.max(1, Math.min(decoding.maxNewTokens, model.config.maxLen - 1));
  const maxPrompt = model.config.maxLen - room;
  const ids = prompts.map((p) => {
    const all = [BOS_ID, ...tok.encode(p)];
    return all.length > maxPrompt ? all.slice(all.length - maxPrompt) : all;
  });
  const order = ids.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length);
  const batches: GenerationPlan["batches"] = [];
  for (let start = 0; start < order.length; start += decoding.batchSize)
    batches.push({ rows: order.slice(start, start + decoding.batchSize), seed: decoding.seed + start });
  return { room, ids, batches };
}

/** The options of one planned batch's `generate` call. */
export const batchOptions = (plan: GenerationPlan, decoding: Decoding, seed: number) => ({
  maxNewTokens: plan.room,
  temperature: decoding.temperature,
  topK: decoding.topK,
  topP: decoding.topP,
  eosId: EOS_ID,
  padId: PAD_ID,
  seed,
});

/** Progress of a generation: batches land in `out`, and the log hears how far it got and how fast. */
export function generationProgress(total: number, log: Logger, label: string) {
  const started = performance.now();
  let tokens = 0;
  let done = 0;
  let batches = 0;
  return (rows: readonly number[], result: { tokens: number[][]; finished: boolean[] }, tok: Tokenizer, out: Generated[]) => {
    rows.forEach((i, k) => {
      const t = result.tokens[k]!;
      tokens += t.length;
      out[i] = { text: tok.decode(t).trim(), hitLimit: !result.finished[k] };
    });
    done += rows.length;
    batches += 1;
    const perS = Math.round(tokens / ((performance.now() - started) / 1000));
    log.progress?.(label, done, total, { detail: `${perS} tokens/s` });
    if (done === total || batches % 10 === 0) log.info(`generated ${done}/${total} (${perS} tokens/s)`);
  };
}

/**
 * Continues every prompt; prompts too long for the model keep their last tokens. `onToken(prompt, id)`
 * sees each new token as it is decoded (a page streams a correction with it). `generateTextsOn`
 * (lm-parallel.ts) gives the same texts with the batches spread over worker threads.
 */
export function generateTexts(
  model: GPT,
  tok: Tokenizer,
  prompts: readonly string[],
  decoding: Decoding,
  log: Logger = silentLogger,
  label = "generate",
  onToken: ((prompt: number, id: number) => void) | null = null,
): Generated[] {
  const plan = planGeneration(model, tok, prompts, decoding);
  const out: Generated[] = new Array(prompts.length);
  const landed = generationProgress(prompts.length, log, label);
  for (const { rows, seed } of plan.batches) {
    const result = generate(
      model,
      rows.map((i) => plan.ids[i]!),
      { ...batchOptions(plan, decoding, seed), onToken: onToken && ((row, id) => onToken(rows[row]!, id)) },
    );
    landed(rows, result, tok, out);
  }
  return out;
}
