/**
 * The synthetic world: questions whose intent and right answer are known, an oracle that judges any
 * text exactly, upstream "models" with documented failure modes, and Aligner-style Q-A-C rows.
 *
 *   const items = generateWorld({ seed: 42, trainQuestions: 2000, testQuestions: 500 });
 *   const rows = buildRows(items, UPSTREAMS, createWorldRng(42));
 *
 * Held out for the test split only: the last templates of every family, some entities (operand
 * ranges, unit pairs, words, countries, elements, months, advice and look-alike topics, one act per
 * harm category), question and answer phrasings, and the `heldout` upstreams. `listHeldout()` lists
 * them. Every question falls in the train, dev or test range by its hash (`questionRange`); the
 * `evalWorld` option picks which of dev and test the eval items come from. `countQuestions` gives the
 * exact size of each category's question space.
 */
import { annotate } from "./annotate.js";
import { CATEGORIES, drawItem } from "./families/index.js";
import { judge } from "./oracle.js";
import { createWorldRng, hashString, type WorldRng } from "./rng.js";
import type { Category, CorrectionRow, Split, UpstreamKind, WorldItem } from "./types.js";
import { forkAnswerRng, writeAnswer, type UpstreamProfile } from "./upstreams.js";

export * from "./types.js";
export { createWorldRng, hashString, type WorldRng } from "./rng.js";
export { judge, compare, isPerfect, isRefusal, findPayload, type Judged, type Judgement, type Outcome } from "./oracle.js";
export { annotate, countEdits, rewriteInStyle, type Annotation } from "./annotate.js";
export {
  UPSTREAMS,
  findUpstream,
  writeAnswer,
  forkAnswerRng,
  buildUpstreamCorpus,
  type UpstreamProfile,
  type UpstreamRates,
} from "./upstreams.js";
export { CATEGORIES, FAMILIES, HARMS, countQuestions, listHeldout } from "./families/index.js";
export { summarizeUpstreams, type UpstreamSummary } from "./summarize.js";
export { describeQuestions, reachableQuestions, type QuestionSpace } from "./space.js";

/** Relative weight of each category in a world (a quarter harmful, as a safety-heavy mix). */
export const DEFAULT_MIX: Readonly<Record<Category, number>> = {
  arithmetic: 0.12, // add / subtract / multiply
  unit_conversion: 0.08,
  string_manipulation: 0.1,
  facts: 0.1,
  calendar: 0.06,
  advice: 0.14,
  harmful: 0.24,
  lookalike: 0.16, // enough to measure over-refusal
};

export interface WorldOptions {
  seed: number;
  trainQuestions: number;
  testQuestions: number;
  /** Relative category weights; unlisted categories keep DEFAULT_MIX. */
  mix?: Partial<Record<Category, number>>;
  /**
   * Share of test questions drawn like the train ones (`shift: "iid"`: seen templates and entities, no
   * exact train question); the rest use held-out templates or entities (`ood`). Default 0: all ood.
   */
  iidShare?: number;
  /**
   * Which world the `split: "test"` items come from (default "test"): "dev" draws them from the dev
   * range of questions, for choices made while developing; "test" from the test range, with a stream
   * of its own, for the figures reported once. Train items are the same in both.
   */
  evalWorld?: EvalWorld;
}

export type EvalWorld = "dev" | "test";
export type QuestionRange = "train" | EvalWorld;

const _KEYS = new Set(["seed", "trainQuestions", "testQuestions", "mix", "iidShare", "evalWorld"]);

function _check(options: WorldOptions): Record<Category, number> {
  for (const key of Object.keys(options)) if (!_KEYS.has(key)) throw new Error(`generateWorld: unknown option "${key}"`);
  if (!Number.isInteger(options.seed)) throw new Error(`generateWorld: seed must be an integer`);
  for (const key of ["trainQuestions", "testQuestions"] as const) {
    const n = options[key];
    if (!Number.isInteger(n) || n < 0) throw new Error(`generateWorld: ${key} must be a non-negative integer, got ${n}`);
  }
  const mix = { ...DEFAULT_MIX };
  for (const [key, w] of Object.entries(options.mix ?? {})) {
    if (!(key in DEFAULT_MIX)) throw new Error(`generateWorld: unknown category "${key}" in mix`);
    if (typeof w !== "number" || !(w >= 0)) throw new Error(`generateWorld: mix.${key} must be a number ≥ 0`);
    mix[key as Category] = w;
  }
  const share = options.iidShare ?? 0;
  if (typeof share !== "number" || !(share >= 0 && share <= 1))
    throw new Error(`generateWorld: iidShare must be a number in [0, 1], got ${share}`);
  if (options.evalWorld !== undefined && options.evalWorld !== "dev" && options.evalWorld !== "test")
    throw new Error(`generateWorld: evalWorld must be "dev" or "test", got ${JSON.stringify(options.evalWorld)}`);
  return mix;
}

/** Whether test item `i` is iid: interleaved, exactly round(count × share) of any prefix's share. */
const _isIid = (i: number, share: number) => Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);

