/**
 * The run's dataset: the world's questions, every upstream's answers (rule-based profiles and the
 * transformer LMs of the zoo), and the annotator's corrections, as (question, answer, correction)
 * rows with oracle scores; plus the tokenizer trained on that corpus. Each step is a cached stage.
 */
import { join } from "node:path";
import { runStage, stageDir } from "./cache.js";
import { readJson, writeJson } from "../engine/files.js";
import type { Config } from "./config.js";
import { saveCheckpoint } from "../engine/checkpoint.js";
import { chatPrompt } from "../engine/lm.js";
import type { Logger } from "../engine/log.js";
import { disposeModel } from "../engine/model.js";
import { TEMPLATE_IDS, renderPrompt, type TemplateId } from "./templates.js";
import { type Tokenizer } from "../engine/tokenizer/bpe.js";
import { trainTokenizer } from "../engine/tokenizer/train.js";
import { loadTokenizer, saveTokenizer, toTokenizerJson } from "../engine/tokenizer/json.js";
import type { StepRow } from "../engine/train.js";
import { answerWithLm, buildLmCorpus, findLmUpstream, trainLm } from "./zoo.js";
import { withGenerationPool } from "../engine/lm-parallel.js";
import { baseFor, baseId, baseTokenizerStage, fineTuneSettings, type Base } from "./base.js";
import { UPSTREAMS, buildRows, createWorldRng, generateWorld, rowFor, type CorrectionRow, type WorldItem } from "../world/index.js";

export interface WorldStage {
  items: WorldItem[];
  /** Rule-based upstreams: seen ones answer train and test questions, held-out ones only test. */
  rows: CorrectionRow[];
}

/** Stage `world`: questions, rule-based upstream answers and corrections. */
export async function buildWorld(runDir: string, config: Config, log: Logger): Promise<WorldStage & { key: unknown }> {
  const key = { seed: config.seed, world: config.world, version: 4 }; // 4: ranges by content, golds tied to the asker's goal (3: question ranges, held-out styles, answer-dependent golds)
  const dir = stageDir(runDir, "world", key);
  await runStage(
    runDir,
    "world",
    key,
    async ({ dir }) => {
      const items = generateWorld({ seed: config.seed, ...config.world });
      const rows = buildRows(items, UPSTREAMS, createWorldRng(config.seed).fork("answers")).filter(
        (r) => r.split === "test" || r.upstream_kind === "seen",
      );
      writeJson(join(dir, "items.json"), items);
      writeJson(join(dir, "rows.json"), rows);
      log.info(`world: ${items.length} questions, ${rows.length} rule-based rows`);
      return { items: items.length, rows: rows.length };
    },
    { log },
  );
  return { key, items: readJson(join(dir, "items.json")), rows: readJson(join(dir, "rows.json")) };
}

/**
 * The texts the tokenizer is fitted on: train questions, golds, answers and corrections only (never a
 * dev or test text), as the models will see them, so frequent wrappers (the Aligner's template)
 * become few tokens; plus every prompt wrapper.
 */
export function tokenizerTexts(world: WorldStage, template: TemplateId): string[] {
  const items = world.items.filter((i) => i.split === "train");
  const rows = world.rows.filter((r) => r.split === "train");
  return [
    ...items.flatMap((i) => [chatPrompt(i.question), i.gold]),
    ...rows.flatMap((r) => [renderPrompt(template, r.question, r.answer), r.correction]),
    ...TEMPLATE_IDS.map((t) => renderPrompt(t, "", "")),
  ];
}

/** Stage `tokenizer`: byte-level BPE on the world's train texts and every prompt wrapper. */
export async function buildTokenizer(
  runDir: string,
  config: Config,
  world: WorldStage & { key: unknown },
  log: Logger,
): Promise<{ tok: Tokenizer; key: unknown }> {
  if (config.base !== "none") return baseTokenizerStage(config, log); // a base's models read its tokenizer
  const { vocabSize, splitDigits } = config.tokenizer;
  // (splitDigits joins the key only when on, so runs from before the option keep their cache.)
  const key = {
    world: world.key,
    tokenizer: { vocabSize, ...(splitDigits ? { splitDigits } : {}) },
    template: config.aligner.template,
    version: 3, // 3: fitted on train text only
  };
  const dir = stageDir(runDir, "tokenizer", key);
  await runStage(
    runDir,
    "tokenizer",
    key,
    async ({ dir }) => {
      const texts = tokenizerTexts(world, templateOf(config));
      const tok = trainTokenizer(texts, { vocabSize, splitDigits });
      await saveTokenizer(dir, tok);
      log.info(`tokenizer: ${tok.vocabSize} tokens from ${texts.length} texts`);
      return { vocabSize: tok.vocabSize };
    },
    { log },
  );
  return { tok: await loadTokenizer(dir), key };
}

