import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generate, leftPad, sampleToken } from "../../loaders/engine/generate.js";
import { createModel, disposeModel, type GPT } from "../../loaders/engine/model.js";
import { createRng } from "../../loaders/engine/random.js";
import { expectNoLeak, useBackend } from "../_tf.js";

// Untrained but seeded: greedy outputs are arbitrary yet deterministic, which is all these tests need.
const SMALL = { vocabSize: 40, dModel: 16, nHeads: 2, nLayers: 2, maxLen: 32 };
const PROMPTS = [
  [5, 6, 7, 8, 9, 10],
  [11, 12, 13],
  [20, 21, 22, 23, 24, 25, 26, 27, 28],
];

describe("generate", () => {
  let model: GPT;
  beforeAll(async () => {
    await useBackend("wasm");
    model = createModel(SMALL, { seed: 1 });
  });
  afterAll(() => disposeModel(model));

  it("decodes the same greedy tokens with the KV cache as by recomputing the prefix", () => {
    const cached = generate(model, PROMPTS, { maxNewTokens: 12 });
    const recomputed = generate(model, PROMPTS, { maxNewTokens: 12, useCache: false });
    expect(cached.tokens.map((t) => t.length)).toEqual([12, 12, 12]);
    expect(cached.tokens).toEqual(recomputed.tokens);
  });

  it("decodes the same on the per-head attention path (long prompts) with and without the cache", () => {
    const wide = createModel({ vocabSize: 40, dModel: 32, nHeads: 1, nLayers: 1, maxLen: 80 }, { seed: 2 });
    const long = [Array.from({ length: 60 }, (_, i) => (i * 7) % 40), Array.from({ length: 52 }, (_, i) => (i * 3) % 40)];
    expect(generate(wide, long, { maxNewTokens: 6 }).tokens).toEqual(generate(wide, long, { maxNewTokens: 6, useCache: false }).tokens);
    disposeModel(wide);
  });

  it("continues a prompt the same alone as inside a left-padded batch", () => {
    const batch = generate(model, PROMPTS, { maxNewTokens: 8 });
    PROMPTS.forEach((p, i) => expect(generate(model, [p], { maxNewTokens: 8 }).tokens[0]).toEqual(batch.tokens[i]));
  });

  it("stops each sequence at its own EOS", () => {
    const free = generate(model, PROMPTS, { maxNewTokens: 10 });
    const eos = free.tokens[0]![3]!; // the 4th token of the first sequence becomes its EOS
    const stopped = generate(model, PROMPTS, { maxNewTokens: 10, eosId: eos });
    expect(stopped.tokens[0]).toEqual(free.tokens[0]!.slice(0, free.tokens[0]!.indexOf(eos)));
    expect(stopped.finished[0]).toBe(true);
    PROMPTS.forEach((_, i) => {
      const cut = free.tokens[i]!.indexOf(eos);
      expect(stopped.tokens[i]).toEqual(cut < 0 ? free.tokens[i] : free.tokens[i]!.slice(0, cut));
      expect(stopped.finished[i]).toBe(cut >= 0);
    });
  });

  it("samples reproducibly from a seed, and top-k 1 is greedy", () => {
    const opts = { maxNewTokens: 10, temperature: 1.5, topK: 20, topP: 0.95 };
    const a = generate(model, PROMPTS, { ...opts, seed: 7 });
    expect(generate(model, PROMPTS, { ...opts, seed: 7 }).tokens).toEqual(a.tokens);
    expect(generate(model, PROMPTS, { ...opts, seed: 8 }).tokens).not.toEqual(a.tokens);
    expect(generate(model, PROMPTS, { maxNewTokens: 10, temperature: 1, topK: 1, seed: 3 }).tokens).toEqual(
      generate(model, PROMPTS, { maxNewTokens: 10 }).tokens,
    );
  });

  it("caps new tokens at the model's maxLen and rejects unknown options", () => {
    const out = generate(model, [Array.from({ length: 28 }, (_, i) => i)], { maxNewTokens: 10 });
    expect(out.tokens[0]).toHaveLength(4);
    expect(() => generate(model, PROMPTS, { maxNewToken: 3 } as never)).toThrow(/unknown generate option/);
  });

  it("leaves no tensors behind across calls, cached or not", async () => {
    generate(model, PROMPTS, { maxNewTokens: 2 }); // warm up any lazily created state
    await expectNoLeak(() => {
      generate(model, PROMPTS, { maxNewTokens: 5 });
      generate(model, PROMPTS, { maxNewTokens: 5, useCache: false, temperature: 1 });
    });
  });
});

describe("sampleToken", () => {
  const logits = Float32Array.from([0, 3, 1, 2.5, -1]);

  it("takes the argmax at temperature 0", () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, createRng(1))).toBe(1);
  });

  it.each([
    ["top-k 2 keeps the two most likely", { temperature: 1, topK: 2, topP: 1 }, [1, 3]],
    ["top-p 0.5 keeps the smallest set reaching half the mass", { temperature: 1, topK: 0, topP: 0.5 }, [1]],
    ["a high temperature reaches every token", { temperature: 100, topK: 0, topP: 1 }, [0, 1, 2, 3, 4]],
  ])("%s", (_, opts, allowed) => {
    const rng = createRng(5);
    const seen = new Set(Array.from({ length: 400 }, () => sampleToken(logits, opts, rng)));
    expect([...seen].sort()).toEqual(allowed);
  });
});

describe("leftPad", () => {
  it("pads on the left, marks real tokens and numbers positions from each first real token", () => {
    const { batch, keyValid, positions } = leftPad([[7, 8], [9]], 3, 0);
    expect(Array.from(batch.ids)).toEqual([0, 7, 8, 0, 0, 9]);
    expect(Array.from(keyValid)).toEqual([0, 1, 1, 0, 0, 1]);
    expect(Array.from(positions)).toEqual([0, 0, 1, 0, 0, 0]);
  });
});
