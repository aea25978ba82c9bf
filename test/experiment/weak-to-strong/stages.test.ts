// The cached stages of weak-to-strong (loaders/experiment/weak-to-strong/stages.ts), each called on its own
// on the tiny preset's world with a toy strong model: outputs of the right shape, a second call served
// from the stage folder, the same outputs when a stage is computed afresh, and no tensors left behind.
import * as tf from "@tensorflow/tfjs";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadCheckpoint, saveCheckpoint } from "../../../loaders/engine/checkpoint.js";
import { silentLogger } from "../../../loaders/engine/log.js";
import { createModel, disposeModel } from "../../../loaders/engine/model.js";
import { timeStages } from "../../../loaders/experiment/cache.js";
import { loadPreset, type Config } from "../../../loaders/experiment/config.js";
import { buildDataset, type Dataset } from "../../../loaders/experiment/dataset.js";
import { W2S_DEFAULTS, type W2sConfig } from "../../../loaders/experiment/weak-to-strong/config.js";
import {
  answerAndCorrect,
  fineTune,
  pretrainStrong,
  strongLm,
  type FineTuned,
  type ModelStage,
  type RoundAnswers,
} from "../../../loaders/experiment/weak-to-strong/stages.js";
import type { LmUpstream } from "../../../loaders/experiment/zoo.js";
import type { WorldItem } from "../../../loaders/world/index.js";
import { useBackend } from "../../_tf.js";

// Which items the strong model's corpus is built from, seen through the real buildLmCorpus.
const corpusCalls = vi.hoisted(() => [] as { lm: string; splits: string[]; count: number }[]);
vi.mock("../../../loaders/experiment/zoo.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../../loaders/experiment/zoo.js")>();
  return {
    ...real,
    buildLmCorpus: (lm: LmUpstream, items: readonly WorldItem[], seed: number) => {
      corpusCalls.push({ lm: lm.name, splits: [...new Set(items.map((i) => i.split))], count: items.length });
      return real.buildLmCorpus(lm, items, seed);
    },
  };
});

/** A toy strong model and fine-tunes of a few steps: every stage runs in about a second. */
const W2S: W2sConfig = {
  ...W2S_DEFAULTS,
  model: { dModel: 32, nHeads: 2, nLayers: 1, maxLen: 96 },
  pretrain: { ...W2S_DEFAULTS.pretrain, steps: 6, batchSize: 8 },
  sft: { ...W2S_DEFAULTS.sft, steps: 3, batchSize: 4 },
  dpo: { ...W2S_DEFAULTS.dpo, steps: 2, batchSize: 4 },
  trainQuestions: 8,
  testQuestions: 5,
  decoding: { ...W2S_DEFAULTS.decoding, maxNewTokens: 6 },
};

/** Runs a stage and says whether the cache served it; asserts it left no tensors behind. */
async function stage<T>(run: () => Promise<T>): Promise<{ result: T; cached: boolean }> {
  const before = tf.memory().numTensors;
  const { result, stages } = await timeStages(run);
  expect(tf.memory().numTensors).toBe(before);
  expect(stages).toHaveLength(1);
  return { result, cached: stages[0]!.cached };
}

/** Removes a stage's folder, so the next call computes it afresh. */
const forget = (dir: string) => rmSync(dir, { recursive: true, force: true });
/** A stage's outputs less its timings (tokens_per_s), which differ from run to run. */
const untimed = <T extends { training: { tokens_per_s: number }[] }>(out: T) => ({
  ...out,
  training: out.training.map(({ tokens_per_s: _, ...row }) => row),
});
const bytes = (dir: string) => readFileSync(join(dir, "model", "model.safetensors"));

