// DPO on a tiny model: sequence log-probs and the loss against values computed by hand from the logits,
// and one step that widens the chosen − rejected margin, without leaking tensors.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  dpoLoss,
  dpoMargins,
  referenceLogProbs,
  scoreSequences,
  sequenceLogProbs,
  trainDpo,
  type PreferencePair,
} from "../../loaders/engine/dpo.js";
import { silentLogger } from "../../loaders/engine/log.js";
import { createModel, disposeModel, forward, maskedLoss, type GPT } from "../../loaders/engine/model.js";
import { makeBatch, toSequence } from "../../loaders/engine/batches.js";
import { expectNoLeak, useBackend } from "../_tf.js";

const CONFIG = { vocabSize: 8, dModel: 8, nHeads: 2, nLayers: 1, maxLen: 16 };
// Different prompt and target lengths, so batches pad and the segment sums must pick the right rows.
const PAIRS: PreferencePair[] = [
  { prompt: [1, 3, 4], chosen: [5, 6, 2], rejected: [7, 2] },
  { prompt: [1, 4], chosen: [3, 3, 5, 2], rejected: [6, 7, 4, 5, 2] },
];

/** Σ log softmax(logits)[next token] over the target span, by hand in float64 from one unpadded forward pass. */
function handLogProb(model: GPT, prompt: number[], target: number[]): number {
  const all = [...prompt, ...target];
  const ids = all.slice(0, -1);
  const logits = forward(model, { ids: Int32Array.from(ids), batch: 1, length: ids.length });
  const values = logits.dataSync();
  logits.dispose();
  const V = model.config.vocabSize;
  let sum = 0;
  for (let t = prompt.length - 1; t < ids.length; t++) {
    const row = Array.from(values.subarray(t * V, (t + 1) * V));
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0));
    sum += row[all[t + 1]!]! - lse;
  }
  return sum;
}

const logSigmoid = (x: number) => -Math.log1p(Math.exp(-x));

