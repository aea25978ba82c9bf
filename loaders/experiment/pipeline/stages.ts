/**
 * The Aligner's cached stages: which rows it learns from, its training (identity warm-up, then Q-A-C),
 * the copy rule's calibration on its validation rows, and the correction of a set of rows. Each stage
 * is keyed by the hash of its config and inputs (cache.ts), so a rerun reuses it and a killed run resumes.
 */
import { join } from "node:path";
import { saveCheckpoint, withCheckpoint } from "../../engine/checkpoint.js";
import { readJson, writeJson } from "../../engine/files.js";
import type { Generated } from "../../engine/lm.js";
import type { Logger } from "../../engine/log.js";
import { disposeModel, type ModelSize } from "../../engine/model.js";
import { baseId, fineTuneSettings, startingModel, type Base } from "../base.js";
import { createRng, shuffle } from "../../engine/random.js";
import { toTokenizerJson } from "../../engine/tokenizer/json.js";
import type { TrainSettings } from "../../engine/train.js";
import { judge as oracleJudge, type CorrectionRow } from "../../world/index.js";
import { hashString } from "../../world/rng.js";
import { alignerExamples, trainAligner, type AlignerTraining } from "../aligner.js";
import { correctAnswersOn } from "../correct-on.js";
import { generateTextsOn, withGenerationPool } from "../../engine/lm-parallel.js";
import { calibrateCopyRule, calibrationPrompts, copyRuleKey, LIKELIER_OF_TWO, type CopyRule, type RuleScore } from "../copy-rule.js";
import { hashOf, runStage, stageDir } from "../cache.js";
import type { Config } from "../config.js";
import { templateOf, type Dataset } from "../dataset.js";

/** An Aligner's copy rule and the validation scores it was chosen by (null when the preset fixes it). */
export interface Calibration extends CopyRule {
  curve: RuleScore[] | null;
}

/**
 * Q-A-C rows for the Aligner: the train split of the seen upstreams, split by question text into train
 * and validation (the last 5% of the distinct questions): two items may ask the same question, and a
 * split by item would let the validation rows (the copy rule's calibration) repeat training rows. With `answersPerQuestion` k > 0, each train question keeps
 * k of its answers, chosen by a stream seeded by the seed and the question's id (validation keeps all,
 * for the copy rule's calibration).
 */
export function selectAlignerRows(data: Pick<Dataset, "rows">, config: Pick<Config, "seed" | "aligner">) {
  const rows = data.rows.filter((r) => r.split === "train" && r.upstream_kind === "seen");
  const questions = [...new Set(rows.map((r) => r.question))];
  const valQuestions = new Set(questions.slice(questions.length - Math.max(1, Math.round(questions.length * 0.05))));
  const k = config.aligner.answersPerQuestion;
  let train = rows.filter((r) => !valQuestions.has(r.question));
  if (k > 0) {
    const ids = new Map<string, string[]>();
    for (const r of train) {
      const answers = ids.get(r.item_id);
      if (answers) answers.push(r.id);
      else ids.set(r.item_id, [r.id]);
    }
    const kept = new Set(
      [...ids].flatMap(([item, answers]) => shuffle(createRng(hashString(`${config.seed}:${item}`)), answers).slice(0, k)),
    );
    train = train.filter((r) => kept.has(r.id));
  }
  return { train, val: rows.filter((r) => valQuestions.has(r.question)) };
}

