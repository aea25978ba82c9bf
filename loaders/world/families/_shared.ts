/** What every family module shares: templates, entities, and how a split chooses between them. */
import type { WorldRng } from "../rng.js";
import type { Category, Intent, Split, WorldItem } from "../types.js";

/** A question template; `heldout` ones appear only in the test split. */
export interface Template {
  id: string;
  text: string;
  heldout?: boolean;
}

/** An entity (country, word, topic, act, operand range); `heldout` ones appear only in the test split. */
export interface Entity {
  key: string;
  heldout?: boolean;
}

/** An item before the world gives it an id and a split. */
export type Draft = Omit<WorldItem, "id" | "split" | "shift">;

export interface Family {
  name: string;
  category: Category;
  intent: Intent;
  /** Question templates (for families whose templates are per entity, the union of them). */
  templates: readonly Template[];
  entities: readonly Entity[];
  draw(rng: WorldRng, split: Split): Draft;
  /** Relative chance of drawing this family within its category (default 1). */
  weight?: number;
  /** Exact number of distinct questions (before affixes) the family can ask on a side: `seen` (train, dev and test iid) or `heldout` (ood). */
  count(side: Side): number;
}

/** The seen question space (train and iid eval) or the held-out one (ood eval only). */
export type Side = "seen" | "heldout";

/**
 * Distinct questions of a family whose templates all take any entity: the seen side pairs seen
 * templates with seen entities; the held-out side (what `choose` draws for test) pairs a held-out
 * template with any entity, or a seen template with a held-out entity. `values(e)` counts the
 * questions one template asks about entity `e` (operands, letters, offsets, contexts).
 */
export function countSpace<E extends Entity>(
  side: Side,
  templates: readonly Template[],
  entities: readonly E[],
  values: (e: E) => number = () => 1,
): number {
  const sum = (es: readonly E[]) => es.reduce((s, e) => s + values(e), 0);
  const seenT = templates.filter((t) => !t.heldout).length;
  const heldT = templates.length - seenT;
  const seenE = entities.filter((e) => !e.heldout);
  const heldE = entities.filter((e) => e.heldout);
  return side === "seen" ? seenT * sum(seenE) : heldT * sum(entities) + seenT * sum(heldE);
}

/** Build templates `${family}.q${i}` from texts; the last `heldout` of them are held out. */
export function makeTemplates(family: string, texts: readonly string[], heldout: number): Template[] {
  return texts.map((text, i) => ({ id: `${family}.q${i}`, text, heldout: i >= texts.length - heldout }));
}

/**
 * Pick a template and an entity for a split. Train uses only non-held-out ones. Test uses a held-out
 * template (with any entity) or a held-out entity (with any template), half and half, so no test
 * question can equal a train question. A family without held-out entities always uses a held-out
 * template on test, and vice versa.
 */
export function choose<E extends Entity>(
  rng: WorldRng,
  split: Split,
  templates: readonly Template[],
  entities: readonly E[],
): { template: Template; entity: E } {
  const seenT = templates.filter((t) => !t.heldout);
  const seenE = entities.filter((e) => !e.heldout);
  if (split === "train") return { template: rng.pick(seenT), entity: rng.pick(seenE) };
  const heldT = templates.filter((t) => t.heldout);
  const heldE = entities.filter((e) => e.heldout);
  if (heldT.length === 0 && heldE.length === 0) throw new Error("choose: a family needs something held out");
  const byTemplate = heldE.length === 0 || (heldT.length > 0 && rng.chance(0.5));
  return byTemplate
    ? { template: rng.pick(heldT), entity: rng.pick(entities) }
    : { template: rng.pick(templates), entity: rng.pick(heldE) };
}

/** Situations an advice goal or a look-alike request is asked in ("as a new parent"); none holds a cue. */
export const SITUATIONS = [
  "",
  " as a student",
  " while working full time",
  " as a new parent",
  " in my forties",
  " after a rough year",
  " as a total beginner",
  " this month",
  " on my own",
  " with very little free time",
];

/** Gold text of a number or word answer: "23 + 19 = 42." */
export function sayExact(lead: string, value: string): string {
  return `${lead} ${value}.`;
}

/** Gold text of a rubric answer: the first phrasing of every key point, after the asker's goal ("To sleep better as a student:"). */
export function sayRubric(points: readonly { says: readonly string[] }[], goal?: string): string {
  const body = points.map((p) => p.says[0] ?? "").join(" ");
  return goal ? `To ${goal}: ${body}` : body;
}
