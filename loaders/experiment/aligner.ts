/**
 * The Aligner: a seq2seq corrector μ(correction | question, answer), trained as a causal LM on the
 * template-rendered (question, answer) with the loss on the correction only. Training starts with the
 * identity warm-up (Q-A-A: the target is the answer itself) on a share of the train rows, then learns
 * Q-A-C from that checkpoint with a fresh optimizer, as the paper's two-run recipe does. The upstream's
 * weights are never needed: only its text.
 */
import { encodeExample, generateTexts, type Decoding, type Generated } from "../engine/lm.js";
import type { Logger } from "../engine/log.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadCheckpoint, saveCheckpoint } from "../engine/checkpoint.js";
import { disposeModel, type GPT } from "../engine/model.js";
import { createRng, shuffle } from "../engine/random.js";
import { LIKELIER_OF_TWO, preferCopies, type CopyRule } from "./copy-rule.js";
import { renderPrompt, type TemplateId } from "./templates.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { trainModel, type Example, type StepRow, type TrainConfig, type TrainOptions } from "../engine/train.js";

export interface QacRow {
  question: string;
  answer: string;
  correction: string;
}

/**
 * Q-A-A warm-up examples from a seeded `fraction` of the rows, and Q-A-C examples from all rows.
 * (The paper leaves open whether warm-up rows also appear in Q-A-C; here they do.)
 */
export function alignerExamples(
  rows: readonly QacRow[],
  tok: Tokenizer,
  template: TemplateId,
  { warmupFraction, seed }: { warmupFraction: number; seed: number },
): { warmup: Example[]; main: Example[] } {
  const encode = (r: QacRow, target: string) => encodeExample(tok, renderPrompt(template, r.question, r.answer), target);
  const chosen = shuffle(createRng(seed), rows).slice(0, Math.round(rows.length * warmupFraction));
  return { warmup: chosen.map((r) => encode(r, r.answer)), main: rows.map((r) => encode(r, r.correction)) };
}

export interface AlignerTraining {
  warmup: StepRow[];
  main: StepRow[];
}

/**
 * Trains `model` in place: warm-up steps = main steps × fraction (the same epochs over its share of
 * the data), then the main stage. `checkpoint` names the folder for resumable checkpoints per stage.
 */
export async function trainAligner(
  model: GPT,
  examples: { warmup: Example[]; main: Example[] },
  val: Example[],
  {
    train,
    warmupFraction,
    log,
    checkpointDir,
    name: label = "aligner",
  }: {
    train: Partial<TrainConfig> & { steps: number };
    warmupFraction: number;
    log: Logger;
    checkpointDir?: (stage: string) => string;
    /** The progress line's label: "aligner", "sweep-0.2". */
    name?: string;
  },
): Promise<AlignerTraining> {
  const progress = (stage: string, steps: number) => (r: StepRow) => {
    if (r.step % 50 === 0 || r.step === steps) {
      log.info(
        `aligner ${stage} step ${r.step}/${steps} loss ${r.loss.toFixed(3)}${r.val_loss === null ? "" : ` val ${r.val_loss.toFixed(3)}`} (${Math.round(r.tokens_per_s)} tok/s)`,
      );
    }
  };
  const stage = async (name: string, data: Example[], steps: number) => {
    const dir = checkpointDir?.(name);
    // Loss truncation applies to Q-A-C only: identity targets (copies) are all learnable.
    const config = {
      ...train,
      steps,
      ...(name === "warmup" ? { lossTruncation: 0 } : {}),
      ...(dir ? { checkpointDir: dir } : { checkpointEvery: 0 }),
    };
    const resume = dir ? await resumeInto(model, dir, log) : undefined;
    const result = await trainModel(model, data, config, {
      val,
      logger: log,
      progressLabel: `${label} ${name}`,
      onStep: progress(name, steps),
      ...(resume ? { resume } : {}),
    });
    // A finished stage's checkpoint says so, so a resumed run skips it instead of redoing its last steps.
    if (dir) await saveCheckpoint(dir, model, { optimizer: result.optimizer, trainer: result.trainer });
    return result.log;
  };
  const warmupSteps = Math.round(train.steps * warmupFraction);
  const warmup = warmupSteps > 0 && examples.warmup.length > 0 ? await stage("warmup", examples.warmup, warmupSteps) : [];
  const main = await stage("main", examples.main, train.steps);
  return { warmup, main };
}

/**
 * When `dir` holds a checkpoint of an interrupted stage, copies its weights into `model` and returns
 * the optimizer and trainer state to resume from; otherwise undefined.
 */