/** Trains an Aligner (warm-up, then main) in a cached stage; returns its folder and training log. */
export async function trainAlignerStage(
  dir: string,
  config: Config,
  data: Dataset,
  name: string,
  settings: { warmupFraction: number; model: ModelSize; train: TrainSettings; base: Base | null },
  log: Logger,
): Promise<{ dir: string; training: AlignerTraining }> {
  const template = templateOf(config);
  const { base } = settings;
  const train = fineTuneSettings(settings.train, base, config);
  const key = {
    data: data.key,
    template,
    ...(base ? { base: baseId(base) } : { model: settings.model }), // from a base, the model is the base's
    train,
    warmupFraction: settings.warmupFraction,
    seed: config.seed,
    answersPerQuestion: config.aligner.answersPerQuestion,
  };
  const sdir = stageDir(dir, name, key);
  await runStage(
    dir,
    name,
    key,
    async ({ dir: here }) => {
      const tok = data.tokenizer.tok;
      const rows = selectAlignerRows(data, config);
      const examples = alignerExamples(rows.train, tok, template, { warmupFraction: settings.warmupFraction, seed: config.seed });
      const val = alignerExamples(rows.val.slice(0, 128), tok, template, { warmupFraction: 0, seed: config.seed }).main;
      log.info(`${name}: ${examples.warmup.length} warm-up (Q-A-A) and ${examples.main.length} Q-A-C examples`);
      const model = await startingModel(base, tok.vocabSize, settings.model, config.seed);
      try {
        const training = await trainAligner(model, examples, val, {
          train: { ...train, seed: config.seed },
          warmupFraction: settings.warmupFraction,
          log,
          name,
          checkpointDir: (stage) => join(here, `checkpoint-${stage}`),
        });
        writeJson(join(here, "training.json"), training);
        await saveCheckpoint(join(here, "model"), model, {
          tokenizerJson: toTokenizerJson(tok),
          extra: { template, seed: config.seed, warmupFraction: settings.warmupFraction, base: baseId(base) },
        });
        return { examples: examples.main.length };
      } finally {
        disposeModel(model);
      }
    },
    { log },
  );
  return { dir: sdir, training: readJson(join(sdir, "training.json")) };
}

