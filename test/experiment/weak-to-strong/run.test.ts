// Weak-to-strong on a tiny world: PGR's edge cases, ω paired by question on a five-question fixture,
// the config checks, and the whole pipeline (a fresh model as the weak Aligner) into every method × dimension.
import * as tf from "@tensorflow/tfjs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { saveCheckpoint } from "../../../loaders/engine/checkpoint.js";
import { loadPreset, type Config } from "../../../loaders/experiment/config.js";
import { buildDataset, type Dataset } from "../../../loaders/experiment/dataset.js";
import type { Judge } from "../../../loaders/experiment/evaluate.js";
import { silentLogger } from "../../../loaders/engine/log.js";
import { createModel, disposeModel } from "../../../loaders/engine/model.js";
import {
  W2S_DEFAULTS,
  meanInterval,
  performanceGapRecovered,
  runWeakToStrong,
  scoreMethods,
  validateW2sConfig,
  type W2sConfig,
  type WeakToStrongResult,
} from "../../../loaders/experiment/weak-to-strong/run.js";
import { useBackend } from "../../_tf.js";

describe("performance gap recovered", () => {
  it.each([
    ["normal: half the gap", { weak: 0.5, w2s: 0.7, ceiling: 0.9 }, undefined, 0.5],
    ["w2s matches its supervisor", { weak: 0.5, w2s: 0.5, ceiling: 0.9 }, undefined, 0],
    ["w2s below its supervisor: negative", { weak: 0.5, w2s: 0.3, ceiling: 0.9 }, undefined, -0.5],
    ["w2s above the ceiling: above 1", { weak: 0.5, w2s: 1.1, ceiling: 0.9 }, undefined, 1.5],
    ["a gap whose interval excludes 0", { weak: 0.5, w2s: 0.6, ceiling: 0.7 }, { lo: 0.05, hi: 0.35 }, 0.5],
  ])("%s", (_name, p, gap, want) => {
    const got = performanceGapRecovered(p, { minGap: 0.02, ...(gap ? { gap } : {}) });
    expect(got.pgr).toBeCloseTo(want, 10);
    // A defined PGR names the checks it passed: the gap over minGap, and its interval above 0 when given.
    expect(got.note).toMatch(/^the ceiling beats the weak supervision by \d\.\d{3} > 0\.02/);
    expect(got.note.includes("interval")).toBe(gap !== undefined);
  });

  it.each([
    ["gap zero", { weak: 0.6, w2s: 0.7, ceiling: 0.6 }, undefined, /does not beat the weak supervision by more than 0.02 \(gap 0.000\)/],
    ["ceiling below weak (negative gap)", { weak: 0.8, w2s: 0.7, ceiling: 0.6 }, undefined, /does not beat .* \(gap -0.200\)/],
    ["gap within the margin", { weak: 0.6, w2s: 0.7, ceiling: 0.61 }, undefined, /by more than 0.02/],
    ["gap within noise", { weak: 0.5, w2s: 0.6, ceiling: 0.7 }, { lo: -0.01, hi: 0.4 }, /within noise \(95% interval -0.010 to 0.400\)/],
    ["NaN weak", { weak: NaN, w2s: 0.6, ceiling: 0.7 }, undefined, /not a finite number/],
    ["NaN w2s", { weak: 0.5, w2s: NaN, ceiling: 0.7 }, undefined, /not a finite number/],
    ["NaN ceiling", { weak: 0.5, w2s: 0.6, ceiling: NaN }, undefined, /not a finite number/],
    ["infinite ceiling", { weak: 0.5, w2s: 0.6, ceiling: Infinity }, undefined, /not a finite number/],
  ])("is undefined when %s", (_name, p, gap, note) => {
    const got = performanceGapRecovered(p, { minGap: 0.02, ...(gap ? { gap } : {}) });
    expect(got.pgr).toBeNull();
    expect(got.note).toMatch(note);
  });

  it("bootstraps a mean's interval, seeded", () => {
    const xs = [0, 1, 1, 0, 1, 1, 1, 0];
    const a = meanInterval(xs, { seed: 3 });
    expect(a.mean).toBe(0.625);
    expect(a.lo).toBeLessThan(a.mean);
    expect(a.hi).toBeGreaterThan(a.mean);
    expect(meanInterval(xs, { seed: 3 })).toEqual(a);
    expect(meanInterval(Array(8).fill(0.25))).toEqual({ mean: 0.25, lo: 0.25, hi: 0.25 });
  });
});

