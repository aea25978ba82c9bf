import { describe, expect, it } from "vitest";
import {
  buildRows,
  DEFAULT_MIX,
  generateWorld,
  listHeldout,
  summarizeUpstreams,
  UPSTREAMS,
  type WorldOptions,
} from "../../loaders/world/index.js";
import { createWorldRng } from "../../loaders/world/rng.js";

const OPTIONS = { seed: 42, trainQuestions: 300, testQuestions: 100 };

describe("generateWorld", () => {
  it("is a pure function of its options", () => {
    expect(generateWorld(OPTIONS)).toEqual(generateWorld(OPTIONS));
    expect(generateWorld(OPTIONS)).not.toEqual(generateWorld({ ...OPTIONS, seed: 43 }));
  });

  it("keeps train unchanged when the test split is resized", () => {
    const a = generateWorld(OPTIONS).filter((i) => i.split === "train");
    const b = generateWorld({ ...OPTIONS, testQuestions: 7 }).filter((i) => i.split === "train");
    expect(b).toEqual(a);
  });

  it("keeps the iid test items unchanged when the train split is resized, and never a train question", () => {
    const test = (trainQuestions: number) => generateWorld({ ...OPTIONS, trainQuestions, iidShare: 0.5 }).filter((i) => i.split === "test");
    const small = test(300);
    expect(small.filter((i) => i.shift === "iid").length).toBe(50);
    expect(test(3000)).toEqual(small);
    const train = new Set(
      generateWorld({ ...OPTIONS, trainQuestions: 3000 })
        .filter((i) => i.split === "train")
        .map((i) => i.question),
    );
    expect(small.filter((i) => i.shift === "iid" && train.has(i.question))).toEqual([]);
    // every category keeps iid test questions, even the small ones (harmful requests have about 70)
    expect(new Set(small.filter((i) => i.shift === "iid").map((i) => i.category))).toEqual(new Set(small.map((i) => i.category)));
  });

  it("with iidShare, interleaves iid test questions (seen templates and entities, no train question) with ood ones", () => {
    const items = generateWorld({ ...OPTIONS, iidShare: 0.5 });
    const test = items.filter((i) => i.split === "test");
    expect(test.map((i) => i.shift).slice(0, 4)).toEqual(["ood", "iid", "ood", "iid"]);
    expect(test.filter((i) => i.shift === "iid")).toHaveLength(50);
    expect(items.filter((i) => i.split === "train").every((i) => i.shift === "iid")).toBe(true);
    const held = listHeldout();
    const heldTemplates = new Set(held.flatMap((h) => h.templates));
    const heldEntities = new Map(held.map((h) => [h.family, new Set(h.entities)]));
    const trainQuestions = new Set(items.filter((i) => i.split === "train").map((i) => i.question));
    for (const i of test) {
      const family = i.family.startsWith("advice.") || i.family.startsWith("lookalike.") ? i.category : i.family;
      const heldout = heldTemplates.has(i.template) || (heldEntities.get(family)?.has(i.entity) ?? false);
      expect(heldout, `${i.id} ${i.shift} ${i.template} ${i.entity}`).toBe(i.shift === "ood");
      if (i.shift === "iid") expect(trainQuestions.has(i.question), i.question).toBe(false);
    }
    // the train split and the ood stream do not depend on the share
    expect(items.filter((i) => i.split === "train")).toEqual(generateWorld(OPTIONS).filter((i) => i.split === "train"));
    expect(generateWorld(OPTIONS).every((i) => i.split === "train" || i.shift === "ood")).toBe(true);
    expect(() => generateWorld({ ...OPTIONS, iidShare: 2 })).toThrow(/iidShare must be a number in \[0, 1\]/);
  });

  it("returns the asked number of items per split with unique ids", () => {
    const items = generateWorld(OPTIONS);
    expect(items.filter((i) => i.split === "train").length).toBe(300);
    expect(items.filter((i) => i.split === "test").length).toBe(100);
    expect(new Set(items.map((i) => i.id)).size).toBe(400);
  });

  it("draws every category of the default mix and honours a custom one", () => {
    const items = generateWorld({ ...OPTIONS, trainQuestions: 2000 });
    expect(new Set(items.map((i) => i.category))).toEqual(new Set(Object.keys(DEFAULT_MIX)));
    expect(new Set(items.map((i) => i.harm).filter(Boolean)).size).toBeGreaterThanOrEqual(8);
    const safe = generateWorld({ ...OPTIONS, mix: { harmful: 0 } });
    expect(safe.some((i) => i.category === "harmful")).toBe(false);
  });

  it("never uses a held-out template or entity in train", () => {
    const held = listHeldout();
    const templates = new Set(held.flatMap((h) => h.templates));
    const entity = new Map(held.map((h) => [h.family, new Set(h.entities)]));
    const items = generateWorld({ ...OPTIONS, trainQuestions: 2000, testQuestions: 500 });
    for (const i of items.filter((x) => x.split === "train")) {
      const family = i.family.startsWith("advice.") || i.family.startsWith("lookalike.") ? i.category : i.family;
      expect(templates.has(i.template), i.template).toBe(false);
      expect(entity.get(family)?.has(i.entity) ?? false, `${i.family} ${i.entity}`).toBe(false);
    }
    const train = new Set(items.filter((i) => i.split === "train").map((i) => i.question));
    expect(items.filter((i) => i.split === "test" && train.has(i.question))).toEqual([]);
  });

  it.each([
    ["an unknown option", { ...OPTIONS, sed: 1 }, /unknown option "sed"/],
    ["a negative count", { ...OPTIONS, trainQuestions: -1 }, /trainQuestions/],
    ["a fractional seed", { ...OPTIONS, seed: 1.5 }, /seed/],
    ["an unknown category in the mix", { ...OPTIONS, mix: { poetry: 1 } }, /unknown category "poetry"/],
    ["a negative weight", { ...OPTIONS, mix: { facts: -1 } }, /mix.facts/],
  ])("rejects %s", (_, options, message) => {
    expect(() => generateWorld(options as unknown as WorldOptions)).toThrow(message);
  });
});

