import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countParams,
  createModel,
  disposeModel,
  forward,
  forwardRows,
  maskedLoss,
  truncatedLoss,
  paramShapes,
  resolveModelConfig,
  type AttentionPath,
  type GPT,
  type LossBatch,
} from "../../loaders/engine/model.js";
import { expectNoLeak, maxAbsDiff, useBackend } from "../_tf.js";

const TINY = { vocabSize: 11, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 8 };

/** Two sequences of 5 with the loss on the last three positions of each. */
function tinyBatch(): LossBatch {
  const B = 2;
  const T = 5;
  return {
    ids: Int32Array.from({ length: B * T }, (_, i) => (i * 7) % 11),
    targets: Int32Array.from({ length: B * T }, (_, i) => (i % T >= 2 ? (i * 3) % 11 : -1)),
    batch: B,
    length: T,
  };
}

/** Loss and gradients by parameter name. */
function lossAndGrads(
  model: GPT,
  batch: LossBatch,
  attention: AttentionPath = "auto",
): { loss: number; grads: Record<string, Float32Array> } {
  const { value, grads } = tf.variableGrads(() => maskedLoss(model, batch, { attention }), Object.values(model.params));
  const byName: Record<string, Float32Array> = {};
  for (const [name, v] of Object.entries(model.params)) byName[name] = grads[v.name]!.dataSync() as Float32Array;
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: byName };
}

function lossOf(model: GPT, batch: LossBatch): number {
  return tf.tidy(() => maskedLoss(model, batch).dataSync()[0]!);
}

describe("model config", () => {
  it("fills defaults and rejects unknown keys, wrong types and impossible shapes", () => {
    expect(resolveModelConfig({ dModel: 64 })).toMatchObject({ dModel: 64, nHeads: 4, vocabSize: 256, tied: false });
    expect(() => resolveModelConfig({ dmodel: 64 } as never)).toThrow(/unknown key "dmodel"/);
    expect(() => resolveModelConfig({ tied: "yes" } as never)).toThrow(/tied/);
    expect(() => resolveModelConfig({ dModel: 30, nHeads: 4 })).toThrow(/divisible/);
    expect(() => resolveModelConfig({ dModel: 12, nHeads: 2 })).toThrow(/multiple of 4/);
  });

  it("names parameters like Hugging Face GPT-2 and counts 478,720 for size S", () => {
    const names = paramShapes(resolveModelConfig()).map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias"]);
    expect(names).toContain("h.1.attn.c_attn.weight");
    expect(names).toContain("h.1.mlp.c_proj.bias");
    expect(names.at(-1)).toBe("lm_head.weight");
    expect(paramShapes(resolveModelConfig({ tied: true })).map(([n]) => n)).not.toContain("lm_head.weight");
    const sizeS = paramShapes(resolveModelConfig()).reduce((n, [, s]) => n + s.reduce((a, b) => a * b, 1), 0);
    expect(sizeS).toBe(478_720); // the benchmark's size S (d128, 2 layers, T 128)
  });
});

describe("model on cpu", () => {
  beforeAll(async () => {
    await useBackend("cpu");
  });
  afterAll(async () => {
    await useBackend("wasm");
  });

  it.each([false, true])("has gradients that match central finite differences (tied=%s)", (tied) => {
    const model = createModel({ ...TINY, tied }, { seed: 3 });
    const batch = tinyBatch();
    const { grads } = lossAndGrads(model, batch);
    const eps = 2e-3;
    let checked = 0;
    for (const [name, v] of Object.entries(model.params)) {
      const data = (v.dataSync() as Float32Array).slice();
      for (const i of [0, Math.floor(data.length / 2), data.length - 1]) {
        const at = (delta: number) => {
          const moved = data.slice();
          moved[i] = data[i]! + delta;
          tf.tidy(() => v.assign(tf.tensor(moved, v.shape)));
          return lossOf(model, batch);
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(data, v.shape)));
        const analytic = grads[name]![i]!;
        expect(Math.abs(numeric - analytic), `${name}[${i}]: ${numeric} vs ${analytic}`).toBeLessThan(2e-3 + 0.02 * Math.abs(analytic));
        checked++;
      }
    }
    expect(checked).toBe(3 * Object.keys(model.params).length);
    disposeModel(model);
  });
});