describe("scoreMethods", () => {
  // Five questions; the judge reads the score off the text: "h<helpful> s<harmless>".
  const items = [
    { id: "q1", category: "harmful" },
    { id: "q2", category: "harmful" },
    { id: "q3", category: "facts" },
    { id: "q4", category: "facts" },
    { id: "q5", category: "facts" },
  ];
  const judge: Judge = (_id, text) => {
    const [h, s] = text.split(" ").map((t) => Number(t.slice(1)));
    return { helpful: h!, harmless: s!, reasons: [] };
  };
  const methods = [
    { method: "strong", round: 1, answers: ["h1 s0", "h1 s0", "h0 s1", "h0 s1", "h1 s1"] },
    { method: "weak", round: 1, answers: ["h0 s1", "h1 s1", "h0 s1", "h0 s1", "h1 s1"] },
    { method: "w2s", round: 1, answers: ["h0 s1", "h1 s0", "h1 s1", "h0 s1", "h0 s1"] },
    { method: "ceiling", round: 1, answers: ["h1 s1", "h1 s1", "h1 s1", "h1 s1", "h1 s1"] },
  ];
  const { w2s, categories } = scoreMethods(items, methods, judge, { runId: "r", seed: 1, minGap: 0.02 });
  const row = (method: string, dimension: string) => w2s.find((r) => r.method === method && r.dimension === dimension)!;

  it("scores every method × dimension and pairs each answer with the strong model's to the same question", () => {
    expect(w2s).toHaveLength(8);
    expect(row("w2s", "helpful")).toMatchObject({ score: 0.4, omega: (1 - 2) / 5 }); // q3 wins, q1 and q5 lose
    expect(row("weak", "harmless")).toMatchObject({ score: 1, omega: 2 / 5 });
    expect(row("strong", "helpful")).toMatchObject({ omega: 0, omega_lo: 0, omega_hi: 0 });
  });

  it("gives a PGR to the weakly supervised methods only, and a note where it is undefined", () => {
    // helpful: weak 0.4, ceiling 1, w2s 0.4 -> 0 (the paired gap interval [0.2, 1] excludes 0)
    expect(row("w2s", "helpful")).toMatchObject({ pgr: 0 });
    expect(row("w2s", "helpful").pgr_note).toMatch(/beats the weak supervision by 0\.600 > .*interval 0\.\d+ to 1\.000 above 0/);
    // harmless: weak 1 = ceiling 1: no gap to recover
    expect(row("w2s", "harmless").pgr).toBeNull();
    expect(row("w2s", "harmless").pgr_note).toMatch(/does not beat/);
    expect(w2s.filter((r) => r.method !== "w2s").every((r) => r.pgr === null && r.pgr_note === "")).toBe(true);
  });

  it("repeats the table per category, with the group size", () => {
    expect(new Set(categories.map((r) => r.category))).toEqual(new Set(["all", "facts", "harmful"]));
    const facts = categories.find((r) => r.category === "facts" && r.method === "w2s" && r.dimension === "helpful")!;
    expect(facts).toMatchObject({ n: 3, score: 1 / 3, omega: 0 });
    const harmful = categories.find((r) => r.category === "harmful" && r.method === "w2s" && r.dimension === "helpful")!;
    expect(harmful.pgr).toBeNull(); // weak 0.5 → ceiling 1 on two questions: the bootstrap interval reaches 0
    expect(harmful.pgr_note).toMatch(/within noise/);
  });
});

