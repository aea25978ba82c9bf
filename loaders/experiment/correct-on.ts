/**
 * The Aligner's corrections with the decoding spread over worker threads (engine/lm-parallel.ts): the
 * same texts as `correctAnswers`, for any number of threads. Node only; the Playground keeps
 * `correctAnswers`.
 */
import { generateTextsOn } from "../engine/lm-parallel.js";
import type { WorkerPool } from "../engine/dataparallel.js";
import type { Generated } from "../engine/lm.js";
import type { GPT } from "../engine/model.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { correctAnswersWith, type CorrectOptions } from "./aligner.js";
import type { TemplateId } from "./templates.js";

export function correctAnswersOn(
  pool: WorkerPool | null,
  model: GPT,
  tok: Tokenizer,
  pairs: readonly { question: string; answer: string }[],
  template: TemplateId,
  options: Omit<CorrectOptions, "onToken">,
): Promise<{ rounds: Generated[][]; greedy: Generated[][] }> {
  const decode = (prompts: string[], decoding: CorrectOptions["decoding"], label: string) =>
    generateTextsOn(pool, model, tok, prompts, decoding, options.log, label);
  return correctAnswersWith(decode, model, tok, pairs, template, options);
}