describe("model on wasm", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it("gives the same loss and gradients per head as in one batched pass, and as the cpu backend", async () => {
    const model = createModel(TINY, { seed: 5 });
    const batch = tinyBatch();
    const perHead = lossAndGrads(model, batch, "perHead");
    const batched = lossAndGrads(model, batch, "batched");
    await useBackend("cpu");
    const cpu = lossAndGrads(model, batch, "batched");
    await useBackend("wasm");
    for (const other of [batched, cpu]) {
      expect(Math.abs(other.loss - perHead.loss)).toBeLessThan(1e-5);
      for (const name of Object.keys(model.params)) expect(maxAbsDiff(other.grads[name]!, perHead.grads[name]!), name).toBeLessThan(1e-5);
    }
    disposeModel(model);
  });

  it("is seeded: the same seed gives the same weights, another seed different ones", () => {
    const [a, b, c] = [createModel(TINY, { seed: 1 }), createModel(TINY, { seed: 1 }), createModel(TINY, { seed: 2 })];
    const w = (m: GPT) => m.params["h.0.attn.c_attn.weight"]!.dataSync();
    expect(maxAbsDiff(w(a), w(b))).toBe(0);
    expect(maxAbsDiff(w(a), w(c))).toBeGreaterThan(0);
    expect(countParams(a)).toBe(paramShapes(a.config).reduce((n, [, s]) => n + s.reduce((x, y) => x * y, 1), 0));
    [a, b, c].forEach(disposeModel);
  });

  it("returns logits [B, T, V], and forwardRows the same rows, without leaking tensors", async () => {
    const model = createModel(TINY, { seed: 1 });
    const batch = tinyBatch();
    const rows = Int32Array.from([1, 4, 9]);
    await expectNoLeak(() => {
      const all = forward(model, batch);
      expect(all.shape).toEqual([2, 5, 11]);
      const some = forwardRows(model, batch, rows);
      const full = tf.tidy(() => all.reshape([10, 11]).arraySync() as number[][]);
      const picked = some.arraySync() as number[][];
      rows.forEach((r, i) => expect(maxAbsDiff(picked[i]!, full[r]!)).toBeLessThan(1e-5));
      tf.dispose([all, some]);
    });
    disposeModel(model);
  });

  it("ignores padding keys: a left-padded sequence gives the same last logits as the unpadded one", () => {
    const model = createModel(TINY, { seed: 1 });
    const seq = [4, 5, 6];
    const alone = forwardRows(model, { ids: Int32Array.from(seq), batch: 1, length: 3 }, Int32Array.from([2]));
    const padded = forwardRows(model, { ids: Int32Array.from([0, 0, ...seq]), batch: 1, length: 5 }, Int32Array.from([4]), {
      keyValid: Uint8Array.from([0, 0, 1, 1, 1]),
      positions: Int32Array.from([0, 0, 0, 1, 2]),
    });
    expect(maxAbsDiff(alone.dataSync(), padded.dataSync())).toBeLessThan(1e-5);
    tf.dispose([alone, padded]);
    disposeModel(model);
  });
});

describe("truncatedLoss", () => {
  let model: GPT;
  beforeAll(async () => {
    await useBackend("wasm");
    model = createModel({ ...TINY }, { seed: 5 });
  });
  afterAll(() => disposeModel(model));

  const grads = (loss: () => tf.Scalar) => {
    const { value, grads: g } = tf.variableGrads(loss, Object.values(model.params));
    const out = { loss: value.dataSync()[0]!, grads: Object.values(g).map((t) => t.dataSync() as Float32Array) };
    tf.dispose([value, ...Object.values(g)]);
    return out;
  };

  it("equals the mean loss with no threshold, and the kept examples' loss and gradients above one", () => {
    const batch = tinyBatch();
    let losses: Float64Array = new Float64Array(0);
    let dropped = -1;
    const all = grads(() => truncatedLoss(model, batch, Infinity, (l, d) => ((losses = l), (dropped = d))));
    expect(all.loss).toBeCloseTo(lossOf(model, batch), 5);
    expect(dropped).toBe(0);
    expect(losses.length).toBe(2);
    const [lo, hi] = [Math.min(losses[0]!, losses[1]!), Math.max(losses[0]!, losses[1]!)];
    expect(hi).toBeGreaterThan(lo);
    // Both examples have 3 target tokens, so the batch loss is their mean.
    expect(all.loss).toBeCloseTo((losses[0]! + losses[1]!) / 2, 5);

    // A threshold between the two drops the worse example: loss and gradients are the kept one's alone.
    const keep = losses[0]! < losses[1]! ? 0 : 1;
    const T = batch.length;
    const alone: LossBatch = {
      ids: batch.ids.slice(keep * T, keep * T + T),
      targets: batch.targets.slice(keep * T, keep * T + T),
      batch: 1,
      length: T,
    };
    const cut = grads(() => truncatedLoss(model, batch, (lo + hi) / 2, (_l, d) => (dropped = d)));
    const ref = grads(() => maskedLoss(model, alone));
    expect(dropped).toBe(1);
    expect(cut.loss).toBeCloseTo(lo, 5);
    expect(cut.loss).toBeCloseTo(ref.loss, 5);
    cut.grads.forEach((g, i) => expect(maxAbsDiff(g, ref.grads[i]!)).toBeLessThan(1e-5));

    // A threshold below both drops none (a batch is never left without gradient).
    grads(() => truncatedLoss(model, batch, lo / 2, (_l, d) => (dropped = d)));
    expect(dropped).toBe(0);
  });
});