describe("validateW2sConfig", () => {
  it.each([
    [{ model: { ...W2S_DEFAULTS.model, dModel: 90 } }, /multiple of 4 × nHeads/],
    [{ corpus: [{ upstream: "nobody", share: 1 }] }, /w2s.corpus\[0\].upstream.*unknown upstream "nobody"/],
    [{ corpus: [] }, /at least one upstream/],
    [{ dpo: { ...W2S_DEFAULTS.dpo, beta: 0 } }, /beta" must be > 0/],
    [{ rounds: 0 }, /"w2s.rounds" must be a positive integer/],
    [{ testQuestions: -1 }, /non-negative integer/],
  ])("rejects %j", (patch, error) => {
    expect(() => validateW2sConfig({ ...W2S_DEFAULTS, ...patch } as W2sConfig)).toThrow(error);
  });
  it("accepts the defaults", () => expect(validateW2sConfig(W2S_DEFAULTS)).toBe(W2S_DEFAULTS));
});

/** Sized so the whole pipeline (two rounds) runs in seconds; the strong model is twice the tiny Aligner. */
const TINY_W2S: W2sConfig = {
  ...W2S_DEFAULTS,
  model: { dModel: 48, nHeads: 2, nLayers: 2, maxLen: 96 },
  pretrain: { ...W2S_DEFAULTS.pretrain, steps: 12, batchSize: 16 },
  sft: { ...W2S_DEFAULTS.sft, steps: 4, batchSize: 16 },
  dpo: { ...W2S_DEFAULTS.dpo, steps: 3, batchSize: 8 },
  rounds: 2,
  trainQuestions: 40,
  testQuestions: 24,
  decoding: { ...W2S_DEFAULTS.decoding, maxNewTokens: 16 },
};

describe("runWeakToStrong on a tiny world", () => {
  let dir: string;
  let config: Config;
  let data: Dataset;
  let aligner: { dir: string };
  let result: WeakToStrongResult;
  let tensorsBefore = 0;
  let tensorsAfter = -1;
  const run = () => runWeakToStrong(dir, config, TINY_W2S, data, aligner, { runId: "tiny-w2s", backend: "wasm", log: silentLogger });

  beforeAll(async () => {
    await useBackend("wasm");
    dir = mkdtempSync(join(tmpdir(), "aligner-w2s-"));
    const tiny = loadPreset("tiny").config;
    // Plain decoding: the tiny Aligner would otherwise prefer copies, leaving DPO no preference pairs to train on.
    config = { ...tiny, zoo: { ...tiny.zoo, models: [] }, aligner: { ...tiny.aligner, copyCandidate: false } };
    data = await buildDataset(dir, config, silentLogger);
    // A fresh (untrained) model as the weak Aligner: the pipeline, not its quality, is under test here.
    aligner = { dir: join(dir, "aligner") };
    const model = createModel({ vocabSize: data.tokenizer.tok.vocabSize, ...config.aligner.model }, { seed: 1 });
    await saveCheckpoint(join(aligner.dir, "model"), model);
    disposeModel(model);
    tensorsBefore = tf.memory().numTensors;
    result = await run();
    tensorsAfter = tf.memory().numTensors;
  }, 60_000);

  it("leaves no tensors behind", () => expect(tensorsAfter).toBe(tensorsBefore));

  it("has every method × dimension, and the iterated round", () => {
    const keys = result.w2s.map((r) => `${r.method}@${r.round}/${r.dimension}`).sort();
    const methods = ["strong@1", "weak@1", "w2s@1", "w2s-dpo@1", "w2s-dpo-nll@1", "sft-own@1", "ceiling@1", "weak@2", "w2s@2"];
    expect(keys).toEqual(methods.flatMap((m) => [`${m}/helpful`, `${m}/harmless`]).sort());
    for (const r of result.w2s) {
      expect(r.run_id).toBe("tiny-w2s");
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
      expect(r.omega_lo!).toBeLessThanOrEqual(r.omega!);
      expect(r.omega!).toBeLessThanOrEqual(r.omega_hi!);
      expect(r.pgr === null || Number.isFinite(r.pgr)).toBe(true);
      if (["w2s", "w2s-dpo", "w2s-dpo-nll"].includes(r.method ?? "")) expect(r.pgr !== null || r.pgr_note !== "").toBe(true);
    }
    expect(result.dpoPairs).toBeGreaterThan(0);
  });

  it("repeats every row per category, with category all first and group sizes summing to the test questions", () => {
    const helpfulW2s = result.categories.filter((r) => r.method === "w2s" && r.round === 1 && r.dimension === "helpful");
    expect(helpfulW2s[0]).toMatchObject({ category: "all", n: 24 });
    expect(helpfulW2s.slice(1).reduce((n, r) => n + r.n!, 0)).toBe(24);
    expect(result.categories.length).toBe(result.w2s.length * helpfulW2s.length);
  });

  it("logs the strong model's pretraining and each fine-tune", () => {
    const steps = (stage: string) => result.training.filter((r) => r.stage === stage).length;
    expect(result.training.every((r) => r.model === "strong" && r.run_id === "tiny-w2s")).toBe(true);
    expect([steps("lm"), steps("sft"), steps("dpo"), steps("dpo-nll"), steps("sft-own"), steps("sft-gold"), steps("sft-round2")]).toEqual([
      12, 4, 3, 3, 4, 4, 4,
    ]);
  });

  it("trains DPO + NLL beside plain DPO only when w2s.dpo.sftWeight > 0; plain DPO's rows do not change", async () => {
    const plain = await runWeakToStrong(dir, config, { ...TINY_W2S, dpo: { ...TINY_W2S.dpo, sftWeight: 0 } }, data, aligner, {
      runId: "tiny-w2s",
      backend: "wasm",
      log: silentLogger,
    });
    expect(plain.w2s.some((r) => r.method === "w2s-dpo-nll")).toBe(false);
    expect(plain.training.some((r) => r.stage === "dpo-nll")).toBe(false);
    const dpoRows = (r: typeof result) => r.w2s.filter((row) => row.method === "w2s-dpo");
    expect(dpoRows(plain)).toEqual(dpoRows(result));
    const nll = result.w2s.filter((r) => r.method === "w2s-dpo-nll");
    expect(nll.map((r) => r.dimension).sort()).toEqual(["harmless", "helpful"]);
  });

  it("returns no rows when disabled", async () => {
    const off = await runWeakToStrong(dir, config, { ...TINY_W2S, enabled: false }, data, aligner, { runId: "x", backend: "wasm" });
    expect(off).toEqual({ w2s: [], categories: [], training: [], dpoPairs: 0 });
  });

  it("reuses its cached stages on a rerun", async () => {
    const started = performance.now();
    expect(await run()).toEqual(result);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
