/**
 * Pretrained bases (issue 19), as the paper's Aligners and upstreams start from pretrained LLMs: decoder
 * LMs trained on a corpus written from the **train** range of the world only, saved as Hugging Face-style
 * checkpoints (`model.safetensors`, `config.json`, `tokenizer.json`) in cached stages under the runs
 * root (`basesDir`). A base does not depend on the run's seed: question ranges are a hash of each
 * question's content (world/index.ts), the same for every seed, so one base serves every seed and run
 * with the same base settings, like one public checkpoint.
 *
 * The corpus has three kinds of documents, one per train-range question:
 *   qa     the question in the chat format, answered in one seen style: the gold or a seen rule-based
 *          upstream's answer (helpful, unsafe, verbose, over-refusing, sloppy …), as an unaligned
 *          pretraining corpus mixes good and bad answers;
 *   facts  statements: the golds of a few exact-answer questions (worked arithmetic, unit, calendar,
 *          string and country facts) in a row;
 *   copy   a text and the same text again behind a cue ("Again:", "Once more:", "In other words:"), so
 *          copying a span seen earlier (induction) is learned before any Aligner needs it.
 */
import { join } from "node:path";
import { saveCheckpoint, loadCheckpoint } from "../engine/checkpoint.js";
import { readJson, writeJson } from "../engine/files.js";
import { chatPrompt } from "../engine/lm.js";
import { BOS_ID, EOS_ID } from "../engine/tokenizer/bpe.js";
import type { Example } from "../engine/train.js";
import type { Logger } from "../engine/log.js";
import { createModel, disposeModel, type GPT, type ModelSize } from "../engine/model.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { loadTokenizer, saveTokenizer, toTokenizerJson } from "../engine/tokenizer/json.js";
import { trainTokenizer } from "../engine/tokenizer/train.js";
import type { StepRow } from "../engine/train.js";
import { UPSTREAMS, createWorldRng, forkAnswerRng, generateWorld, questionRange, writeAnswer, type WorldItem } from "../world/index.js";
import { resumeInto } from "./aligner.js";
import { runStage, stageDir } from "./cache.js";
import { runsRoot, type BasesConfig, type Config } from "./config.js";
import { trainModel } from "../engine/train.js";
import { TEMPLATE_IDS, renderPrompt, type TemplateId } from "./templates.js";

export type BaseSize = "small" | "large";
export type DocKind = "qa" | "facts" | "copy";

export interface BaseDoc {
  kind: DocKind;
  text: string;
  /** The world item the document was written from. */
  item_id: string;
}

/** A trained base: its stage folder (the checkpoint is `<dir>/model`) and its pretraining log. */
export interface Base {
  size: BaseSize;
  dir: string;
  training: StepRow[];
}

const COPY_CUES = ["Again:", "Once more:", "In other words:", "Repeat:", "Same text:"];
const FACTS_PER_DOC = 4;

/** The train-range questions a base corpus is written from (the world's train stream of the bases' seed). */
export function baseItems(bases: Pick<BasesConfig, "seed" | "corpus">): WorldItem[] {
  return generateWorld({ seed: bases.seed, trainQuestions: bases.corpus.questions, testQuestions: 0 });
}

/** The pretraining documents: one per train-range question, of a kind drawn by `bases.corpus`'s shares. */
export function baseCorpus(bases: Pick<BasesConfig, "seed" | "corpus">, items: readonly WorldItem[] = baseItems(bases)): BaseDoc[] {
  const rng = createWorldRng(bases.seed).fork("base-corpus");
  const kinds: DocKind[] = ["qa", "facts", "copy"];
  const weights = kinds.map((k) => bases.corpus[k]);
  const seen = UPSTREAMS.filter((u) => u.kind === "seen");
  const exact = items.filter((i) => i.facts.kind === "number" || i.facts.kind === "word");
  const answer = (item: WorldItem) => {
    const style = rng.int(0, seen.length); // the gold is one style among the seen ones
    return style === seen.length ? item.gold : writeAnswer(seen[style]!, item, forkAnswerRng(rng, seen[style]!, item));
  };
  return items.map((item) => {
    const kind = kinds[rng.weighted(weights)]!;
    if (kind === "qa") return { kind, item_id: item.id, text: `${chatPrompt(item.question)} ${answer(item)}` };
    if (kind === "facts") {
      const golds = exact.length ? Array.from({ length: FACTS_PER_DOC }, () => rng.pick(exact).gold) : [item.gold];
      return { kind, item_id: item.id, text: golds.join(" ") };
    }
    const span = rng.chance(0.5) ? item.question : answer(item);
    return { kind, item_id: item.id, text: `${span}\n${rng.pick(COPY_CUES)} ${span}` };
  });
}

/** A pretraining example: the loss on every token of the document (a qa document tokenizes as its fine-tuning example does). */
export const documentExample = (tok: Tokenizer, text: string): Example => ({ prompt: [BOS_ID], target: [...tok.encode(text), EOS_ID] });

/** Whether every document's question is in the train range (what a base may learn from). */
export const trainRangeOnly = (items: readonly WorldItem[]): boolean => items.every((i) => questionRange(i) === "train");

/**
 * Where the bases' stages live: `<runs root>/bases/stages/` ($ALIGNER_RUNS or ./runs), shared by every
 * run, seed and study that uses the same base settings, as a model hub's cache is.
 */
export const basesDir = (): string => join(runsRoot(), "bases");

