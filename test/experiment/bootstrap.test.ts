import { describe, expect, it } from "vitest";
import {
  averageSeries,
  clusteredMeanInterval,
  clusteredStandardError,
  percentileInterval,
  planResamples,
  resampledMeans,
} from "../../loaders/experiment/bootstrap.js";
import { meanInterval } from "../../loaders/experiment/metrics.js";

/** 40 questions × 11 upstreams whose rows agree within a question: +1 on even questions, −1 on odd ones. */
const QUESTIONS = 40;
const UPSTREAMS = 11;
const keys = Array.from({ length: QUESTIONS * UPSTREAMS }, (_, i) => `q${Math.floor(i / UPSTREAMS)}`);
const values = keys.map((k) => (Number(k.slice(1)) % 2 === 0 ? 1 : -1));

describe("planResamples", () => {
  it("draws as many questions as there are in each resample, and is seeded", () => {
    const plan = planResamples(keys, { samples: 50, seed: 7 });
    expect(plan.questions).toHaveLength(QUESTIONS);
    for (let s = 0; s < 50; s++) expect(plan.weights.slice(s * QUESTIONS, (s + 1) * QUESTIONS).reduce((a, b) => a + b, 0)).toBe(QUESTIONS);
    expect(planResamples(keys, { samples: 50, seed: 7 }).weights).toEqual(plan.weights);
    expect(planResamples(keys, { samples: 50, seed: 8 }).weights).not.toEqual(plan.weights);
  });
});

describe("the question-clustered bootstrap", () => {
  it("is much wider than the row bootstrap when rows of a question agree", () => {
    const rows = meanInterval(values, { seed: 3 });
    const questions = clusteredMeanInterval(values, keys, { seed: 3 });
    expect(questions.mean).toBeCloseTo(rows.mean);
    // 440 rows but 40 independent questions: the width grows by about sqrt(11) ≈ 3.3.
    expect((questions.hi - questions.lo) / (rows.hi - rows.lo)).toBeGreaterThan(2.5);
  });

  it("matches the row bootstrap's width when every question has one row", () => {
    const one = values.filter((_, i) => i % UPSTREAMS === 0);
    const rows = meanInterval(one, { seed: 3 });
    const questions = clusteredMeanInterval(
      one,
      one.map((_, i) => `q${i}`),
      { seed: 3 },
    );
    expect((questions.hi - questions.lo) / (rows.hi - rows.lo)).toBeGreaterThan(0.7);
    expect((questions.hi - questions.lo) / (rows.hi - rows.lo)).toBeLessThan(1.4);
  });

  it("moves every row of a drawn question together, so groups of one plan are paired", () => {
    const plan = planResamples(keys, { samples: 200, seed: 1 });
    const upstream = (u: number) => keys.map((_, i) => i).filter((i) => i % UPSTREAMS === u);
    // Identical per-question values in two upstreams: identical resample series, resample by resample.
    expect(resampledMeans(plan, upstream(0), values)).toEqual(resampledMeans(plan, upstream(5), values));
    const avg = averageSeries([resampledMeans(plan, upstream(0), values), resampledMeans(plan, upstream(1), values)]);
    expect(avg).toEqual(resampledMeans(plan, upstream(0), values));
  });

  it("leaves out resamples that drew none of a group's questions", () => {
    const plan = planResamples(["a", "b", "c", "d"], { samples: 400, seed: 2 });
    const only = resampledMeans(plan, [0], [5, 0, 0, 0]);
    expect(only.some(Number.isNaN)).toBe(true); // P(no "a") = (3/4)^4 ≈ 0.32
    expect(percentileInterval(only)).toEqual({ lo: 5, hi: 5 });
    expect(percentileInterval(new Float64Array([NaN]))).toEqual({ lo: NaN, hi: NaN });
  });
});

describe("clusteredStandardError", () => {
  it("is the ordinary standard error with one row per question", () => {
    const xs = [1, 2, 3, 4, 10];
    const mean = 4;
    const se = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / 4 / 5);
    expect(clusteredStandardError(xs, ["a", "b", "c", "d", "e"])).toBeCloseTo(se, 12);
  });

  it("grows when rows of a question agree, and refuses mismatched keys", () => {
    const plain = clusteredStandardError(
      values,
      values.map((_, i) => `r${i}`),
    );
    expect(clusteredStandardError(values, keys) / plain).toBeGreaterThan(2.5);
    expect(() => clusteredStandardError([1, 2], ["a"])).toThrow(/2 values but 1 question keys/);
  });
});
