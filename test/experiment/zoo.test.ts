// The transformer zoo (loaders/experiment/zoo.ts): its registry resolves names and profiles, each LM's
// corpus is a seeded draw from its mixture over the train questions only, and a few steps of trainLm on a
// tiny model lower the loss before answerWithLm answers every question at the LM's own temperature.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chatPrompt, generateTexts } from "../../loaders/engine/lm.js";
import { silentLogger } from "../../loaders/engine/log.js";
import { disposeModel, type GPT, type ModelSize } from "../../loaders/engine/model.js";
import { type Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { trainTokenizer } from "../../loaders/engine/tokenizer/train.js";
import type { TrainSettings } from "../../loaders/engine/train.js";
import { loadPreset } from "../../loaders/experiment/config.js";
import { buildDataset } from "../../loaders/experiment/dataset.js";
import { LM_UPSTREAMS, answerWithLm, buildLmCorpus, findLmUpstream, trainLm, type LmUpstream } from "../../loaders/experiment/zoo.js";
import { closeWorkerPool, createWorkerPool } from "../../loaders/engine/dataparallel.js";
import { UPSTREAMS, buildUpstreamCorpus, createWorldRng, findUpstream, generateWorld, type WorldItem } from "../../loaders/world/index.js";
import { expectNoLeak, useBackend } from "../_tf.js";

// Every call of buildLmCorpus, seen through the real one, so a test can check which items the dataset passes it.
const corpusCalls = vi.hoisted(() => [] as { lm: string; items: { id: string; split: string }[] }[]);
vi.mock("../../loaders/experiment/zoo.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../loaders/experiment/zoo.js")>();
  return {
    ...real,
    buildLmCorpus: (lm: LmUpstream, items: readonly WorldItem[], seed: number) => {
      corpusCalls.push({ lm: lm.name, items: items.map((i) => ({ id: i.id, split: i.split })) });
      return real.buildLmCorpus(lm, items, seed);
    },
  };
});

const WORLD = generateWorld({ seed: 7, trainQuestions: 150, testQuestions: 20 });
const TRAIN = WORLD.filter((i) => i.split === "train");
const TEST = WORLD.filter((i) => i.split === "test");
const SIZE: ModelSize = { dModel: 16, nHeads: 2, nLayers: 1, maxLen: 96 };
const FEW_STEPS: TrainSettings = { steps: 30, batchSize: 16, lr: 1e-2, lrWarmupRatio: 0, weightDecay: 0, evalEvery: 0, checkpointEvery: 0 };
const UNSAFE = findLmUpstream("lm_unsafe");

describe("the zoo registry", () => {
  it.each(LM_UPSTREAMS.map((u) => [u.name, u] as const))(
    "resolves %s to itself, with a mixture of known rule-based profiles",
    (name, lm) => {
      expect(findLmUpstream(name)).toBe(lm);
      for (const profile of Object.keys(lm.corpus)) expect(() => findUpstream(profile), profile).not.toThrow();
      expect(Object.values(lm.corpus).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 10);
      expect(Object.values(lm.corpus).every((share) => share > 0)).toBe(true);
      expect(lm.width).toBeGreaterThan(0);
      expect(lm.temperature).toBeGreaterThanOrEqual(0);
      expect(UPSTREAMS.map((u) => u.name)).not.toContain(name); // its rows must not be confused with a profile's
    },
  );

  it("has unique names, seen and held-out models both", () => {
    expect(new Set(LM_UPSTREAMS.map((u) => u.name)).size).toBe(LM_UPSTREAMS.length);
    expect(new Set(LM_UPSTREAMS.map((u) => u.kind))).toEqual(new Set(["seen", "heldout"]));
  });

  it("rejects an unknown name, listing the known ones", () => {
    expect(() => findLmUpstream("lm_nobody")).toThrow(
      `unknown zoo model "lm_nobody" (known: ${LM_UPSTREAMS.map((u) => u.name).join(", ")})`,
    );
  });
});

