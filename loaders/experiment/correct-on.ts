/**
 * The Aligner's corrections with the decoding spread over worker threads (engine/lm-parallel.ts): the
 * same texts as `correctAnswers`, for any number of threads. Node only; the Playground keeps
 * `correctAnswers`.
 */
import { generateTextsOn } from "../engine/lm-parallel.js";
import type { WorkerPool } from "../engine/dataparallel.js";
import type { GPT } from "../engine/model.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { correctionRounds, type CorrectOptions, type Corrected } from "./aligner.js";
import type { TemplateId } from "./templates.js";

export async function correctAnswersOn(
  pool: WorkerPool | null,
  model: GPT,
  tok: Tokenizer,
  pairs: readonly { question: string; answer: string }[],
  template: TemplateId,
  options: Omit<CorrectOptions, "onToken">,
): Promise<Corrected> {
  const rounds = correctionRounds(model, tok, pairs, template, options);
  for (let step = rounds.next(); ;) {
    if (step.done) return step.value;
    const { prompts, decoding, label } = step.value;
    step = rounds.next(await generateTextsOn(pool, model, tok, prompts, decoding, options.log, label));
  }
}