describe("buildRows", () => {
  const items = generateWorld(OPTIONS);
  const rows = buildRows(items, UPSTREAMS, createWorldRng(42));

  it("writes one row per item and upstream, deterministically", () => {
    expect(rows.length).toBe(items.length * UPSTREAMS.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(buildRows(items, UPSTREAMS, createWorldRng(42))).toEqual(rows);
  });

  it("carries the item's provenance and the upstream's kind", () => {
    const byId = new Map(items.map((i) => [i.id, i]));
    for (const r of rows) {
      const item = byId.get(r.item_id);
      expect(r.question).toBe(item?.question);
      expect([r.category, r.family, r.split, r.intent, r.harm]).toEqual([
        item?.category,
        item?.family,
        item?.split,
        item?.intent,
        item?.harm,
      ]);
      expect(r.upstream_kind).toBe(UPSTREAMS.find((u) => u.name === r.upstream)?.kind);
    }
  });

  it("gives an upstream the same answers whichever other upstreams run beside it", () => {
    const alone = buildRows(items, [UPSTREAMS[2]!], createWorldRng(42));
    expect(alone.map((r) => r.answer)).toEqual(rows.filter((r) => r.upstream === UPSTREAMS[2]!.name).map((r) => r.answer));
  });

  it("summarises each upstream with oracle means and edit counts", () => {
    const summary = summarizeUpstreams(rows);
    expect(summary.map((s) => s.upstream)).toEqual(UPSTREAMS.map((u) => u.name));
    for (const s of summary) {
      expect(s.rows).toBe(items.length);
      expect(s.correction_helpful).toBe(1);
      expect(s.correction_harmless).toBe(1);
      expect(Object.values(s.edits).reduce((a, b) => a + b, 0)).toBe(s.rows);
    }
  });
});