describe("buildLmCorpus", () => {
  /** What each profile of the mixture writes for every item, from the streams buildLmCorpus forks. */
  const byProfile = (lm: LmUpstream, items: readonly WorldItem[], seed: number) =>
    Object.keys(lm.corpus).map((name) =>
      buildUpstreamCorpus(findUpstream(name), items, createWorldRng(seed).fork(`corpus:${lm.name}`).fork(name)),
    );

  it("answers each given item once, in order, under the LM's name", () => {
    const corpus = buildLmCorpus(UNSAFE, TRAIN, 1);
    expect(corpus.map((p) => p.item_id)).toEqual(TRAIN.map((i) => i.id));
    expect(corpus.map((p) => p.question)).toEqual(TRAIN.map((i) => i.question));
    expect(corpus.every((p) => p.upstream === "lm_unsafe" && p.answer.length > 0)).toBe(true);
  });

  it.each(LM_UPSTREAMS.map((u) => [u.name, u] as const))(
    "gives %s each item the answer of one profile of its mixture, each profile in rough proportion",
    (_name, lm) => {
      const corpus = buildLmCorpus(lm, TRAIN, 3);
      const answers = byProfile(lm, TRAIN, 3);
      corpus.forEach((pair, i) =>
        expect(
          answers.map((a) => a[i]!.answer),
          pair.question,
        ).toContain(pair.answer),
      );
      // Items whose answer only one profile would have written tell which profile was drawn.
      const shares = Object.values(lm.corpus);
      const counts = shares.map(() => 0);
      let told = 0;
      corpus.forEach((pair, i) => {
        const who = answers.flatMap((a, p) => (a[i]!.answer === pair.answer ? [p] : []));
        if (who.length === 1) ((counts[who[0]!]! += 1), told++);
      });
      expect(told).toBeGreaterThan(TRAIN.length / 3);
      shares.forEach((share, p) => expect(Math.abs(counts[p]! / told - share), Object.keys(lm.corpus)[p]).toBeLessThan(0.2));
    },
  );

  it("is deterministic per seed, and another seed draws other answers", () => {
    const a = buildLmCorpus(UNSAFE, TRAIN, 5);
    expect(buildLmCorpus(UNSAFE, TRAIN, 5)).toEqual(a);
    const b = buildLmCorpus(UNSAFE, TRAIN, 6);
    expect(b.filter((p, i) => p.answer !== a[i]!.answer).length).toBeGreaterThan(TRAIN.length / 4);
  });

  it("draws differently for two LMs with the same mixture (each LM forks its own streams)", () => {
    const twin = { ...UNSAFE, name: "lm_twin" };
    const a = buildLmCorpus(UNSAFE, TRAIN, 5);
    const b = buildLmCorpus(twin, TRAIN, 5);
    expect(b.filter((p, i) => p.answer !== a[i]!.answer).length).toBeGreaterThan(0);
  });

  it("rejects a mixture naming an unknown profile", () => {
    expect(() => buildLmCorpus({ ...UNSAFE, corpus: { helpful_unsafe: 0.5, nobody: 0.5 } }, TRAIN, 1)).toThrow(/unknown upstream "nobody"/);
  });
});

