import * as tf from "@tensorflow/tfjs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { generate } from "../../loaders/engine/generate.js";
import { hotPath } from "../../loaders/engine/hotpath.js";
import { createKVCache, decodeStep, disposeKVCache, prefill } from "../../loaders/engine/kvcache.js";
import { createModel, disposeModel, type GPT } from "../../loaders/engine/model.js";
import { gatherRows, layerNorm } from "../../loaders/engine/ops.js";
import { readbackCount, withFloats } from "../../loaders/engine/readback.js";
import { scratch } from "../../loaders/engine/scratch.js";
import { trainModel, type Example } from "../../loaders/engine/train.js";
import { addNChunked, clipScale, globalNorm } from "../../loaders/engine/gradnorm.js";
import { leftPad } from "../../loaders/engine/generate.js";
import { expectNoLeak, useBackend } from "../_tf.js";

const SMALL = { vocabSize: 40, dModel: 16, nHeads: 2, nLayers: 2, maxLen: 48 };
const PROMPTS = [
  [5, 6, 7, 8, 9, 10],
  [11, 12, 13],
  [20, 21, 22, 23, 24, 25, 26, 27, 28],
];
// Long enough (T ≈ 53, head size 32) that "auto" attention runs per head on the host path and batched on the device path.
const WIDE = { vocabSize: 40, dModel: 32, nHeads: 1, nLayers: 2, maxLen: 64 };
const DATA: Example[] = Array.from({ length: 16 }, (_, i) => ({
  prompt: Array.from({ length: 50 + (i % 3) }, (_, j) => 3 + ((i * 5 + j) % 30)),
  target: [4 + (i % 7), 5, 2],
}));

function withPath<T>(path: string, fn: () => T): T {
  const before = process.env.ALIGNER_HOT_PATH;
  process.env.ALIGNER_HOT_PATH = path;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.ALIGNER_HOT_PATH;
    else process.env.ALIGNER_HOT_PATH = before;
  }
}

describe("hot path", () => {
  let model: GPT;
  beforeAll(async () => {
    await useBackend("wasm");
    model = createModel(SMALL, { seed: 1 });
  });
  afterAll(() => disposeModel(model));
  afterEach(() => delete process.env.ALIGNER_HOT_PATH);

  it("is host on wasm and cpu, device elsewhere, and follows ALIGNER_HOT_PATH", () => {
    expect(hotPath("wasm")).toBe("host");
    expect(hotPath("cpu")).toBe("host");
    expect(hotPath("webgpu")).toBe("device");
    expect(withPath("device", () => hotPath("wasm"))).toBe("device");
    expect(() => withPath("gpu", () => hotPath("wasm"))).toThrow(/ALIGNER_HOT_PATH=gpu is not one of device, host/);
  });

  it("decodes on the device with one readback per token batch, the same logits as the host cache (1e-4) and the same greedy tokens as no cache", async () => {
    const { batch, keyValid } = leftPad(PROMPTS, 9, 0);
    const host = createKVCache(model, 3, 20, "host");
    const device = createKVCache(model, 3, 20, "device");
    try {
      expect(device.device).toBeDefined();
      const close = (a: Float32Array, b: Float32Array) => expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeLessThan(1e-4);
      close(prefill(model, device, batch, keyValid), prefill(model, host, batch, keyValid));
      for (const ids of [Int32Array.of(3, 4, 5), Int32Array.of(6, 7, 8), Int32Array.of(9, 1, 2)]) {
        const before = readbackCount();
        const d = decodeStep(model, device, ids);
        expect(readbackCount() - before).toBe(1);
        close(d, decodeStep(model, host, ids));
      }
    } finally {
      disposeKVCache(host);
      disposeKVCache(device);
    }
    const cached = withPath("device", () => generate(model, PROMPTS, { maxNewTokens: 12 }));
    expect(cached.tokens).toEqual(generate(model, PROMPTS, { maxNewTokens: 12, useCache: false }).tokens);
    await expectNoLeak(() => withPath("device", () => generate(model, PROMPTS, { maxNewTokens: 5 })));
  });

  it("trains with ≤ 2 readbacks a step on the device path (1 without loss truncation), on the same loss curve as the host path (1e-4)", async () => {
    const curve = async (path: string) => {
      const m = createModel(WIDE, { seed: 3 });
      const reads: number[] = [];
      let last = readbackCount();
      const before = process.env.ALIGNER_HOT_PATH;
      process.env.ALIGNER_HOT_PATH = path;
      try {
        const { log } = await trainModel(
          m,
          DATA,
          { steps: 4, batchSize: 8, gradClip: 0.05 },
          {
            onStep: () => (reads.push(readbackCount() - last), (last = readbackCount())),
          },
        );
        return { losses: log.map((r) => r.loss), norms: log.map((r) => r.grad_norm), reads };
      } finally {
        process.env.ALIGNER_HOT_PATH = before ?? "";
        disposeModel(m);
      }
    };
    const device = await curve("device");
    const host = await curve("host");
    expect(device.reads).toEqual([1, 1, 1, 1]);
    // the host path reads on purpose (views of wasm's heap): 1 for the step, per-head attention's qkv 1 per
    // layer forward and 1 backward (its kernels read dy and the probabilities in place), the row gathers 4
    // (both embedding tables, the last block's x and y), LayerNorm's parameter gradients 2 per norm (5 norms)
    expect(host.reads).toEqual([1 + 2 * 2 + 4 + 5 * 2, 19, 19, 19]);
    device.losses.forEach((x, i) => expect(x).toBeCloseTo(host.losses[i]!, 4));
    device.norms.forEach((x, i) => expect(x).toBeCloseTo(host.norms[i]!, 4));
    expect(Math.min(...device.norms)).toBeGreaterThan(0.05); // clipping was active on every step
  });
});