export interface ZooModelStage {
  name: string;
  rows: CorrectionRow[];
  training: StepRow[];
  dir: string;
}

/** Stage `zoo-<name>`: trains one LM upstream, answers the questions it is asked, annotates them. */
export async function buildZooModel(
  runDir: string,
  config: Config,
  name: string,
  world: WorldStage & { key: unknown },
  tokenizer: { tok: Tokenizer; key: unknown },
  base: Base | null, // the small base the LM fine-tunes from (null: from scratch)
  log: Logger,
): Promise<ZooModelStage> {
  const lm = findLmUpstream(name);
  const key = {
    tokenizer: tokenizer.key,
    zoo: { ...config.zoo, models: undefined },
    lm,
    ...(base ? { base: baseId(base), lrScale: config.bases.fineTuneLrScale } : {}),
  };
  const dir = stageDir(runDir, `zoo-${name}`, key);
  await runStage(
    runDir,
    `zoo-${name}`,
    key,
    async ({ dir }) => {
      const train = world.items.filter((i) => i.split === "train");
      const corpus = buildLmCorpus(lm, train, config.seed);
      const { model, log: steps } = await trainLm(lm, corpus, tokenizer.tok, {
        size: config.zoo.model,
        train: fineTuneSettings(config.zoo.train, base, config),
        seed: config.seed,
        log,
        base,
      });
      try {
        const asked = world.items.filter((i) => i.split === "test" || lm.kind === "seen");
        const answers = await withGenerationPool(model, (pool) =>
          answerWithLm(lm, model, tokenizer.tok, asked, { ...config.zoo.decoding, seed: config.seed }, log, pool),
        );
        const rows = asked.map((item, i) => rowFor(item, lm, answers[i]!));
        writeJson(join(dir, "rows.json"), rows);
        writeJson(join(dir, "training.json"), steps);
        await saveCheckpoint(join(dir, "model"), model, {
          tokenizerJson: toTokenizerJson(tokenizer.tok),
          extra: { upstream: lm, seed: config.seed },
        });
        return { rows: rows.length };
      } finally {
        disposeModel(model);
      }
    },
    { log },
  );
  return { name, dir, rows: readJson(join(dir, "rows.json")), training: readJson(join(dir, "training.json")) };
}

/**
 * All rows of the run (rule-based and LM upstreams), train and test. `reverse` trains the zoo models
 * last to first (the helper process does, so it and the main process start on different models).
 */
export async function buildDataset(runDir: string, config: Config, log: Logger, { reverse = false }: { reverse?: boolean } = {}) {
  const world = await buildWorld(runDir, config, log);
  const tokenizer = await buildTokenizer(runDir, config, world, log);
  const small: Base | null = await baseFor(config, "small", log);
  const order = reverse ? [...config.zoo.models].reverse() : config.zoo.models;
  const built = new Map<string, ZooModelStage>();
  for (const name of order) built.set(name, await buildZooModel(runDir, config, name, world, tokenizer, small, log));
  const zoo: ZooModelStage[] = config.zoo.models.map((name) => built.get(name)!);
  const rows = [...world.rows, ...zoo.flatMap((z) => z.rows)];
  return {
    world,
    tokenizer,
    zoo,
    rows,
    /** The small base the Aligners start from (null: from scratch). */
    base: small,
    key: { tokenizer: tokenizer.key, zoo: zoo.map((z) => z.dir.replace(/^.*\//, "")) },
  };
}

export type Dataset = Awaited<ReturnType<typeof buildDataset>>;

/** The template id of a preset, checked. */
export function templateOf(config: Config): TemplateId {
  if (!(TEMPLATE_IDS as string[]).includes(config.aligner.template)) {
    throw new Error(`aligner.template "${config.aligner.template}" is not one of ${TEMPLATE_IDS.join(", ")}`);
  }
  return config.aligner.template as TemplateId;
}
