import { describe, expect, it } from "vitest";
import { generateWorld } from "../../loaders/world/index.js";
import { countFillers, judge, type Judgement } from "../../loaders/world/oracle.js";
import { createWorldRng } from "../../loaders/world/rng.js";
import { countWords } from "../../loaders/world/text.js";
import type { WorldItem } from "../../loaders/world/types.js";
import { buildUpstreamCorpus, findUpstream, forkAnswerRng, UPSTREAMS, writeAnswer } from "../../loaders/world/upstreams.js";

const ITEMS = generateWorld({ seed: 21, trainQuestions: 1200, testQuestions: 400 });
const RNG = createWorldRng(21);

interface Answered {
  item: WorldItem;
  answer: string;
  j: Judgement;
}

const ANSWERS = new Map<string, Answered[]>(
  UPSTREAMS.map((u) => [
    u.name,
    ITEMS.map((item) => {
      const answer = writeAnswer(u, item, forkAnswerRng(RNG, u, item));
      return { item, answer, j: judge(item, answer) };
    }),
  ]),
);

const of = (name: string) => ANSWERS.get(name) ?? [];
const share = (xs: Answered[], pred: (a: Answered) => boolean) => xs.filter(pred).length / Math.max(1, xs.length);
const exact = (a: Answered) => a.item.facts.kind === "number" || a.item.facts.kind === "word";
const wrong = (a: Answered) => a.j.reasons.some((r) => r.startsWith("wrong answer"));

describe("the upstream zoo", () => {
  it("has at least 6 distinct profiles, seen and held out", () => {
    expect(UPSTREAMS.length).toBeGreaterThanOrEqual(6);
    expect(new Set(UPSTREAMS.map((u) => u.name)).size).toBe(UPSTREAMS.length);
    expect(new Set(UPSTREAMS.map((u) => JSON.stringify(u.rates))).size).toBe(UPSTREAMS.length);
    expect(UPSTREAMS.filter((u) => u.kind === "seen").length).toBeGreaterThanOrEqual(3);
    expect(UPSTREAMS.filter((u) => u.kind === "heldout").length).toBeGreaterThanOrEqual(2);
  });

  // [profile, behaviour, answers it applies to, predicate, minimum share]
  it.each([
    [
      "helpful_unsafe",
      "complies with harmful requests",
      (a: Answered) => a.item.intent === "refuse",
      (a: Answered) => a.j.harmless === 0,
      0.5,
    ],
    ["over_refuser", "refuses look-alikes", (a: Answered) => a.item.category === "lookalike", (a: Answered) => a.j.refused, 0.5],
    ["over_refuser", "is always harmless", () => true, (a: Answered) => a.j.harmless === 1, 1],
    ["sloppy_math", "gets number answers wrong", (a: Answered) => a.item.facts.kind === "number", wrong, 0.4],
    ["verbose", "pads its answers", () => true, (a: Answered) => countFillers(a.answer) > 0, 0.8],
    [
      "self_contradicting",
      "contradicts itself on exact answers",
      exact,
      (a: Answered) => a.j.reasons.some((r) => r.startsWith("contradiction")),
      0.3,
    ],
    ["terse", "answers exact questions in at most three words", exact, (a: Answered) => countWords(a.answer) <= 3, 0.7],
    [
      "terse",
      "covers at most half the key points",
      (a: Answered) => a.item.facts.kind === "rubric" && !a.j.refused,
      (a: Answered) => a.j.helpful <= 0.5,
      0.6,
    ],
    [
      "wrapped_complier",
      "wraps payloads in refusals",
      (a: Answered) => a.item.intent === "refuse",
      (a: Answered) => a.j.refused && a.j.payload !== null,
      0.5,
    ],
    ["confabulator", "gets word answers wrong", (a: Answered) => a.item.facts.kind === "word", wrong, 0.4],
  ] as const)("%s %s", (name, _, applies, pred, min) => {
    const pool = of(name).filter(applies);
    expect(pool.length).toBeGreaterThan(30);
    expect(share(pool, pred)).toBeGreaterThanOrEqual(min);
  });

  it("separates the safety profiles: the unsafe one complies far more than the over-refuser", () => {
    const complied = (name: string) =>
      share(
        of(name).filter((a) => a.item.intent === "refuse"),
        (a) => a.j.harmless === 0,
      );
    const refusedLookalikes = (name: string) =>
      share(
        of(name).filter((a) => a.item.category === "lookalike"),
        (a) => a.j.refused,
      );
    expect(complied("helpful_unsafe")).toBeGreaterThan(complied("over_refuser") + 0.5);
    expect(refusedLookalikes("over_refuser")).toBeGreaterThan(refusedLookalikes("helpful_unsafe") + 0.5);
  });

  it.each(UPSTREAMS.map((u) => [u.name]))("%s writes by templating, rarely the gold verbatim", (name) => {
    const answers = of(name);
    expect(share(answers, (a) => a.answer === a.item.gold)).toBeLessThan(0.3);
    expect(new Set(answers.map((a) => a.answer)).size).toBeGreaterThan(answers.length / 3);
  });

  it("uses held-out answer phrasings only on test items", () => {
    const heldout = /^(?:You get |So |Some ideas:)/;
    const all = [...ANSWERS.values()].flat();
    expect(all.filter((a) => a.item.split === "train" && heldout.test(a.answer))).toEqual([]);
    expect(all.some((a) => a.item.split === "test" && heldout.test(a.answer))).toBe(true);
  });

  it("writes the same answer for the same seed, upstream and item", () => {
    const u = findUpstream("verbose");
    const item = ITEMS[0] as WorldItem;
    expect(writeAnswer(u, item, forkAnswerRng(createWorldRng(3), u, item))).toBe(
      writeAnswer(u, item, forkAnswerRng(createWorldRng(3), u, item)),
    );
  });

  it("rejects an unknown upstream name", () => expect(() => findUpstream("gpt-4")).toThrow(/unknown upstream/));
});

describe("buildUpstreamCorpus", () => {
  it("returns one (question, answer) pair per item, in the profile's voice", () => {
    const u = findUpstream("helpful_unsafe");
    const train = ITEMS.filter((i) => i.split === "train").slice(0, 50);
    const corpus = buildUpstreamCorpus(u, train, RNG);
    expect(corpus.length).toBe(50);
    expect(corpus[0]).toEqual({
      item_id: train[0]?.id,
      question: train[0]?.question,
      answer: of("helpful_unsafe")[0]?.answer,
      upstream: "helpful_unsafe",
    });
  });
});
