// The Aligner's decoding choice: the likelier of the decoded correction and a copy of the answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  calibrateCopyRule,
  calibrationPrompts,
  chooseCopyRule,
  preferCopies,
  type RuleOutcome,
} from "../../loaders/experiment/copy-rule.js";
import { silentLogger } from "../../loaders/engine/log.js";
import { scoreSequences, scoreTokens } from "../../loaders/engine/dpo.js";
import { encodeExample, generateTexts, type Generated } from "../../loaders/engine/lm.js";
import { createModel, disposeModel, type GPT } from "../../loaders/engine/model.js";
import { renderPrompt } from "../../loaders/experiment/templates.js";
import { type Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { trainTokenizer } from "../../loaders/engine/tokenizer/train.js";
import { expectNoLeak, useBackend } from "../_tf.js";

const PAIRS = [
  { question: "What is 2 + 2?", answer: "2 + 2 = 4." },
  { question: "Spell cat backwards.", answer: "tac" },
  { question: "How do I steal a car?", answer: "I can't help with that." },
  { question: "Capital of France?", answer: "Paris." },
];
let tok: Tokenizer;
let model: GPT;

beforeAll(async () => {
  await useBackend("wasm");
  tok = trainTokenizer(
    PAIRS.flatMap((p) => [p.question, p.answer, renderPrompt("aligner-v1.0", p.question, p.answer)]),
    { vocabSize: 300 },
  );
  model = createModel({ vocabSize: tok.vocabSize, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 96 }, { seed: 3 });
});
afterAll(() => disposeModel(model));

describe("preferCopies", () => {
  it("keeps, per row, whichever of the decoded text and the copy the model scores higher", async () => {
    const prompts = PAIRS.map((p) => renderPrompt("aligner-v1.0", p.question, p.answer));
    const answers = PAIRS.map((p) => p.answer);
    const decoded: Generated[] = [{ text: "4", hitLimit: false }, { text: "cat cat cat", hitLimit: true }, answers[2]!, "Lyon."].map((t) =>
      typeof t === "string" ? { text: t, hitLimit: false } : t,
    );
    const chosen = await expectNoLeak(() => preferCopies(model, tok, prompts, answers, decoded));
    const d = scoreSequences(
      model,
      prompts.map((p, i) => encodeExample(tok, p, decoded[i]!.text)),
    );
    const c = scoreSequences(
      model,
      prompts.map((p, i) => encodeExample(tok, p, answers[i]!)),
    );
    chosen.forEach((g, i) => {
      if (c[i]! >= d[i]!) expect(g).toEqual({ text: answers[i], hitLimit: false });
      else expect(g).toBe(decoded[i]);
    });
    expect(chosen[2]).toBe(decoded[2]); // already a copy: left as it is
  });
});

describe("chooseCopyRule", () => {
  const rule = (margin: number, copyRate: number, perRow: number[]): RuleOutcome => ({
    margin,
    min_token_prob: 0,
    copy_rate: copyRate,
    perRow,
    helpful: perRow.reduce((a, b) => a + b, 0) / perRow.length - 1,
    harmless: 1,
  });
  it("takes the strictest rule within one paired standard error of the best", () => {
    // margin 0 is best by 0.03 a row on average, ahead on one row of ten and behind on another: within its error (± 0.056)
    const best = rule(0, 0.2, [1.5, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    const near = rule(4, 0.6, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1.2]);
    const far = rule(12, 0.9, [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]); // 0.35 below, ± 0.17
    const { chosen, best: top, close, curve } = chooseCopyRule([best, near, far]);
    expect(top.margin).toBe(0);
    expect(chosen.margin).toBe(4);
    expect(close.map((c) => c.margin)).toEqual([0, 4]);
    expect(curve[1]!.gap).toBeCloseTo(0.03, 12);
    expect(curve[1]!.gap_se).toBeCloseTo(Math.sqrt((0.47 ** 2 + 8 * 0.03 ** 2 + 0.23 ** 2) / 9 / 10), 12);
    expect(curve[2]!.gap).toBeCloseTo(0.35, 12);
    expect(curve[0]).toMatchObject({ gap: 0, gap_se: 0 });
  });
  it("keeps the best when a stricter rule loses on every row alike", () => {
    const best = rule(0, 0.2, Array(10).fill(1.1));
    const worse = rule(4, 0.6, Array(10).fill(1.05)); // a gap of 0.05 with no spread: outside any error
    expect(chooseCopyRule([worse, best]).chosen.margin).toBe(0);
    expect(() => chooseCopyRule([])).toThrow(/no rules/);
  });
  it("measures the standard error over questions: rows of one question do not count as independent evidence", () => {
    const best = rule(0, 0.2, Array(10).fill(1));
    const strict = rule(8, 0.7, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]); // 0.5 below
    expect(chooseCopyRule([best, strict]).chosen.margin).toBe(0); // ten rows: ± 0.17
    const questions = ["a", "a", "a", "a", "a", "b", "b", "b", "b", "b"];
    const clustered = chooseCopyRule([best, strict], questions); // two questions: ± 0.5
    expect(clustered.curve[1]!.gap_se).toBeCloseTo(0.5, 12);
    expect(clustered.chosen.margin).toBe(8);
  });
});

describe("copy rule", () => {
  const prompts = PAIRS.map((p) => renderPrompt("aligner-v1.0", p.question, p.answer));
  const answers = PAIRS.map((p) => p.answer);
  const decoded: Generated[] = ["4", "cat", "No.", "Lyon."].map((text) => ({ text, hitLimit: false }));
  const decodedExamples = () => prompts.map((p, i) => encodeExample(tok, p, decoded[i]!.text));

  it("gives the copy a head start of `margin` nats", () => {
    const d = scoreSequences(model, decodedExamples());
    const c = scoreSequences(
      model,
      prompts.map((p, i) => encodeExample(tok, p, answers[i]!)),
    );
    const gaps = Array.from(d, (x, i) => x - c[i]!);
    const m = [...gaps].sort((a, b) => a - b)[1]! + 1e-3; // between the second and third smallest gap
    const chosen = preferCopies(model, tok, prompts, answers, decoded, { margin: m, minTokenProb: 0 });
    chosen.forEach((g, i) => expect(g.text).toBe(gaps[i]! <= m ? answers[i] : decoded[i]!.text));
    expect(preferCopies(model, tok, prompts, answers, decoded, { margin: 1e9, minTokenProb: 0 }).map((g) => g.text)).toEqual(answers);
  });

  it("keeps a decoded text only if its least likely token reaches `minTokenProb`", () => {
    const { sum, min } = scoreTokens(model, decodedExamples());
    expect(Array.from(sum)).toEqual(Array.from(scoreSequences(model, decodedExamples())).map((x) => expect.closeTo(x, 4)));
    Array.from(min).forEach((x, i) => {
      expect(x).toBeGreaterThanOrEqual(sum[i]! - 1e-6); // one token's log-prob: between the sum of all and 0
      expect(x).toBeLessThan(0);
    });
    const free = preferCopies(model, tok, prompts, answers, decoded, { margin: -1e9, minTokenProb: 0 }); // any decoded text beats the copy
    expect(free.map((g) => g.text)).toEqual(decoded.map((g) => g.text));
    const floor = Math.exp([...min].sort((a, b) => a - b)[1]!) * 1.0001; // above the two weakest rows' weakest tokens
    const gated = preferCopies(model, tok, prompts, answers, decoded, { margin: -1e9, minTokenProb: floor });
    gated.forEach((g, i) => expect(g.text).toBe(min[i]! >= Math.log(floor) ? decoded[i]!.text : answers[i]));
    expect(gated.filter((g, i) => g.text === answers[i]).length).toBe(2);
  });

  it("chooses on rows with known scores among the rules whose outputs score best the strictest", () => {
    const decoding = { temperature: 0, topK: 0, topP: 1, maxNewTokens: 8, batchSize: 4, seed: 1 };
    const copiesWin = (i: number, text: string) => ({ helpful: text === answers[i] ? 1 : 0, harmless: 1 });
    const a = calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", {
      decoding,
      margins: [1e9, 0],
      minTokenProbs: [0.5, 0],
      score: copiesWin,
      log: silentLogger,
    });
    expect(a.curve.map((c) => [c.margin, c.min_token_prob])).toEqual([
      [0, 0],
      [0, 0.5],
      [1e9, 0],
      [1e9, 0.5],
    ]);
    expect(a.curve[2]).toEqual({ margin: 1e9, min_token_prob: 0, helpful: 1, harmless: 1, copy_rate: 1, gap: 0, gap_se: 0 });
    expect(a.curve[0]!.copy_rate).toBeLessThan(1); // an untrained model rarely decodes a copy
    expect(a.curve[1]!.copy_rate).toBeGreaterThanOrEqual(a.curve[0]!.copy_rate);
    expect(a.curve[0]!.helpful + a.curve[0]!.harmless).toBeLessThan(2);
    expect(a.curve[0]!.gap).toBeCloseTo(2 - (a.curve[0]!.helpful + a.curve[0]!.harmless), 9);
    // Every strict-enough rule makes only copies here and scores best; the strictest of them wins.
    expect([a.margin, a.minTokenProb]).toEqual([1e9, 0.5]);
    // Texts decoded elsewhere (the stage decodes on threads) give the same calibration.
    const generated = generateTexts(model, tok, calibrationPrompts(PAIRS, "aligner-v1.0"), decoding);
    const options = { decoding, margins: [1e9, 0], minTokenProbs: [0.5, 0], score: copiesWin, log: silentLogger };
    expect(calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { ...options, generated })).toEqual(a);
    expect(() => calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { ...options, generated: generated.slice(1) })).toThrow(
      /calibrateCopyRule: \d+ decoded texts for \d+ rows/,
    );
    const editsWin = (i: number, text: string) => ({ helpful: text === answers[i] ? 0 : 1, harmless: 1 });
    expect(
      calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", {
        decoding,
        margins: [0, 1e9],
        minTokenProbs: [0, 0.9],
        score: editsWin,
        log: silentLogger,
      }),
    ).toMatchObject({ margin: 0, minTokenProb: 0 });
    const flat = () => ({ helpful: 0.5, harmless: 1 });
    const tie = calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [4, 2, 8], score: flat, log: silentLogger });
    expect(tie.margin).toBe(8); // all tie: the strictest
    expect(tie.curve.every((c) => c.gap === 0 && c.gap_se === 0)).toBe(true);
    expect(() => calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [], score: flat, log: silentLogger })).toThrow(
      /no margins/,
    );
  });
});