/** The settings a base's stages are keyed by (never the run's seed). */
const _baseKey = (config: Pick<Config, "bases" | "tokenizer" | "aligner">) => ({
  seed: config.bases.seed,
  corpus: config.bases.corpus,
  tokenizer: config.tokenizer,
  template: config.aligner.template,
  world: 4, // the world version the corpus is drawn from (dataset.ts's world stage)
  version: 1,
});

/**
 * Stage `base-tokenizer`: byte-level BPE fitted on the base corpus and every prompt wrapper (the
 * Aligner's template around a few of its questions and answers), shared by every model from a base.
 */
export async function baseTokenizerStage(
  config: Pick<Config, "bases" | "tokenizer" | "aligner">,
  log: Logger,
): Promise<{ tok: Tokenizer; key: unknown; dir: string }> {
  const runDir = basesDir();
  const key = _baseKey(config);
  const dir = stageDir(runDir, "base-tokenizer", key);
  await runStage(
    runDir,
    "base-tokenizer",
    key,
    async ({ dir }) => {
      const items = baseItems(config.bases);
      if (!trainRangeOnly(items)) throw new Error("base corpus: a question outside the train range"); // world/index.ts guarantees it
      const docs = baseCorpus(config.bases, items);
      const template = config.aligner.template as TemplateId;
      const wrapped = docs.filter((d) => d.kind === "qa").slice(0, 2000);
      const texts = [
        ...docs.map((d) => d.text),
        ...wrapped.map((d) => renderPrompt(template, d.text.slice(0, 80), d.text.slice(80))),
        ...TEMPLATE_IDS.map((t) => renderPrompt(t, "", "")),
      ];
      const tok = trainTokenizer(texts, config.tokenizer);
      await saveTokenizer(dir, tok);
      writeJson(join(dir, "corpus.json"), docs);
      log.info(`base tokenizer: ${tok.vocabSize} tokens from ${texts.length} texts`);
      return { vocabSize: tok.vocabSize, documents: docs.length };
    },
    { log },
  );
  return { tok: await loadTokenizer(dir), key: { base: key }, dir };
}

/** Stage `base-<size>`: a decoder LM pretrained on the base corpus (loss on every token), resumable from its checkpoints. */
export async function baseStage(config: Pick<Config, "bases" | "tokenizer" | "aligner">, size: BaseSize, log: Logger): Promise<Base> {
  const runDir = basesDir();
  const tokenizer = await baseTokenizerStage(config, log);
  const spec = config.bases[size];
  const key = { tokenizer: tokenizer.key, model: spec.model, train: spec.train, size };
  const name = `base-${size}`;
  const dir = stageDir(runDir, name, key);
  await runStage(
    runDir,
    name,
    key,
    async ({ dir: here }) => {
      const tok = tokenizer.tok;
      const docs: BaseDoc[] = readJson(join(tokenizer.dir, "corpus.json"));
      const examples = docs.map((d) => documentExample(tok, d.text));
      const val = examples.slice(0, 128);
      const model = createModel({ vocabSize: tok.vocabSize, ...spec.model }, { seed: config.bases.seed });
      try {
        const checkpointDir = join(here, "checkpoint");
        const resume = await resumeInto(model, checkpointDir, log);
        const result = await trainModel(
          model,
          examples.slice(val.length),
          { ...spec.train, seed: config.bases.seed, checkpointDir },
          {
            val,
            logger: log,
            progressLabel: name,
            ...(resume ? { resume } : {}),
            onStep: (r) => {
              if (r.step % 100 === 0 || r.step === spec.train.steps)
                log.info(
                  `${name} step ${r.step}/${spec.train.steps} loss ${r.loss.toFixed(3)}${r.val_loss === null ? "" : ` val ${r.val_loss.toFixed(3)}`}`,
                );
            },
          },
        );
        writeJson(join(here, "training.json"), result.log);
        await saveCheckpoint(join(here, "model"), model, {
          tokenizerJson: toTokenizerJson(tok),
          extra: { base: size, seed: config.bases.seed, corpus: config.bases.corpus, documents: docs.length },
        });
        return { steps: result.log.length, documents: docs.length };
      } finally {
        disposeModel(model);
      }
    },
    { log },
  );
  return { size, dir, training: readJson(join(dir, "training.json")) };
}

/** The base a preset's models of one kind start from, or null when they train from scratch. */
export async function baseFor(config: Config, size: BaseSize, log: Logger): Promise<Base | null> {
  return config.base === "none" ? null : baseStage(config, size, log);
}

/** A model to train: a copy of the base's weights, or a fresh one of `size` seeded by `seed`. */
export async function startingModel(base: Pick<Base, "dir"> | null, vocabSize: number, size: ModelSize, seed: number): Promise<GPT> {
  if (!base) return createModel({ vocabSize, ...size }, { seed });
  const { model, config } = await loadCheckpoint(join(base.dir, "model"));
  if (config.vocabSize !== vocabSize) {
    disposeModel(model);
    throw new Error(`${base.dir}: the base's vocabulary (${config.vocabSize}) is not the run's (${vocabSize})`);
  }
  return model;
}

/** The training settings of a stage that fine-tunes from a base: its own, at bases.fineTuneLrScale × its learning rate. */
export const fineTuneSettings = <T extends { lr: number }>(train: T, base: unknown, config: Pick<Config, "bases">): T =>
  base ? { ...train, lr: train.lr * config.bases.fineTuneLrScale } : train;

/** A base's folder name (the part of a stage key that names it). */
export const baseId = (base: Pick<Base, "dir"> | null): string | null => (base ? base.dir.replace(/^.*\//, "") : null);
