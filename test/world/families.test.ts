import { describe, expect, it } from "vitest";
import { CATEGORIES, FAMILIES, HARMS, listHeldout } from "../../loaders/world/families/index.js";
import { ADVICE_TOPICS } from "../../loaders/world/families/advice.js";
import { LOOKALIKE_TOPICS, lookalikeGoal } from "../../loaders/world/families/lookalike.js";
import { SITUATIONS } from "../../loaders/world/families/_shared.js";
import { coversPoint, findPayload, isCompliance, isPerfect, isRefusal, judge } from "../../loaders/world/oracle.js";
import { createWorldRng } from "../../loaders/world/rng.js";
import { countWords, hasPhrase } from "../../loaders/world/text.js";
import type { Split, WorldItem } from "../../loaders/world/types.js";

/** Many drafts of every family and split, with placeholder ids. */
function drawAll(perFamily: number): WorldItem[] {
  const rng = createWorldRng(11);
  const out: WorldItem[] = [];
  for (const category of CATEGORIES) {
    for (const family of FAMILIES[category]) {
      for (const split of ["train", "test"] as Split[]) {
        for (let i = 0; i < perFamily; i++)
          out.push({ id: `${family.name}-${i}`, split, shift: split === "train" ? "iid" : "ood", ...family.draw(rng, split) });
      }
    }
  }
  return out;
}

const ITEMS = drawAll(60);
const RUBRICS = [...ADVICE_TOPICS, ...LOOKALIKE_TOPICS];

describe("families", () => {
  it("cover at least 8 categories and 8 harm categories", () => {
    expect(new Set(ITEMS.map((i) => i.category)).size).toBeGreaterThanOrEqual(8);
    expect(new Set(ITEMS.map((i) => i.harm).filter(Boolean)).size).toBeGreaterThanOrEqual(8);
  });

  it("give every family several question templates and something held out", () => {
    for (const f of Object.values(FAMILIES).flat()) {
      expect(f.templates.filter((t) => !t.heldout).length, f.name).toBeGreaterThanOrEqual(3);
    }
    for (const h of listHeldout()) expect(h.templates.length + h.entities.length, h.family).toBeGreaterThan(0);
  });

  it("write gold answers the oracle rates perfect, in at most 40 words", () => {
    for (const item of ITEMS) {
      expect(isPerfect(judge(item, item.gold)), `${item.question} → ${item.gold}`).toBe(true);
      expect(countWords(item.gold)).toBeLessThanOrEqual(40);
    }
  });

  it("give every look-alike ask a goal in the second person that earns no key point by itself", () => {
    for (const topic of LOOKALIKE_TOPICS)
      for (const ask of topic.asks)
        for (const situation of SITUATIONS) {
          const goal = lookalikeGoal(ask, situation);
          expect(goal, ask).toMatch(/^[a-z]/);
          expect(goal, ask).not.toMatch(/\b(my|I)\b/);
          expect(
            topic.points.filter((p) => coversPoint(p, `To ${goal}:`)).map((p) => p.id),
            goal,
          ).toEqual([]);
        }
  });

  it("restate the asker's goal in every rubric gold, so golds differ between questions of one topic", () => {
    const rubric = ITEMS.filter((i) => i.facts.kind === "rubric");
    for (const item of rubric) expect(item.gold, item.question).toMatch(/^To [a-z].*: [A-Z]/);
    const lookalikes = rubric.filter((i) => i.category === "lookalike");
    expect(new Set(lookalikes.map((i) => i.gold)).size).toBeGreaterThan(new Set(lookalikes.map((i) => i.entity)).size * 2);
  });

  it("mark refuse intent exactly on harmful items", () => {
    for (const item of ITEMS) expect(item.intent === "refuse").toBe(item.category === "harmful");
  });

  it("keep held-out templates and entities out of train", () => {
    const held = listHeldout();
    const templates = new Set(held.flatMap((h) => h.templates));
    const entities = new Map(held.map((h) => [h.family, new Set(h.entities)]));
    for (const item of ITEMS.filter((i) => i.split === "train")) {
      expect(templates.has(item.template), item.template).toBe(false);
      const family = Object.values(FAMILIES)
        .flat()
        .find((f) => item.family.startsWith(f.name));
      expect(entities.get(family?.name ?? "")?.has(item.entity), item.entity).toBe(false);
    }
    for (const item of ITEMS.filter((i) => i.split === "test")) {
      const family = Object.values(FAMILIES)
        .flat()
        .find((f) => item.family.startsWith(f.name));
      expect(templates.has(item.template) || entities.get(family?.name ?? "")?.has(item.entity), item.question).toBe(true);
    }
  });

  it("never ask a test question that train asks", () => {
    const train = new Set(ITEMS.filter((i) => i.split === "train").map((i) => i.question));
    expect(ITEMS.filter((i) => i.split === "test" && train.has(i.question))).toEqual([]);
  });
});

describe("rubric key points", () => {
  const cases = RUBRICS.flatMap((t) => t.points.flatMap((p) => p.says.map((s) => [t.key, p.id, s] as const)));

  it.each(cases)("%s/%s: %s states its own point and no other", (topic, id, says) => {
    const points = RUBRICS.find((t) => t.key === topic)?.points ?? [];
    for (const p of points) expect(coversPoint(p, says), p.id).toBe(p.id === id);
    expect(findPayload(says)).toBeNull();
  });

  it("are never cued by the question itself", () => {
    for (const item of ITEMS) {
      if (item.facts.kind !== "rubric") continue;
      for (const p of item.facts.points) expect(coversPoint(p, item.question), `${item.question} / ${p.id}`).toBe(false);
    }
  });
});

describe("harm categories", () => {
  it.each(HARMS.map((h) => [h.harm, h] as const))("%s: refusal, payload steps and alternatives fit the oracle", (_, h) => {
    expect(isRefusal(h.reason)).toBe(true);
    for (const step of h.steps) expect(findPayload(step), step).toBe(h.harm);
    for (const p of h.alternatives) {
      for (const s of p.says) {
        expect(coversPoint(p, s), s).toBe(true);
        expect(findPayload(s) ?? isCompliance(s), s).toBe(false);
      }
    }
    for (const act of h.acts) {
      for (const firstPerson of ["my", "me", "myself", "I"]) expect(hasPhrase(act.deed, firstPerson), act.deed).toBe(false);
    }
  });
});
