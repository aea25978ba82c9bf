import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leftPad } from "../../loaders/engine/generate.js";
import { createKVCache, decodeStep, disposeKVCache, prefill, type KVCache } from "../../loaders/engine/kvcache.js";
import { createModel, disposeModel, type GPT } from "../../loaders/engine/model.js";
import { expectNoLeak, useBackend } from "../_tf.js";

const CONFIG = { vocabSize: 40, dModel: 32, nHeads: 2, nLayers: 2, maxLen: 40 };
const PROMPTS = [
  [5, 6, 7, 8, 9, 10],
  [11, 12, 13],
  [20, 21, 22, 23, 24, 25, 26, 27, 28],
];

/** Greedy decoding of PROMPTS for `steps` tokens: every logit of every step, concatenated. */
function decodeAll(model: GPT, cache: KVCache, steps: number): number[] {
  const { batch, keyValid } = leftPad(PROMPTS, 9, 0);
  const out: number[] = [];
  let logits = prefill(model, cache, batch, keyValid);
  for (let s = 0; s < steps; s++) {
    out.push(...logits);
    const ids = Int32Array.from(PROMPTS, (_, b) => {
      const row = logits.subarray(b * CONFIG.vocabSize, (b + 1) * CONFIG.vocabSize);
      return row.indexOf(Math.max(...row));
    });
    logits = decodeStep(model, cache, ids);
  }
  return out;
}

describe("host KV cache", () => {
  let model: GPT;
  beforeAll(async () => {
    await useBackend("wasm");
    model = createModel(CONFIG, { seed: 3 });
  });
  afterAll(() => disposeModel(model));

  it("runs each layer's four linears and the head on the wasm kernel directly, with the same logits to the bit as tfjs ops", async () => {
    await expectNoLeak(() => {
      const direct = createKVCache(model, 3, 30, "host");
      expect(direct.linears).toHaveLength(4 * CONFIG.nLayers + 1);
      const ops = createKVCache(model, 3, 30, "host");
      for (const linear of ops.linears) linear.dispose();
      ops.linears = []; // decodeStep falls back to tfjs ops, as on the cpu backend
      try {
        expect(decodeAll(model, direct, 12)).toEqual(decodeAll(model, ops, 12));
      } finally {
        disposeKVCache(direct);
        disposeKVCache(ops);
      }
    });
  });

  it("has no direct linears on the cpu backend", async () => {
    await useBackend("cpu");
    try {
      const cache = createKVCache(model, 3, 30, "host");
      expect(cache.linears).toEqual([]);
      disposeKVCache(cache);
    } finally {
      await useBackend("wasm");
    }
  });
});