export async function resumeInto(model: GPT, dir: string, log: Logger): Promise<Required<TrainOptions>["resume"] | undefined> {
  if (!existsSync(join(dir, "trainer_state.json"))) return undefined;
  const saved = await loadCheckpoint(dir);
  try {
    if (!saved.optimizer || !saved.trainer) return undefined;
    for (const [name, variable] of Object.entries(model.params)) {
      const value = saved.model.params[name];
      if (!value) throw new Error(`${dir}: checkpoint lacks ${name}`);
      variable.assign(value);
    }
    log.info(`resuming from ${dir} at step ${saved.trainer.step}`);
    return { optimizer: saved.optimizer, trainer: saved.trainer };
  } finally {
    disposeModel(saved.model);
  }
}

export interface CorrectOptions {
  decoding: Decoding;
  rounds: number;
  log: Logger;
  copyCandidate?: boolean;
  copyRule?: CopyRule;
  onToken?: (row: number, id: number, round: number) => void;
}

/** The copy candidate (our extension) applied to one round's decoded texts, when the options ask for it. */
function _withCopies(
  model: GPT,
  tok: Tokenizer,
  prompts: string[],
  answers: readonly string[],
  generated: Generated[],
  o: Omit<CorrectOptions, "onToken">,
) {
  if (!o.copyCandidate) return generated;
  const rule = o.copyRule ?? LIKELIER_OF_TWO;
  const before = generated.filter((g, i) => g.text === answers[i]).length;
  const out = preferCopies(model, tok, prompts, answers, generated, rule);
  const after = out.filter((g, i) => g.text === answers[i]).length;
  o.log.info(
    `copy candidate: ${after - before} of ${answers.length} outputs replaced by a copy of the answer (copy rule: margin ${rule.margin} nats, token probability ≥ ${rule.minTokenProb}; copies ${before} → ${after})`,
  );
  return out;
}

/**
 * Corrects each (question, answer); round k > 1 corrects round k − 1's output. Returns every round
 * (`rounds`) and, per round, the greedy text as decoded (`greedy`): the paper's Aligner. With
 * `copyCandidate`, each output in `rounds` is the decoded text or a copy of the answer, as `copyRule`
 * says (`preferCopies`, our extension): a choice between the one decoded text and the answer, scored
 * by the model, so both decodings come from a single decode per round.
 * `onToken(row, id, round)` sees each decoded token as it comes (the Playground streams it).
 * `correctAnswersOn` (correct-on.ts) gives the same corrections with the decoding spread over threads.
 */
export function correctAnswers(
  model: GPT,
  tok: Tokenizer,
  pairs: readonly { question: string; answer: string }[],
  template: TemplateId,
  options: CorrectOptions,
): Corrected {
  const { onToken, log } = options;
  const rounds = correctionRounds(model, tok, pairs, template, options);
  for (let step = rounds.next(); ;) {
    if (step.done) return step.value;
    const { prompts, decoding, label, round } = step.value;
    const streamed = onToken ? (row: number, id: number) => onToken(row, id, round) : null;
    step = rounds.next(generateTexts(model, tok, prompts, decoding, log, label, streamed));
  }
}

export interface Corrected {
  rounds: Generated[][];
  greedy: Generated[][];
}

/** One round's decoding, as `correctionRounds` asks for it. */
export interface RoundDecode {
  prompts: string[];
  decoding: Decoding;
  label: string;
  round: number;
}

/**
 * The rounds of `correctAnswers` as a generator: it yields each round's prompts to decode and takes
 * the decoded texts back, so one loop serves the one-thread decoder and the threaded one (correct-on.ts).
 */
export function* correctionRounds(
  model: GPT,
  tok: Tokenizer,
  pairs: readonly { question: string; answer: string }[],
  template: TemplateId,
  options: Omit<CorrectOptions, "onToken">,
): Generator<RoundDecode, Corrected, Generated[]> {
  const { decoding, rounds, log } = options;
  const out: Generated[][] = [];
  const greedy: Generated[][] = [];
  let answers = pairs.map((p) => p.answer);
  for (let round = 1; round <= rounds; round++) {
    log.info(`correcting ${pairs.length} answers (round ${round}/${rounds})`);
    const prompts = pairs.map((p, i) => renderPrompt(template, p.question, answers[i]!));
    const generated = yield {
      prompts,
      decoding: { ...decoding, seed: decoding.seed + round * 7919 },
      label: `correct round ${round}/${rounds}`,
      round,
    };
    greedy.push(generated);
    out.push(_withCopies(model, tok, prompts, answers, generated, options));
    answers = out[out.length - 1]!.map((g) => g.text);
  }
  return { rounds: out, greedy };
}