describe("weak-to-strong stages on the tiny preset", () => {
  let runDir: string;
  let config: Config;
  let data: Dataset;
  let aligner: { dir: string };
  let items: { train: WorldItem[]; test: WorldItem[] };
  let strong: ModelStage;
  let r1: RoundAnswers;
  let sft: FineTuned;

  beforeAll(async () => {
    await useBackend("wasm");
    runDir = mkdtempSync(join(tmpdir(), "aligner-w2s-stages-"));
    const tiny = loadPreset("tiny").config;
    // No zoo LM (the rule-based world suffices) and plain decoding of a short correction.
    config = {
      ...tiny,
      zoo: { ...tiny.zoo, models: [] },
      aligner: { ...tiny.aligner, copyCandidate: false, decoding: { ...tiny.aligner.decoding, maxNewTokens: 6 } },
    };
    data = await buildDataset(runDir, config, silentLogger);
    // A fresh model as the weak Aligner: the stages, not its quality, are under test.
    aligner = { dir: join(runDir, "aligner") };
    const model = createModel({ vocabSize: data.tokenizer.tok.vocabSize, ...config.aligner.model }, { seed: 1 });
    await saveCheckpoint(join(aligner.dir, "model"), model);
    disposeModel(model);
    items = {
      train: data.world.items.filter((i) => i.split === "train").slice(0, W2S.trainQuestions),
      test: data.world.items.filter((i) => i.split === "test").slice(0, W2S.testQuestions),
    };
    corpusCalls.length = 0;
    strong = (await stage(() => pretrainStrong(runDir, config, W2S, data, silentLogger))).result;
    r1 = (await stage(() => answerAndCorrect(runDir, 1, config, W2S, data, strong, aligner, items, undefined, silentLogger))).result;
    const targets = r1.train.map((c) => c.correction);
    sft = (
      await stage(() =>
        fineTune(runDir, "sft", config, W2S, data, strong, { kind: "sft", questions: items.train, targets }, items.test, silentLogger),
      )
    ).result;
  }, 60_000);
  afterAll(() => rmSync(runDir, { recursive: true, force: true }));

  describe("strongLm", () => {
    it("is a seen LM named strong, with the config's corpus mixture and train temperature", () => {
      const lm = strongLm({
        ...W2S,
        trainTemperature: 0.9,
        corpus: [
          { upstream: "verbose", share: 0.3 },
          { upstream: "terse", share: 0.7 },
        ],
      });
      expect(lm).toMatchObject({ name: "strong", kind: "seen", width: 1, temperature: 0.9, corpus: { verbose: 0.3, terse: 0.7 } });
    });
  });

  describe("pretrainStrong", () => {
    it("pretrains on every train question and no test question, for the configured steps", () => {
      expect(corpusCalls).toEqual([{ lm: "strong", splits: ["train"], count: config.world.trainQuestions }]);
      expect(strong.training.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(strong.training.every((r) => Number.isFinite(r.loss))).toBe(true);
    });

    it("saves the strong model, of the configured size, with the tokenizer, in its stage folder", async () => {
      expect(dirname(strong.dir)).toBe(join(runDir, "stages"));
      expect(basename(strong.dir)).toMatch(/^w2s-strong-[0-9a-f]{12}$/);
      const { model, tokenizerJson } = await loadCheckpoint(join(strong.dir, "model"));
      expect(model.config).toMatchObject({ ...W2S.model, vocabSize: data.tokenizer.tok.vocabSize });
      expect(tokenizerJson).toBeDefined();
      disposeModel(model);
    });

    it("reuses its folder on a second call, and computes the same model afresh", async () => {
      const again = await stage(() => pretrainStrong(runDir, config, W2S, data, silentLogger));
      expect(again).toEqual({ result: strong, cached: true });
      const weights = bytes(strong.dir);
      forget(strong.dir);
      const fresh = await stage(() => pretrainStrong(runDir, config, W2S, data, silentLogger));
      expect(fresh.cached).toBe(false);
      expect(untimed(fresh.result)).toEqual(untimed(strong));
      expect(bytes(strong.dir).equals(weights)).toBe(true);
    });

    it("keys its folder by its inputs: another seed or step count is another folder", async () => {
      const other = await stage(() =>
        pretrainStrong(
          runDir,
          { ...config, seed: config.seed + 1 },
          { ...W2S, pretrain: { ...W2S.pretrain, steps: 2 } },
          data,
          silentLogger,
        ),
      );
      expect(other.cached).toBe(false);
      expect(other.result.dir).not.toBe(strong.dir);
      expect(other.result.training).toHaveLength(2);
      expect(existsSync(join(strong.dir, "done.json"))).toBe(true); // the first is kept
    });
  });

  describe("answerAndCorrect", () => {
    it("answers every train and test question and corrects each answer", () => {
      expect(r1.train).toHaveLength(items.train.length);
      expect(r1.test).toHaveLength(items.test.length);
      for (const c of [...r1.train, ...r1.test]) expect(c).toEqual({ answer: expect.any(String), correction: expect.any(String) });
      expect(basename(r1.dir)).toMatch(/^w2s-answers-r1-[0-9a-f]{12}$/);
    });

    it("reuses its folder on a second call, and gives the same answers and corrections afresh", async () => {
      const call = () => answerAndCorrect(runDir, 1, config, W2S, data, strong, aligner, items, undefined, silentLogger);
      expect(await stage(call)).toEqual({ result: r1, cached: true });
      forget(r1.dir);
      expect(await stage(call)).toEqual({ result: r1, cached: false });
    });

    it("keeps the test answers it is given instead of answering the test questions, in a folder of its own", async () => {
      const given = items.test.map((i) => i.gold);
      const { result, cached } = await stage(() =>
        answerAndCorrect(runDir, 2, config, W2S, data, strong, aligner, items, given, silentLogger),
      );
      expect(cached).toBe(false);
      expect(basename(result.dir)).toMatch(/^w2s-answers-r2-/);
      expect(result.test.map((c) => c.answer)).toEqual(given);
      expect(result.train).toHaveLength(items.train.length);
      // Round 2 samples the train answers with another seed than round 1.
      expect(result.train.map((c) => c.answer)).not.toEqual(r1.train.map((c) => c.answer));
    });

    it("follows its model's folder: the same weights under another name are another stage", async () => {
      const copy = { dir: join(runDir, "stages", "w2s-strong-copy") };
      cpSync(strong.dir, copy.dir, { recursive: true });
      const { result, cached } = await stage(() =>
        answerAndCorrect(runDir, 1, config, W2S, data, copy, aligner, items, undefined, silentLogger),
      );
      expect(cached).toBe(false);
      expect(result.dir).not.toBe(r1.dir);
      expect({ train: result.train, test: result.test }).toEqual({ train: r1.train, test: r1.test });
    });
  });

  describe("fineTune", () => {
    const sftOf = (targets: string[]) => ({ kind: "sft" as const, questions: items.train, targets });

    it("fine-tunes for the configured steps, saves the model and answers every test question", async () => {
      expect(sft.training.map((r) => r.step)).toEqual([1, 2, 3]);
      expect(sft.test).toHaveLength(items.test.length);
      expect(sft.test.every((t) => typeof t === "string")).toBe(true);
      expect(basename(sft.dir)).toMatch(/^w2s-sft-[0-9a-f]{12}$/);
      expect(bytes(sft.dir).equals(bytes(strong.dir))).toBe(false); // the weights moved
    });

    it("reuses its folder on a second call, and fine-tunes to the same weights and answers afresh", async () => {
      const call = () =>
        fineTune(runDir, "sft", config, W2S, data, strong, sftOf(r1.train.map((c) => c.correction)), items.test, silentLogger);
      expect(await stage(call)).toEqual({ result: sft, cached: true });
      const weights = bytes(sft.dir);
      forget(sft.dir);
      const fresh = await stage(call);
      expect(fresh.cached).toBe(false);
      expect(untimed(fresh.result)).toEqual(untimed(sft));
      expect(bytes(sft.dir).equals(weights)).toBe(true);
    });

    it("keys its folder by the labels: other targets are another stage", async () => {
      const { result, cached } = await stage(() =>
        fineTune(runDir, "sft", config, W2S, data, strong, sftOf(items.train.map((i) => i.gold)), items.test, silentLogger),
      );
      expect(cached).toBe(false);
      expect(result.dir).not.toBe(sft.dir);
      expect(bytes(result.dir).equals(bytes(sft.dir))).toBe(false);
    });

    it("trains DPO for its own step count on (chosen ≻ rejected) pairs, and is cached too", async () => {
      const pairs = items.train.map((i, k) => ({ chosen: i.gold, rejected: r1.train[k]!.answer }));
      const call = () =>
        fineTune(runDir, "dpo", config, W2S, data, strong, { kind: "dpo", questions: items.train, pairs }, items.test, silentLogger);
      const first = await stage(call);
      expect(first.cached).toBe(false);
      expect(basename(first.result.dir)).toMatch(/^w2s-dpo-/);
      expect(first.result.training.map((r) => r.step)).toEqual([1, 2]);
      expect(first.result.test).toHaveLength(items.test.length);
      expect(await stage(call)).toEqual({ result: first.result, cached: true });
      // DPO + NLL (sftWeight > 0) is another stage with other weights; plain DPO's folder is keyed as before the option existed.
      const rpo = await stage(() =>
        fineTune(
          runDir,
          "dpo-nll",
          config,
          W2S,
          data,
          strong,
          { kind: "dpo", questions: items.train, pairs, sftWeight: 1 },
          items.test,
          silentLogger,
        ),
      );
      expect(rpo.cached).toBe(false);
      expect(rpo.result.dir).not.toBe(first.result.dir);
      expect(bytes(rpo.result.dir).equals(bytes(first.result.dir))).toBe(false);
      expect(rpo.result.training[0]!.loss).toBeGreaterThan(first.result.training[0]!.loss); // log 2 + the NLL term
      const { sftWeight: _, ...plain } = W2S.dpo;
      expect(JSON.parse(readFileSync(join(first.result.dir, "key.json"), "utf8")).settings).toEqual(plain);
    });
  });
});