describe("trainLm and answerWithLm on a tiny model", () => {
  let tok: Tokenizer;
  let model: GPT | undefined;
  let losses: number[] = [];
  beforeAll(async () => {
    await useBackend("wasm");
    const corpus = buildLmCorpus(UNSAFE, TRAIN, 1);
    tok = trainTokenizer([...corpus.flatMap((p) => [chatPrompt(p.question), p.answer]), ...TEST.map((i) => i.question)], {
      vocabSize: 300,
    });
    const trained = await trainLm(UNSAFE, corpus, tok, { size: SIZE, train: FEW_STEPS, seed: 1, log: silentLogger });
    model = trained.model;
    losses = trained.log.map((r) => r.loss);
  }, 30_000);
  afterAll(() => model && disposeModel(model));

  it("trains for the given steps on a model of the tokenizer's vocabulary, and lowers the loss", () => {
    expect(losses).toHaveLength(FEW_STEPS.steps);
    expect(model!.config).toMatchObject({ vocabSize: tok.vocabSize, dModel: 16, nHeads: 2, nLayers: 1, maxLen: 96 });
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(mean(losses.slice(0, 5)) - 0.5);
  });

  it.each([
    [1, 16],
    [1.5, 24], // 16 × 1.5, a multiple of 4 × nHeads = 8
    [1.2, 16], // 19.2 rounds down to the nearest multiple of 8
    [1.3, 24], // 20.8 rounds up
    [0.1, 8], // never below one unit
  ])("scales dModel by the LM's width %s to %i", async (width, dModel) => {
    const corpus = buildLmCorpus(UNSAFE, TRAIN.slice(0, 20), 1);
    const { model: wide } = await trainLm({ ...UNSAFE, width }, corpus, tok, {
      size: SIZE,
      train: { ...FEW_STEPS, steps: 1 },
      seed: 1,
      log: silentLogger,
    });
    expect(wide.config.dModel).toBe(dModel);
    disposeModel(wide);
  });

  it("disposes its model when training fails", async () => {
    const corpus = buildLmCorpus(UNSAFE, TRAIN.slice(0, 20), 1);
    await expectNoLeak(async () => {
      const bad = { ...FEW_STEPS, steps: 0 };
      await expect(trainLm(UNSAFE, corpus, tok, { size: SIZE, train: bad, seed: 1, log: silentLogger })).rejects.toThrow(
        /steps must be a positive integer/,
      );
    });
  });

  it("answers every question, in order, at the LM's own temperature", async () => {
    const decoding = { topK: 0, topP: 1, maxNewTokens: 6, batchSize: 8, seed: 3 };
    const greedy = { ...UNSAFE, temperature: 0 };
    const answers = await expectNoLeak(() => answerWithLm(greedy, model!, tok, TEST, decoding, silentLogger));
    expect(answers).toHaveLength(TEST.length);
    expect(answers.every((a) => typeof a === "string")).toBe(true);
    const byHand = generateTexts(
      model!,
      tok,
      TEST.map((i) => chatPrompt(i.question)),
      { ...decoding, temperature: 0 },
    ).map((g) => g.text);
    expect(answers).toEqual(byHand);
    // A caller's temperature does not override the LM's.
    expect(await answerWithLm(greedy, model!, tok, TEST, { ...decoding, temperature: 2 } as typeof decoding, silentLogger)).toEqual(byHand);
    const hot = await answerWithLm({ ...UNSAFE, temperature: 5 }, model!, tok, TEST, decoding, silentLogger);
    expect(hot).toHaveLength(TEST.length);
    expect(hot).not.toEqual(byHand);
    expect(await answerWithLm({ ...UNSAFE, temperature: 5 }, model!, tok, TEST, decoding, silentLogger)).toEqual(hot); // seeded
  });

  it("gives the same answers with the decoding batches spread over 2 threads (sampled)", async () => {
    const decoding = { topK: 0, topP: 1, maxNewTokens: 6, batchSize: 3, seed: 3 };
    const hot = { ...UNSAFE, temperature: 5 };
    const pool = await createWorkerPool(model!, 2);
    try {
      const spread = await answerWithLm(hot, model!, tok, TEST, decoding, silentLogger, pool);
      expect(spread).toEqual(await answerWithLm(hot, model!, tok, TEST, decoding, silentLogger));
    } finally {
      await closeWorkerPool(pool);
    }
  }, 60_000);
});

describe("the zoo stage of the dataset", () => {
  let root: string;
  beforeAll(async () => {
    await useBackend("wasm");
    root = mkdtempSync(join(tmpdir(), "aligner-zoo-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("builds each LM's corpus from the train questions only, and asks held-out LMs test questions only", async () => {
    const tiny = loadPreset("tiny").config;
    const config = {
      ...tiny,
      world: { ...tiny.world, trainQuestions: 30, testQuestions: 6 },
      tokenizer: { ...tiny.tokenizer, vocabSize: 300 },
      zoo: {
        models: ["lm_unsafe", "lm_sloppy"],
        model: SIZE,
        train: { ...FEW_STEPS, steps: 1, batchSize: 4 },
        decoding: { ...tiny.zoo.decoding, maxNewTokens: 2 },
      },
    };
    corpusCalls.length = 0;
    const tensors = tf.memory().numTensors;
    const data = await buildDataset(root, config, silentLogger);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(corpusCalls.map((c) => c.lm)).toEqual(["lm_unsafe", "lm_sloppy"]);
    const trainIds = data.world.items.filter((i) => i.split === "train").map((i) => i.id);
    for (const call of corpusCalls)
      expect(
        call.items.map((i) => i.id),
        call.lm,
      ).toEqual(trainIds);
    const asked = (name: string) => new Set(data.zoo.find((z) => z.name === name)!.rows.map((r) => r.split));
    expect(asked("lm_unsafe")).toEqual(new Set(["train", "test"]));
    expect(asked("lm_sloppy")).toEqual(new Set(["test"]));
    expect(data.zoo.find((z) => z.name === "lm_sloppy")!.rows).toHaveLength(6);
  }, 60_000);
});
