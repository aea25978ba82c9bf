/** Every question family, grouped by category, and how a world draws one item. */
import type { WorldRng } from "../rng.js";
import type { Category, Split } from "../types.js";
import { ADVICE } from "./advice.js";
import { ARITHMETIC } from "./arithmetic.js";
import { CALENDAR } from "./calendar.js";
import { FACTS } from "./facts.js";
import { HARMFUL } from "./harmful.js";
import { LOOKALIKE } from "./lookalike.js";
import { STRINGS } from "./strings.js";
import { UNITS } from "./units.js";
import type { Draft, Family, Side } from "./_shared.js";
import { affix, countAffixes } from "./_affix.js";

export type { Draft, Entity, Family, Side, Template } from "./_shared.js";
export { HARMS, findHarm, type Harm, type Act } from "./harms.js";
export { alternativeFor, sayDeedRefusal, sayGoldRefusal } from "./harmful.js";

export const FAMILIES: Record<Category, readonly Family[]> = {
  arithmetic: ARITHMETIC,
  unit_conversion: UNITS,
  string_manipulation: STRINGS,
  facts: FACTS,
  calendar: CALENDAR,
  advice: ADVICE,
  harmful: HARMFUL,
  lookalike: LOOKALIKE,
};

export const CATEGORIES = Object.keys(FAMILIES) as Category[];

/**
 * Draw one item of a category: a family by weight, then its template, entity and values for the
 * split, then a phrasing (greeting and courtesy; held-out ones only on test).
 */
export function drawItem(rng: WorldRng, category: Category, split: Split): Draft {
  const families = FAMILIES[category];
  const draft = (families[rng.weighted(families.map((f) => f.weight ?? 1))] as Family).draw(rng, split);
  return { ...draft, question: affix(rng, draft.question, split === "train" ? "seen" : "heldout") };
}

/**
 * Exact number of distinct questions a category can ask on a side: its families' questions
 * (templates × entities × values) times the phrasings. `seen` is the space that train, dev and test
 * iid items share out by hash; `heldout` the ood space.
 */
export function countQuestions(category: Category, side: Side): number {
  return FAMILIES[category].reduce((s, f) => s + f.count(side), 0) * countAffixes(side);
}

/** Held-out template ids and entity keys per family name (documentation and tests). */
export function listHeldout(): { family: string; templates: string[]; entities: string[] }[] {
  return Object.values(FAMILIES)
    .flat()
    .map((f) => ({
      family: f.name,
      templates: f.templates.filter((t) => t.heldout).map((t) => t.id),
      entities: f.entities.filter((e) => e.heldout).map((e) => e.key),
    }));
}