describe("DPO", () => {
  let policy: GPT;
  let reference: GPT;

  beforeAll(async () => {
    await useBackend("cpu");
    policy = createModel(CONFIG, { seed: 3 });
    reference = createModel(CONFIG, { seed: 4 });
  });
  afterAll(() => {
    disposeModel(policy);
    disposeModel(reference);
  });

  it("sums the target tokens' log-probs of each example, as computed by hand from the logits", async () => {
    const examples = PAIRS.flatMap((p) => [
      { prompt: p.prompt, target: p.chosen },
      { prompt: p.prompt, target: p.rejected },
    ]);
    const got = await expectNoLeak(() => {
      const t = sequenceLogProbs(policy, examples);
      const out = Array.from(t.dataSync());
      t.dispose();
      return out;
    });
    const want = examples.map((e) => handLogProb(policy, e.prompt, e.target));
    got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 4));
    expect(Array.from(scoreSequences(policy, examples, 3))).toEqual(got.map((g) => expect.closeTo(g, 5)));
    // The same quantity as the training loss: −Σ log p = mean cross-entropy × target tokens.
    const one = examples[3]!;
    const loss = tf.tidy(() => maskedLoss(policy, makeBatch([toSequence(one, CONFIG.maxLen)], 0)).dataSync()[0]!);
    expect(-got[3]!).toBeCloseTo(loss * one.target.length, 4);
  });

  it("matches the loss −log σ(β[(π_w − ref_w) − (π_l − ref_l)]) computed by hand", async () => {
    const beta = 0.7;
    const ref = {
      chosen: PAIRS.map((p) => handLogProb(reference, p.prompt, p.chosen)),
      rejected: PAIRS.map((p) => handLogProb(reference, p.prompt, p.rejected)),
    };
    const want =
      PAIRS.map((p, i) => {
        const h = handLogProb(policy, p.prompt, p.chosen) - ref.chosen[i]! - (handLogProb(policy, p.prompt, p.rejected) - ref.rejected[i]!);
        return -logSigmoid(beta * h);
      }).reduce((a, b) => a + b, 0) / PAIRS.length;
    const got = await expectNoLeak(() => tf.tidy(() => dpoLoss(policy, PAIRS, ref, beta).dataSync()[0]!));
    expect(got).toBeCloseTo(want, 5);
    expect(want).toBeGreaterThan(0.05); // a non-trivial value: the two random models disagree
    // With the SFT term (RPO): + α · mean over pairs of the chosen answer's per-token NLL.
    const alpha = 0.5;
    const nll = PAIRS.map((p) => -handLogProb(policy, p.prompt, p.chosen) / p.chosen.length).reduce((a, b) => a + b, 0) / PAIRS.length;
    const withSft = await expectNoLeak(() => tf.tidy(() => dpoLoss(policy, PAIRS, ref, beta, {}, 0, alpha).dataSync()[0]!));
    expect(withSft).toBeCloseTo(want + alpha * nll, 4);
    expect(alpha * nll).toBeGreaterThan(0.1); // the term is not negligible here
    // Against itself as the reference every margin is 0 and the loss is log 2.
    const self = referenceLogProbs(policy, PAIRS);
    expect(tf.tidy(() => dpoLoss(policy, PAIRS, self, beta).dataSync()[0]!)).toBeCloseTo(Math.LN2, 5);
  });

  it("widens the chosen − rejected margin in one step, starting from the reference", async () => {
    const model = createModel(CONFIG, { seed: 5 });
    try {
      const ref = referenceLogProbs(model, PAIRS);
      const margins = () => tf.tidy(() => Array.from(dpoMargins(model, PAIRS, ref).dataSync()));
      expect(margins().every((h) => Math.abs(h) < 1e-5)).toBe(true);
      const log = await expectNoLeak(() =>
        trainDpo(model, PAIRS, ref, { steps: 1, batchSize: 2, lr: 1e-2, lrWarmupRatio: 0, beta: 0.1 }, { logger: silentLogger }),
      );
      expect(log).toHaveLength(1);
      expect(log[0]!.loss).toBeCloseTo(Math.LN2, 5);
      const after = margins();
      expect(after.reduce((a, b) => a + b, 0) / after.length).toBeGreaterThan(0.01);
      expect(after.every((h) => h > 0)).toBe(true);
    } finally {
      disposeModel(model);
    }
  });

  it("with sftWeight, logs DPO + α·NLL and raises the chosen answers' log-probs more than plain DPO", async () => {
    const chosenAfter = (sftWeight: number) => {
      const model = createModel(CONFIG, { seed: 5 });
      try {
        const ref = referenceLogProbs(model, PAIRS);
        const nll = PAIRS.map((p, i) => -ref.chosen[i]! / p.chosen.length).reduce((a, b) => a + b, 0) / PAIRS.length;
        const settings = { steps: 3, batchSize: 2, lr: 1e-2, lrWarmupRatio: 0, beta: 0.1, sftWeight };
        const log = trainDpo(model, PAIRS, ref, settings, { logger: silentLogger });
        expect(log[0]!.loss).toBeCloseTo(Math.LN2 + sftWeight * nll, 4);
        const after = referenceLogProbs(model, PAIRS).chosen;
        return Array.from(after, (c, i) => c - ref.chosen[i]!).reduce((a, b) => a + b, 0);
      } finally {
        disposeModel(model);
      }
    };
    expect(chosenAfter(1)).toBeGreaterThan(chosenAfter(0));
  });

  it("rejects unknown options and an empty pair set", () => {
    expect(() => trainDpo(policy, PAIRS, referenceLogProbs(policy, PAIRS), { stepz: 1 } as never)).toThrow(/unknown DPO option "stepz"/);
    expect(() => trainDpo(policy, [], { chosen: [], rejected: [] })).toThrow(/no preference pairs/);
    expect(() => trainDpo(policy, PAIRS, referenceLogProbs(policy, PAIRS), { sftWeight: -1 })).toThrow(/sftWeight must be ≥ 0/);
  });
});
