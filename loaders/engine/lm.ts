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

/**
 * Continues every prompt; prompts too long for the model keep their last tokens. `onToken(prompt, id)`
 * sees each new token as it is decoded (a page streams a correction with it).
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
  const room = Math.max(1, Math.min(decoding.maxNewTokens, model.config.maxLen - 1));
  const maxPrompt = model.config.maxLen - room;
  const ids = prompts.map((p) => {
    const all = [BOS_ID, ...tok.encode(p)];
    return all.length > maxPrompt ? all.slice(all.length - maxPrompt) : all;
  });
  const order = ids.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length);
  const out: Generated[] = new Array(prompts.length);
  const started = performance.now();
  let tokens = 0;
  for (let start = 0; start < order.length; start += decoding.batchSize) {
    const batch = order.slice(start, start + decoding.batchSize);
    const result = generate(
      model,
      batch.map((i) => ids[i]!),
      {
        maxNewTokens: room,
        temperature: decoding.temperature,
        topK: decoding.topK,
        topP: decoding.topP,
        eosId: EOS_ID,
        padId: PAD_ID,
        seed: decoding.seed + start,
        onToken: onToken && ((row, id) => onToken(batch[row]!, id)),
      },
    );
    batch.forEach((i, k) => {
      const t = result.tokens[k]!;
      tokens += t.length;
      out[i] = { text: tok.decode(t).trim(), hitLimit: !result.finished[k] };
    });
    const done = Math.min(start + decoding.batchSize, order.length);
    const perS = Math.round(tokens / ((performance.now() - started) / 1000));
    log.progress?.(label, done, order.length, { detail: `${perS} tokens/s` });
    if (done === order.length || (start / decoding.batchSize) % 10 === 9) {
      const s = (performance.now() - started) / 1000;
      log.info(`generated ${done}/${order.length} (${Math.round(tokens / s)} tokens/s)`);
    }
  }
  return out;
}