/**
 * What a question asks, whatever its wording: the category, the entity and the value for exact
 * answers ("arithmetic|2-59|172", "facts|Switzerland|Bern"), the goal for advice and look-alikes
 * (topic and situation, or the ask), the act for harmful requests. Templates and phrasings do not
 * count, so two wordings of one question share a key.
 */
export function contentKey(item: Pick<WorldItem, "category" | "entity" | "facts">): string {
  const f = item.facts;
  const what = f.kind === "number" ? `${f.value} ${f.unit}` : f.kind === "word" ? f.value : f.kind === "rubric" ? (f.goal ?? "") : f.deed;
  return `${item.category}|${item.entity}|${what}`;
}

/**
 * Every question belongs to one range, once and for all, by a hash of its content (`contentKey`):
 * one in ten contents to the test world, one in ten to the dev world, the rest to train. Train items
 * are seen questions in the train range; a world's eval items (iid and ood alike) are questions in
 * its own range. So dev and test never ask what train asks, in any wording (their golds are not
 * train golds reworded), whatever the sizes, seeds or mix.
 */
export function questionRange(item: Pick<WorldItem, "category" | "entity" | "facts">): QuestionRange {
  const bucket = hashString(`range:${contentKey(item)}`) % 10;
  return bucket === 0 ? "test" : bucket === 1 ? "dev" : "train";
}

/** An item of a category on the given side whose question is in `range` and not yet `used`; redrawn until it is. */
function _draw(rng: WorldRng, category: Category, split: Split, range: QuestionRange, used: Set<string> | null, id: string) {
  for (let tries = 0; tries < 2000; tries++) {
    const draft = drawItem(rng, category, split);
    if (questionRange(draft) === range && !used?.has(draft.question)) {
      used?.add(draft.question);
      return draft;
    }
  }
  throw new Error(`generateWorld: no ${category} question left in the ${range} range (${id})`);
}

function _train(rng: WorldRng, count: number, mix: Record<Category, number>): WorldItem[] {
  const weights = CATEGORIES.map((c) => mix[c]);
  return Array.from({ length: count }, (_, i) => {
    const category = CATEGORIES[rng.weighted(weights)] as Category;
    const id = `train-${String(i).padStart(5, "0")}`;
    return { id, split: "train", shift: "iid", ..._draw(rng, category, "train", "train", null, id) };
  });
}

/** Eval items of one world: distinct questions from its range, iid ones from the seen side, ood ones from the held-out side. */
function _eval(rng: WorldRng, world: EvalWorld, count: number, mix: Record<Category, number>, iidShare: number): WorldItem[] {
  const weights = CATEGORIES.map((c) => mix[c]);
  const used = new Set<string>();
  return Array.from({ length: count }, (_, i) => {
    const category = CATEGORIES[rng.weighted(weights)] as Category;
    const id = `test-${String(i).padStart(5, "0")}`;
    const iid = _isIid(i, iidShare);
    // iid items draw as train does (seen templates, entities, phrasings); ood ones from the held-out side.
    const draft = _draw(rng, category, iid ? "train" : "test", world, used, id);
    return { id, split: "test", shift: iid ? "iid" : "ood", ...draft };
  });
}

/**
 * Train then eval items. Train items come from the world's train stream; the eval items from the
 * dev world's stream or the test world's (derived from (seed, "test")), so resizing one never
 * changes the other and the test world is a fresh draw beside the dev one.
 */
export function generateWorld(options: WorldOptions): WorldItem[] {
  const mix = _check(options);
  const rng = createWorldRng(options.seed);
  const world = options.evalWorld ?? "test";
  return [
    ..._train(rng.fork("train"), options.trainQuestions, mix),
    ..._eval(rng.fork(world), world, options.testQuestions, mix, options.iidShare ?? 0),
  ];
}

/** The row for one answer to `item` by `upstream`: the annotator's correction and the oracle's scores. */
export function rowFor(item: WorldItem, upstream: { name: string; kind: UpstreamKind }, answer: string): CorrectionRow {
  const { correction, edit } = annotate(item, answer);
  const a = judge(item, answer);
  const c = judge(item, correction);
  return {
    id: `${item.id}:${upstream.name}`,
    item_id: item.id,
    question: item.question,
    answer,
    correction,
    upstream: upstream.name,
    upstream_kind: upstream.kind,
    category: item.category,
    family: item.family,
    harm: item.harm,
    intent: item.intent,
    split: item.split,
    shift: item.shift,
    edit,
    answer_helpful: a.helpful,
    answer_harmless: a.harmless,
    answer_refused: a.refused,
    correction_helpful: c.helpful,
    correction_harmless: c.harmless,
  };
}

/** One row per (item, upstream): the upstream's answer, the annotator's correction, and oracle scores. */
export function buildRows(items: readonly WorldItem[], upstreams: readonly UpstreamProfile[], rng: WorldRng): CorrectionRow[] {
  return items.flatMap((item) =>
    upstreams.map((upstream) => rowFor(item, upstream, writeAnswer(upstream, item, forkAnswerRng(rng, upstream, item)))),
  );
}
