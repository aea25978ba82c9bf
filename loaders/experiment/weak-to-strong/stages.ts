/**
 * The cached stages of weak-to-strong, each a folder under `<run>/stages/` keyed by its inputs (the
 * folder names of the stages it reads, so changing an upstream stage invalidates what follows):
 *   w2s-strong          pretrain the strong LM on the world's unaligned corpus
 *   w2s-answers-r<k>    the round's model answers train (sampled) and test (greedy) questions; the weak
 *                       Aligner corrects both
 *   w2s-<method>        fine-tune a model (SFT on targets, or DPO on pairs), then answer the test questions
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { correctAnswersOn } from "../correct-on.js";
import { copyRuleKey, LIKELIER_OF_TWO, type CopyRule } from "../copy-rule.js";
import { hashOf, runStage, stageDir } from "../cache.js";
import { baseFor, baseId, fineTuneSettings } from "../base.js";
import { loadCheckpoint, saveCheckpoint } from "../../engine/checkpoint.js";
import type { Config } from "../config.js";
import type { Dataset } from "../dataset.js";
import { templateOf } from "../dataset.js";
import { referenceLogProbs, trainDpo } from "../../engine/dpo.js";
import { chatPrompt, encodeExample } from "../../engine/lm.js";
import { generateTextsOn, withGenerationPool } from "../../engine/lm-parallel.js";
import type { WorkerPool } from "../../engine/dataparallel.js";
import type { Logger } from "../../engine/log.js";
import { disposeModel, type GPT } from "../../engine/model.js";
import { writeFileAtomic } from "../../engine/files.js";
import { type Tokenizer } from "../../engine/tokenizer/bpe.js";
import { toTokenizerJson } from "../../engine/tokenizer/json.js";
import { trainModel, type StepRow } from "../../engine/train.js";
import type { WorldItem } from "../../world/index.js";
import { buildLmCorpus, trainLm, type LmUpstream } from "../zoo.js";
import type { W2sConfig } from "./config.js";

const readJson = <T>(file: string): T => JSON.parse(readFileSync(file, "utf-8")) as T;
const writeJson = (file: string, value: unknown) => writeFileAtomic(file, JSON.stringify(value));
const progress = (log: Logger, name: string, steps: number) => (r: StepRow) => {
  if (r.step % 50 === 0 || r.step === steps) log.info(`${name} step ${r.step}/${steps} loss ${r.loss.toFixed(3)}`);
};

/** A trained model's stage: its folder (with `model/`) and its training log. */
export interface ModelStage {
  dir: string;
  training: StepRow[];
}

/** The strong model as a zoo-style LM upstream (its corpus mixture from the config). */
export const strongLm = (w2s: W2sConfig): LmUpstream => ({
  name: "strong",
  kind: "seen",
  width: 1,
  temperature: w2s.trainTemperature,
  summary: "The strong model of weak-to-strong: larger than the Aligner, trained on unaligned answers.",
  corpus: Object.fromEntries(w2s.corpus.map((c) => [c.upstream, c.share])),
});

/** Stage `w2s-strong`: the strong LM pretrained on every train question answered by its corpus mixture. */
export async function pretrainStrong(runDir: string, config: Config, w2s: W2sConfig, data: Dataset, log: Logger): Promise<ModelStage> {
  const lm = strongLm(w2s);
  const base = await baseFor(config, "large", log); // from a base: its unaligned corpus fine-tunes the large base
  const pretrain = fineTuneSettings(w2s.pretrain, base, config);
  const key = {
    tokenizer: data.tokenizer.key,
    ...(base ? { base: baseId(base) } : { model: w2s.model }),
    corpus: lm.corpus,
    pretrain,
    seed: config.seed,
    version: 1,
  };
  const dir = stageDir(runDir, "w2s-strong", key);
  await runStage(
    runDir,
    "w2s-strong",
    key,
    async ({ dir: here }) => {
      const tok = data.tokenizer.tok;
      const corpus = buildLmCorpus(
        lm,
        data.world.items.filter((i) => i.split === "train"),
        config.seed,
      );
      const train = { ...pretrain, evalEvery: 0, checkpointEvery: 0 };
      const { model, log: steps } = await trainLm(lm, corpus, tok, { size: w2s.model, train, seed: config.seed, log, base });
      try {
        writeJson(join(here, "training.json"), steps);
        await saveCheckpoint(join(here, "model"), model, {
          tokenizerJson: toTokenizerJson(tok),
          extra: { upstream: lm, seed: config.seed },
        });
        return { steps: steps.length };
      } finally {
        disposeModel(model);
      }
    },
    { log },
  );
  return { dir, training: readJson(join(dir, "training.json")) };
}