describe("gradnorm", () => {
  beforeAll(() => useBackend("wasm"));

  it("gathers rows and takes LayerNorm's parameter gradients in JS on the host path, to the bit the device path's tfjs values", async () => {
    const n = 37;
    const d = 12;
    const rand = (size: number, seed: number) => Float32Array.from({ length: size }, (_, i) => Math.sin(seed * 1000 + i * 1.7) * 3);
    const table = tf.tensor2d(rand(n * d, 1), [n, d]);
    const x = tf.tensor2d(rand(n * d, 2), [n, d]);
    const g = tf.tensor1d(rand(d, 3));
    const b = tf.tensor1d(rand(d, 4));
    const up = tf.tensor2d(rand(5 * d, 5), [5, d]);
    const upLn = tf.tensor2d(rand(n * d, 6), [n, d]);
    const idx = Int32Array.from([3, 0, 36, 3, 17]);
    const run = (path: string) =>
      withPath(path, () => {
        const before = readbackCount();
        const out = tf.tidy(() => {
          const rows = gatherRows(table, idx);
          const dTable = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), up)))(table);
          const ln = layerNorm(x, g, b, 1e-5);
          const dLn = tf.grads((xi: tf.Tensor, gi: tf.Tensor, bi: tf.Tensor) =>
            tf.sum(tf.mul(layerNorm(xi as tf.Tensor2D, gi as tf.Tensor1D, bi as tf.Tensor1D, 1e-5), upLn)),
          )([x, g, b]);
          return [rows, dTable, ln, ...dLn];
        });
        const reads = readbackCount() - before;
        const values = out.map((t) => Array.from(t.dataSync()));
        tf.dispose(out);
        return { values, reads };
      });
    const host = await expectNoLeak(() => run("host"));
    const device = await expectNoLeak(() => run("device"));
    expect(host.values).toEqual(device.values); // exact: the same float32 operations in the same order
    expect(device.reads).toBe(0);
    expect(host.reads).toBe(2 + 2); // gathers read the table (forward and under tf.grad), LayerNorm reads dy and x̂
    tf.dispose([table, x, g, b, up, upLn]);
  });

  it("reads a wasm tensor through a view of the heap (one counted readback) and reuses scratch buffers on wasm only", async () => {
    const t = tf.tensor1d([1.5, -2, 3.25]);
    const before = readbackCount();
    expect(withFloats(t, (v) => Array.from(v))).toEqual([1.5, -2, 3.25]);
    expect(readbackCount() - before).toBe(1);
    const ints = tf.tensor1d([1], "int32");
    expect(() => withFloats(ints, (v) => v)).toThrow(/expected a float32 tensor, got int32/);
    tf.dispose([t, ints]);
    const a = scratch("test", 8);
    expect(scratch("test", 8)).toBe(a);
    expect(scratch("test", 9)).not.toBe(a);
  });

  it("sums many tensors in AddN chunks as one AddN does, and clips as torch's clip_grad_norm_", async () => {
    const xs = Array.from({ length: 21 }, (_, i) => tf.fill([3], i + 0.5));
    try {
      expect(Array.from(addNChunked(xs).dataSync())).toEqual(Array.from(tf.addN(xs).dataSync()));
      const norm = globalNorm([tf.tensor1d([3]), tf.tensor1d([4])]);
      expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
      expect((clipScale(norm, 1) as tf.Scalar).dataSync()[0]).toBeCloseTo(1 / (5 + 1e-6), 6);
      expect((clipScale(norm, 10) as tf.Scalar).dataSync()[0]).toBe(1);
      expect(clipScale(norm, 0)).toBe(1);
      expect(() => addNChunked([])).toThrow(/at least one tensor/);
    } finally {
      tf.dispose(xs);
    }
  });
});
