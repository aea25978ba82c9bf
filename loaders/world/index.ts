/**
 * The synthetic world: questions whose intent and right answer are known, an oracle that judges any
 * text exactly, upstream "models" with documented failure modes, and Aligner-style Q-A-C rows.
 *
 *   const items = generateWorld({ seed: 42, trainQuestions: 2000, testQuestions: 500 });
 *   const rows = buildRows(items, UPSTREAMS, createWorldRng(42));
 *
 * Held out for the test split only: the last templates of every family, some entities (operand
 * ranges, unit pairs, words, countries, elements, months, advice and look-alike topics, one act per
 * harm category), answer phrasings, and the `heldout` upstreams. `listHeldout()` lists them.
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
export { CATEGORIES, FAMILIES, HARMS, listHeldout } from "./families/index.js";
export { summarizeUpstreams, type UpstreamSummary } from "./summarize.js";

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
  evalWorld?: "dev" | "test";
}

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
  return mix;
}

/** Whether test item `i` is iid: interleaved, exactly round(count × share) of any prefix's share. */
const _isIid = (i: number, share: number) => Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);

/**
 * The seen question space is split once and for all by a hash of the question: one question in
 * `_TEST_BUCKETS` is reserved for iid test items, the rest for train ones. The iid test set is then the
 * same whatever the number of train questions (and never one of them), and the train set the same
 * whatever the number of test questions.
 */
const _TEST_BUCKETS = 8;
const _reservedForTest = (question: string) => hashString(`iid-test:${question}`) % _TEST_BUCKETS === 0;

/** A seen-template question on the given side of the split: redrawn in its category, then (rarely) in another. */
function _drawSeen(
  rng: WorldRng,
  category: Category,
  weights: number[],
  forTest: boolean,
  id: string,
): Omit<WorldItem, "id" | "split" | "shift"> {
  let draft = drawItem(rng, category, "train");
  for (let tries = 1; _reservedForTest(draft.question) !== forTest && tries < 400; tries++) {
    // A family with few seen templates and entities may have no question on this side: then another category.
    draft = drawItem(rng, tries < 100 ? category : (CATEGORIES[rng.weighted(weights)] as Category), "train");
  }
  if (_reservedForTest(draft.question) !== forTest)
    throw new Error(`generateWorld: no ${forTest ? "iid test" : "train"} question left on its side of the split (${id})`);
  return draft;
}

function _items(rng: WorldRng, split: Split, count: number, mix: Record<Category, number>, iidShare: number): WorldItem[] {
  const weights = CATEGORIES.map((c) => mix[c]);
  return Array.from({ length: count }, (_, i) => {
    const category = CATEGORIES[rng.weighted(weights)] as Category;
    const id = `${split}-${String(i).padStart(5, "0")}`;
    if (split === "test" && !_isIid(i, iidShare)) return { id, split, shift: "ood", ...drawItem(rng, category, split) };
    return { id, split, shift: "iid", ..._drawSeen(rng, category, weights, split === "test", id) };
  });
}

/** Train then test items; each split has its own stream and its own side of the seen questions, so resizing one leaves the other unchanged. */
export function generateWorld(options: WorldOptions): WorldItem[] {
  const mix = _check(options);
  const rng = createWorldRng(options.seed);
  const share = options.iidShare ?? 0;
  return [
    ..._items(rng.fork("train"), "train", options.trainQuestions, mix, share),
    ..._items(rng.fork("test"), "test", options.testQuestions, mix, share),
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