/** An answer and the weak Aligner's correction of it. */
export interface Corrected {
  answer: string;
  correction: string;
}

export interface RoundAnswers {
  dir: string;
  train: Corrected[];
  test: Corrected[];
}

/** The model's answers to `items`, its decoding batches spread over `pool`'s threads (same texts as one thread). */
const _answer = async (
  pool: WorkerPool | null,
  model: GPT,
  tok: Tokenizer,
  items: readonly WorldItem[],
  decoding: W2sConfig["decoding"],
  temperature: number,
  seed: number,
  log: Logger,
) => {
  const prompts = items.map((i) => chatPrompt(i.question));
  const out = await generateTextsOn(pool, model, tok, prompts, { ...decoding, temperature, seed }, log, "w2s answers");
  return out.map((g) => g.text);
};

/**
 * Stage `w2s-answers-r<k>`: `model` answers the train questions (sampled at trainTemperature) and the
 * test questions (w2s.decoding), unless `testAnswers` already holds them; the Aligner corrects all.
 */
export async function answerAndCorrect(
  runDir: string,
  round: number,
  config: Config,
  w2s: W2sConfig,
  data: Dataset,
  model: { dir: string },
  aligner: { dir: string; copyRule?: CopyRule },
  items: { train: readonly WorldItem[]; test: readonly WorldItem[] },
  testAnswers: readonly string[] | undefined,
  log: Logger,
): Promise<RoundAnswers> {
  const name = `w2s-answers-r${round}`;
  const template = templateOf(config);
  const key = {
    model: basename(model.dir),
    aligner: basename(aligner.dir),
    template,
    alignerDecoding: config.aligner.decoding,
    decoding: w2s.decoding,
    trainTemperature: w2s.trainTemperature,
    seed: config.seed,
    train: hashOf(items.train.map((i) => i.id)),
    test: hashOf(items.test.map((i) => i.id)),
    testAnswers: testAnswers ? hashOf(testAnswers) : null,
    ...(config.aligner.copyCandidate ? { copyCandidate: true } : {}),
    ...(config.aligner.copyCandidate && aligner.copyRule ? copyRuleKey(aligner.copyRule) : {}),
  };
  const dir = stageDir(runDir, name, key);
  await runStage(
    runDir,
    name,
    key,
    async ({ dir: here }) => {
      const tok = data.tokenizer.tok;
      let train: string[];
      let test: string[];
      const { model: strong } = await loadCheckpoint(join(model.dir, "model"));
      try {
        log.info(`${name}: answering ${items.train.length} train and ${items.test.length} test questions`);
        // One pool of the strong model for both sets of answers.
        [train, test] = await withGenerationPool(strong, async (pool) => [
          await _answer(pool, strong, tok, items.train, w2s.decoding, w2s.trainTemperature, config.seed + round, log),
          testAnswers
            ? [...testAnswers]
            : await _answer(pool, strong, tok, items.test, w2s.decoding, w2s.decoding.temperature, config.seed, log),
        ]);
      } finally {
        disposeModel(strong);
      }
      const { model: corrector } = await loadCheckpoint(join(aligner.dir, "model"));
      try {
        const pairs = [...items.train, ...items.test].map((item, i) => ({
          question: item.question,
          answer: i < train.length ? train[i]! : test[i - train.length]!,
        }));
        const corrected = await withGenerationPool(corrector, (pool) =>
          correctAnswersOn(pool, corrector, tok, pairs, template, {
            decoding: { ...config.aligner.decoding, seed: config.seed },
            rounds: 1,
            log,
            copyCandidate: config.aligner.copyCandidate,
            copyRule: aligner.copyRule ?? LIKELIER_OF_TWO,
          }),
        );
        const corrections = corrected.rounds[0]!;
        const out = pairs.map((p, i) => ({ answer: p.answer, correction: corrections[i]!.text }));
        writeJson(join(here, "answers.json"), { train: out.slice(0, train.length), test: out.slice(train.length) });
        return { train: train.length, test: test.length };
      } finally {
        disposeModel(corrector);
      }
    },
    { log },
  );
  return { dir, ...readJson<{ train: Corrected[]; test: Corrected[] }>(join(dir, "answers.json")) };
}

