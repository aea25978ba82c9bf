import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeWorkerPool,
  createWorkerPool,
  defaultWorkers,
  parallelGenerate,
  parallelGradients,
  _weightedSum,
  type WorkerPool,
} from "../../loaders/engine/dataparallel.js";
import { splitRows } from "../../loaders/engine/dpshard.js";
import { createRng } from "../../loaders/engine/random.js";
import { generate } from "../../loaders/engine/generate.js";
import { createModel, disposeModel, maskedLoss, type GPT } from "../../loaders/engine/model.js";
import { makeBatch, toSequence } from "../../loaders/engine/batches.js";
import { trainModel, type Example } from "../../loaders/engine/train.js";
import { generateTexts } from "../../loaders/engine/lm.js";
import { generateTextsOn } from "../../loaders/engine/lm-parallel.js";
import type { Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { maxAbsDiff, useBackend } from "../_tf.js";

// The tiny model and data keep this CI test to a few seconds with 2 threads (1 worker + the main thread).
const TINY = { vocabSize: 32, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 24 };
const DATA: Example[] = Array.from({ length: 24 }, (_, i) => ({
  prompt: Array.from({ length: 3 + (i % 4) }, (_, j) => 3 + ((i + j) % 20)),
  target: Array.from({ length: 2 + (i % 3) }, (_, j) => 5 + ((i * j) % 20)),
}));
const TRAIN = { steps: 6, batchSize: 7, lr: 1e-2, lrWarmupRatio: 0, gradClip: 1 };

describe("data parallelism", () => {
  let model: GPT;
  let pool: WorkerPool;
  beforeAll(async () => {
    await useBackend("wasm");
    model = createModel(TINY, { seed: 1 });
    pool = await createWorkerPool(model, 2);
  }, 60_000);
  afterAll(async () => {
    await closeWorkerPool(pool);
    disposeModel(model);
  });

  it("splits rows into contiguous, nearly equal ranges and reads ALIGNER_WORKERS", () => {
    expect(splitRows(7, 2)).toEqual([
      [0, 4],
      [4, 7],
    ]);
    expect(splitRows(1, 3)).toEqual([[0, 1]]);
    process.env.ALIGNER_WORKERS = "3";
    expect(defaultWorkers()).toBe(3);
    process.env.ALIGNER_WORKERS = "x";
    expect(() => defaultWorkers()).toThrow(/ALIGNER_WORKERS=x is not a positive integer/);
    delete process.env.ALIGNER_WORKERS;
    expect(defaultWorkers()).toBe(1); // under vitest
  });

  it("gives the one-thread loss and gradients (1e-5) with flat tensor counts in the worker", async () => {
    const batch = makeBatch(
      DATA.slice(0, 7).map((e) => toSequence(e, TINY.maxLen)),
      0,
    );
    const params = Object.values(model.params);
    const counts: number[] = [];
    for (let rep = 0; rep < 3; rep++) {
      const { value, grads } = await parallelGradients(pool, model, batch);
      const ref = tf.variableGrads(() => maskedLoss(model, batch), params);
      expect(Math.abs(value.dataSync()[0]! - ref.value.dataSync()[0]!)).toBeLessThan(1e-5);
      for (const p of params) expect(maxAbsDiff(grads[p.name]!.dataSync(), ref.grads[p.name]!.dataSync())).toBeLessThan(1e-5);
      counts.push(tf.memory().numTensors);
      tf.dispose([value, ref.value, ...Object.values(grads), ...Object.values(ref.grads)]);
    }
    expect(new Set(counts).size).toBe(1);
  });

  it("trains on the one-thread loss curve (|Δloss| < 1e-4 over 6 steps) with 2 threads", async () => {
    const curve = async (workers: number) => {
      const m = createModel(TINY, { seed: 2 });
      try {
        return (await trainModel(m, DATA, TRAIN, { workers })).log.map((r) => r.loss);
      } finally {
        disposeModel(m);
      }
    };
    const one = await curve(1);
    const two = await curve(2);
    expect(one[one.length - 1]).toBeLessThan(one[0]!); // it learns
    expect(maxAbsDiff(one, two)).toBeLessThan(1e-4);
  }, 60_000);

  // Letters a–z as ids 4–29 of the tiny vocabulary: enough of a tokenizer for generateTexts.
  const LETTERS = {
    encode: (text: string) => [...text].map((c) => 4 + ((c.charCodeAt(0) - 97 + 26) % 26)),
    decode: (ids: readonly number[]) => ids.map((i) => String.fromCharCode(97 + ((i - 4 + 26) % 26))).join(""),
  } as unknown as Tokenizer;
  const WORDS = Array.from({ length: 23 }, (_, i) => "abcdefghijklmnopqrstuvwxyz".slice(i % 9, (i % 9) + 2 + (i % 5)));

  it.each([
    ["greedy", 0],
    ["sampled", 0.9],
  ])("spreads generateTexts' batches over the threads with the same texts, %s", async (_, temperature) => {
    const decoding = { temperature, topK: 0, topP: 1, maxNewTokens: 6, batchSize: 4, seed: 5 }; // 6 batches
    const one = generateTexts(model, LETTERS, WORDS, decoding);
    const spread = await generateTextsOn(pool, model, LETTERS, WORDS, decoding);
    expect(spread).toEqual(one);
    expect(new Set(one.map((g) => g.text)).size).toBeGreaterThan(1);
    expect(await generateTextsOn(null, model, LETTERS, WORDS, decoding)).toEqual(one);
  });

  it("generates the same greedy tokens with rows split across threads as in one call", async () => {
    const prompts = [[4, 5, 6], [7], [8, 9, 10, 11], [12, 13], [14, 15, 16]];
    const one = generate(model, prompts, { maxNewTokens: 8 });
    const split = await parallelGenerate(pool, model, prompts, { maxNewTokens: 8 });
    expect(split.tokens).toEqual(one.tokens);
    expect(split.finished).toEqual(one.finished);
  });
});

describe("the gradient sum", () => {
  it("adds two or more weighted shards in one pass to the same float32 values as one shard at a time", () => {
    const rng = createRng(5);
    const n = 1000;
    const shard = () => Float32Array.from({ length: n }, (_, i) => (i % 97 === 0 ? -0 : (rng() * 2 - 1) * 10 ** Math.floor(rng() * 8 - 4)));
    for (const shares of [[0.375, 0.625], [0.2, 0.3, 0.5], [1]]) {
      const parts = shares.map((share) => ({ share, grads: shard() }));
      const oneAtATime = new Float32Array(n);
      for (const { share, grads } of parts) for (let i = 0; i < n; i++) oneAtATime[i] = oneAtATime[i]! + share * grads[i]!;
      const got = _weightedSum(parts, new Float32Array(n).fill(NaN));
      expect(Array.from(got).map((v) => (Object.is(v, -0) ? "-0" : v))).toEqual(
        Array.from(oneAtATime).map((v) => (Object.is(v, -0) ? "-0" : v)),
      );
    }
  });
});
