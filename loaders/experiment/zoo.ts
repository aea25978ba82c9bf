/**
 * The transformer half of the upstream zoo: small language models trained by the engine on
 * world-generated, unaligned corpora (each a mixture of rule-based upstream profiles), then asked the
 * world's questions. Sizes, corpus mixtures and decoding temperatures differ, so their failures are
 * learned, not scripted: whatever the LM makes of its corpus is what the Aligner must correct.
 */
import { chatPrompt, encodeExample, type Decoding } from "../engine/lm.js";
import type { Logger } from "../engine/log.js";
import { generateTextsOn } from "../engine/lm-parallel.js";
import type { WorkerPool } from "../engine/dataparallel.js";
import { disposeModel, type GPT } from "../engine/model.js";
import { startingModel, type Base } from "./base.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { trainModel, type StepRow } from "../engine/train.js";
import type { TrainSettings } from "../engine/train.js";
import type { ModelSize } from "../engine/model.js";
import { buildUpstreamCorpus, createWorldRng, findUpstream, type UpstreamPair, type WorldItem } from "../world/index.js";

export { LM_UPSTREAMS, findLmUpstream, type LmUpstream } from "./zoo-models.js";
import type { LmUpstream } from "./zoo-models.js";

/** The unaligned corpus of `lm`: each train item answered by one profile drawn from its mixture. */
export function buildLmCorpus(lm: LmUpstream, items: readonly WorldItem[], seed: number): UpstreamPair[] {
  const rng = createWorldRng(seed).fork(`corpus:${lm.name}`);
  const profiles = Object.keys(lm.corpus).map(findUpstream);
  const weights = Object.values(lm.corpus);
  const byProfile = new Map(profiles.map((p) => [p.name, buildUpstreamCorpus(p, items, rng.fork(p.name))]));
  return items.map((_, i) => ({ ...byProfile.get(profiles[rng.weighted(weights)]!.name)![i]!, upstream: lm.name }));
}

export interface TrainedLm {
  model: GPT;
  log: StepRow[];
}

/** Trains `lm` on its corpus (question → answer, loss on the answer), from scratch or from `base`. */
export async function trainLm(
  lm: LmUpstream,
  corpus: readonly UpstreamPair[],
  tok: Tokenizer,
  {
    size,
    train,
    seed,
    log,
    base = null,
  }: { size: ModelSize; train: TrainSettings; seed: number; log: Logger; base?: Pick<Base, "dir"> | null },
): Promise<TrainedLm> {
  const unit = size.nHeads * 4; // the engine wants head sizes that are multiples of 4
  const dModel = Math.max(unit, Math.round((size.dModel * lm.width) / unit) * unit);
  // From a base, the LM is the base's size (its width factor applies to models from scratch).
  const model = await startingModel(base, tok.vocabSize, { ...size, dModel, tied: size.tied ?? false }, seed);
  const examples = corpus.map((p) => encodeExample(tok, chatPrompt(p.question), p.answer));
  const val = examples.slice(0, Math.min(64, Math.floor(examples.length / 10)));
  try {
    const result = await trainModel(
      model,
      examples.slice(val.length),
      { ...train, seed },
      {
        val,
        logger: log,
        progressLabel: `${lm.name} training`,
        onStep: (r) => {
          if (r.step % 50 === 0 || r.step === train.steps) log.info(`${lm.name} step ${r.step}/${train.steps} loss ${r.loss.toFixed(3)}`);
        },
      },
    );
    return { model, log: result.log };
  } catch (error) {
    disposeModel(model);
    throw error;
  }
}

/** The LM's answers to `items`, decoded at its own temperature (the batches spread over `pool`'s threads, same texts). */
export async function answerWithLm(
  lm: LmUpstream,
  model: GPT,
  tok: Tokenizer,
  items: readonly WorldItem[],
  decoding: Omit<Decoding, "temperature">,
  log: Logger,
  pool: WorkerPool | null = null,
): Promise<string[]> {
  const prompts = items.map((i) => chatPrompt(i.question));
  const texts = await generateTextsOn(pool, model, tok, prompts, { ...decoding, temperature: lm.temperature }, log, `${lm.name} answers`);
  return texts.map((g) => g.text);
}