/** What a fine-tune learns: SFT targets (one per question) or DPO pairs (chosen ≻ rejected). */
export type FineTuneData =
  | { kind: "sft"; questions: readonly WorldItem[]; targets: readonly string[] }
  | {
      kind: "dpo";
      questions: readonly WorldItem[];
      pairs: readonly { chosen: string; rejected: string }[];
      /** α of the chosen answers' NLL added to the DPO loss (0 or absent: plain DPO). */
      sftWeight?: number;
    };

export interface FineTuned extends ModelStage {
  /** Its greedy answers to the test questions. */
  test: string[];
}

/**
 * Stage `w2s-<name>`: fine-tunes `base` (SFT, or DPO against `base` as the frozen reference), saves it
 * and answers the test questions.
 */
export async function fineTune(
  runDir: string,
  name: string,
  config: Config,
  w2s: W2sConfig,
  data: Dataset,
  base: { dir: string },
  what: FineTuneData,
  testItems: readonly WorldItem[],
  log: Logger,
): Promise<FineTuned> {
  const stage = `w2s-${name}`;
  const sftWeight = what.kind === "dpo" ? (what.sftWeight ?? 0) : 0;
  const { sftWeight: _, ...plain } = w2s.dpo;
  const dpo = sftWeight > 0 ? { ...plain, sftWeight } : plain; // plain DPO keeps its cache key from before the option
  const settings = what.kind === "sft" ? w2s.sft : dpo;
  const labels = what.kind === "sft" ? what.targets : what.pairs;
  const key = {
    base: basename(base.dir),
    kind: what.kind,
    settings,
    seed: config.seed,
    decoding: w2s.decoding,
    questions: hashOf(what.questions.map((q) => q.id)),
    labels: hashOf(labels),
    test: hashOf(testItems.map((i) => i.id)),
  };
  const dir = stageDir(runDir, stage, key);
  await runStage(
    runDir,
    stage,
    key,
    async ({ dir: here }) => {
      const tok = data.tokenizer.tok;
      const { model } = await loadCheckpoint(join(base.dir, "model"));
      try {
        let steps: StepRow[];
        if (what.kind === "sft") {
          log.info(`${stage}: SFT on ${what.targets.length} examples`);
          const examples = what.questions.map((q, i) => encodeExample(tok, chatPrompt(q.question), what.targets[i]!));
          const train = { ...w2s.sft, seed: config.seed, evalEvery: 0, checkpointEvery: 0 };
          steps = (
            await trainModel(model, examples, train, { logger: log, progressLabel: stage, onStep: progress(log, stage, w2s.sft.steps) })
          ).log;
        } else {
          log.info(`${stage}: DPO on ${what.pairs.length} pairs, β ${w2s.dpo.beta}${sftWeight > 0 ? `, + ${sftWeight} × NLL` : ""}`);
          const pairs = what.questions.map((q, i) => {
            const chosen = encodeExample(tok, chatPrompt(q.question), what.pairs[i]!.chosen);
            return {
              prompt: chosen.prompt,
              chosen: chosen.target,
              rejected: encodeExample(tok, chatPrompt(q.question), what.pairs[i]!.rejected).target,
            };
          });
          const reference = referenceLogProbs(model, pairs); // the model before its first update is π_ref
          steps = trainDpo(
            model,
            pairs,
            reference,
            { ...dpo, seed: config.seed },
            { logger: log, progressLabel: stage, onStep: progress(log, stage, w2s.dpo.steps) },
          );
        }
        writeJson(join(here, "training.json"), steps);
        await saveCheckpoint(join(here, "model"), model, {
          tokenizerJson: toTokenizerJson(tok),
          extra: { base: basename(base.dir), method: name, seed: config.seed },
        });
        writeJson(
          join(here, "test.json"),
          await withGenerationPool(model, (pool) =>
            _answer(pool, model, tok, testItems, w2s.decoding, w2s.decoding.temperature, config.seed, log),
          ),
        );
        return { steps: steps.length };
      } finally {
        disposeModel(model);
      }
    },
    { log },
  );
  return { dir, training: readJson(join(dir, "training.json")), test: readJson(join(dir, "test.json")) };
}