/** The copy rule an Aligner's corrections use: calibrated on its validation rows in a cached stage, unless the preset fixes it. */
export async function calibrateStage(
  dir: string,
  config: Config,
  data: Dataset,
  aligner: { dir: string },
  name: string,
  log: Logger,
): Promise<Calibration> {
  const { copyCandidate, copyMargins: margins, copyMinTokenProbs: minTokenProbs } = config.aligner;
  if (!copyCandidate) return { ...LIKELIER_OF_TWO, curve: null };
  if (margins.length === 1 && minTokenProbs.length === 1) return { margin: margins[0]!, minTokenProb: minTokenProbs[0]!, curve: null };
  const rows = selectAlignerRows(data, config).val;
  const key = {
    aligner: aligner.dir.replace(/^.*\//, ""),
    margins,
    minTokenProbs,
    decoding: config.aligner.decoding,
    rows: hashOf(rows.map((r) => r.id)),
    seed: config.seed,
    choice: "strictest within 1 SE",
  };
  const sdir = stageDir(dir, name, key);
  await runStage(
    dir,
    name,
    key,
    ({ dir: here }) =>
      withCheckpoint(join(aligner.dir, "model"), async (model) => {
        const items = new Map(data.world.items.map((i) => [i.id, i]));
        const decoding = { ...config.aligner.decoding, seed: config.seed };
        const prompts = calibrationPrompts(rows, templateOf(config));
        const generated = await withGenerationPool(model, (pool) =>
          generateTextsOn(pool, model, data.tokenizer.tok, prompts, decoding, log, "calibrate copy rule"),
        );
        const result = calibrateCopyRule(model, data.tokenizer.tok, rows, templateOf(config), {
          decoding,
          margins,
          minTokenProbs,
          log,
          score: (i, text) => oracleJudge(items.get(rows[i]!.item_id)!, text),
          generated,
        });
        writeJson(join(here, "calibration.json"), result);
        return { margin: result.margin, minTokenProb: result.minTokenProb };
      }),
    { log },
  );
  return readJson(join(sdir, "calibration.json"));
}

/** The main Aligner and the copy rule its corrections use (calibrated on its validation rows unless the preset fixes it). */
export async function mainAlignerStages(dir: string, config: Config, data: Dataset, log: Logger) {
  const trained = await trainAlignerStage(
    dir,
    config,
    data,
    "aligner",
    { warmupFraction: config.aligner.warmupFraction, model: config.aligner.model, train: config.aligner.train, base: data.base },
    log,
  );
  const calibration = await calibrateStage(dir, config, data, trained, "calibrate", log);
  const copyRule: CopyRule = { margin: calibration.margin, minTokenProb: calibration.minTokenProb };
  return { ...trained, copyRule, calibration };
}

/** The main Aligner's training (aligner.model, warm-up and steps) from scratch, whatever the preset's base. */
export const trainScratchAligner = (dir: string, config: Config, data: Dataset, log: Logger) =>
  trainAlignerStage(
    dir,
    config,
    data,
    "aligner-scratch",
    { warmupFraction: config.aligner.warmupFraction, model: config.aligner.model, train: config.aligner.train, base: null },
    log,
  );

/**
 * The ablation beside an Aligner from a base: the same Aligner trained from scratch (aligner.model, the
 * same rows, warm-up and steps), its corrections decoded plain greedy as the paper's. Null without a base.
 */
export async function scratchAlignerStages(
  dir: string,
  config: Config,
  data: Dataset,
  rows: readonly CorrectionRow[],
  log: Logger,
): Promise<{ training: AlignerTraining; greedy: Generated[] } | null> {
  if (!data.base) return null;
  const trained = await trainScratchAligner(dir, config, data, log);
  const plain = { ...config, aligner: { ...config.aligner, rounds: 1, copyCandidate: false } };
  const { greedy } = await correctStage(dir, plain, data, trained, rows, "correct-scratch", log);
  return { training: trained.training, greedy };
}

/**
 * Corrects the given rows with a trained Aligner in a cached stage; returns every round's outputs
 * (`rounds`: after the copy rule when the preset has one) and round 1's plain greedy decoding
 * (`greedy`: the paper's Aligner; the same texts as `rounds[0]` without a copy rule).
 */
export async function correctStage(
  dir: string,
  config: Config,
  data: Dataset,
  aligner: { dir: string; copyRule?: CopyRule }, // copyRule: used where the preset has copyCandidate (default likelier-of-two)
  rows: readonly CorrectionRow[],
  name: string,
  log: Logger,
): Promise<{ rounds: Generated[][]; greedy: Generated[] }> {
  const remote = rows.filter((r) => r.upstream.startsWith("api:")); // API answers may change between runs: key on their text
  const key = {
    aligner: aligner.dir.replace(/^.*\//, ""),
    decoding: config.aligner.decoding,
    rounds: config.aligner.rounds,
    rows: hashOf(rows.map((r) => r.id)),
    outputs: "rounds+greedy",
    ...(config.aligner.copyCandidate ? { copyCandidate: true } : {}),
    ...(config.aligner.copyCandidate ? copyRuleKey(aligner.copyRule ?? LIKELIER_OF_TWO) : {}),
    ...(remote.length ? { answers: hashOf(remote.map((r) => r.answer)) } : {}),
  };
  const sdir = stageDir(dir, name, key);
  await runStage(
    dir,
    name,
    key,
    ({ dir: here }) =>
      withCheckpoint(join(aligner.dir, "model"), async (model) => {
        const out = await withGenerationPool(model, (pool) =>
          correctAnswersOn(pool, model, data.tokenizer.tok, rows, templateOf(config), {
            decoding: { ...config.aligner.decoding, seed: config.seed },
            rounds: config.aligner.rounds,
            log,
            copyCandidate: config.aligner.copyCandidate,
            copyRule: aligner.copyRule,
          }),
        );
        writeJson(join(here, "corrections.json"), { rounds: out.rounds, greedy: out.greedy[0]! });
        return { rows: rows.length };
      }),
    { log },
  );
  return readJson(join(sdir, "corrections.json"));
}
