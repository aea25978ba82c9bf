// The Aligner's decoding choice: the likelier of the decoded correction and a copy of the answer.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { calibrateCopyRule, preferCopies } from "../loaders/aligner.js";
import { silentLogger } from "../loaders/log.js";
import { scoreSequences, scoreTokens } from "../loaders/dpo.js";
import { encodeExample, type Generated } from "../loaders/lm.js";
import { createModel, disposeModel, type GPT } from "../loaders/model.js";
import { renderPrompt } from "../loaders/templates.js";
import { trainTokenizer, type Tokenizer } from "../loaders/tokenize.js";
import { expectNoLeak, useBackend } from "./_tf.js";

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
  tok = trainTokenizer(PAIRS.flatMap((p) => [p.question, p.answer, renderPrompt("aligner-v1.0", p.question, p.answer)]), { vocabSize: 300 });
  model = createModel({ vocabSize: tok.vocabSize, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 96 }, { seed: 3 });
});
afterAll(() => disposeModel(model));

describe("preferCopies", () => {
  it("keeps, per row, whichever of the decoded text and the copy the model scores higher", async () => {
    const prompts = PAIRS.map((p) => renderPrompt("aligner-v1.0", p.question, p.answer));
    const answers = PAIRS.map((p) => p.answer);
    const decoded: Generated[] = [{ text: "4", hitLimit: false }, { text: "cat cat cat", hitLimit: true }, answers[2]!, "Lyon."].map((t) => (typeof t === "string" ? { text: t, hitLimit: false } : t));
    const chosen = await expectNoLeak(() => preferCopies(model, tok, prompts, answers, decoded));
    const d = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, decoded[i]!.text)));
    const c = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, answers[i]!)));
    chosen.forEach((g, i) => {
      if (c[i]! >= d[i]!) expect(g).toEqual({ text: answers[i], hitLimit: false });
      else expect(g).toBe(decoded[i]);
    });
    expect(chosen[2]).toBe(decoded[2]); // already a copy: left as it is
  });
});

describe("copy rule", () => {
  const prompts = PAIRS.map((p) => renderPrompt("aligner-v1.0", p.question, p.answer));
  const answers = PAIRS.map((p) => p.answer);
  const decoded: Generated[] = ["4", "cat", "No.", "Lyon."].map((text) => ({ text, hitLimit: false }));
  const decodedExamples = () => prompts.map((p, i) => encodeExample(tok, p, decoded[i]!.text));

  it("gives the copy a head start of `margin` nats", () => {
    const d = scoreSequences(model, decodedExamples());
    const c = scoreSequences(model, prompts.map((p, i) => encodeExample(tok, p, answers[i]!)));
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

  it("chooses on rows with known scores the rule whose outputs score best, the least strict on a tie", () => {
    const decoding = { temperature: 0, topK: 0, topP: 1, maxNewTokens: 8, batchSize: 4, seed: 1 };
    const copiesWin = (i: number, text: string) => ({ helpful: text === answers[i] ? 1 : 0, harmless: 1 });
    const a = calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [1e9, 0], minTokenProbs: [0.5, 0], score: copiesWin, log: silentLogger });
    expect(a.curve.map((c) => [c.margin, c.min_token_prob])).toEqual([[0, 0], [0, 0.5], [1e9, 0], [1e9, 0.5]]);
    expect(a.curve[2]).toEqual({ margin: 1e9, min_token_prob: 0, helpful: 1, harmless: 1, copy_rate: 1 });
    expect(a.curve[0]!.copy_rate).toBeLessThan(1); // an untrained model rarely decodes a copy
    expect(a.curve[1]!.copy_rate).toBeGreaterThanOrEqual(a.curve[0]!.copy_rate);
    expect(a.curve[0]!.helpful + a.curve[0]!.harmless).toBeLessThan(2);
    // Every strict-enough rule makes only copies here; the first of them in (margin, probability) order wins.
    const best = a.curve.find((c) => c.helpful === 1)!;
    expect([a.margin, a.minTokenProb]).toEqual([best.margin, best.min_token_prob]);
    const editsWin = (i: number, text: string) => ({ helpful: text === answers[i] ? 0 : 1, harmless: 1 });
    expect(calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [0, 1e9], minTokenProbs: [0, 0.9], score: editsWin, log: silentLogger })).toMatchObject({ margin: 0, minTokenProb: 0 });
    const flat = () => ({ helpful: 0.5, harmless: 1 });
    expect(calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [4, 2, 8], score: flat, log: silentLogger })).toMatchObject({ margin: 2, minTokenProb: 0 });
    expect(() => calibrateCopyRule(model, tok, PAIRS, "aligner-v1.0", { decoding, margins: [], score: flat, log: silentLogger })).toThrow(/no margins/);
  });
});
