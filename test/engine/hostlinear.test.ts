import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostLinear } from "../../loaders/engine/hostlinear.js";
import { readbackCount } from "../../loaders/engine/readback.js";
import { expectNoLeak, seededTensor, useBackend } from "../_tf.js";

describe("hostLinear", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });
  afterAll(async () => {
    await useBackend("wasm");
  });

  it.each([
    [1, 8, 12, true],
    [16, 128, 384, true],
    [32, 512, 128, true],
    [16, 128, 256, false],
    [4, 8, 10, true], // a width not a multiple of 4: XNNPACK's kernel instead of the engine's
  ])("computes x [%i, %i] @ W [, %i] (+ b: %s) with the same bits as tf.fused.matMul", async (rows, K, N, withBias) => {
    const w = seededTensor([K, N], K + N) as tf.Tensor2D;
    const b = withBias ? seededTensor([N], N) : undefined;
    await expectNoLeak(() => {
      const linear = hostLinear(w, b, rows);
      expect(linear).not.toBeNull();
      for (const seed of [1, 2]) {
        const x = seededTensor([rows, K], seed) as tf.Tensor2D;
        const want = tf.tidy(() => tf.fused.matMul({ a: x, b: w, bias: b }).dataSync() as Float32Array);
        const before = readbackCount();
        const got = linear!.run(x.dataSync() as Float32Array);
        expect(readbackCount() - before).toBe(1);
        expect(Array.from(got)).toEqual(Array.from(want));
        x.dispose();
      }
      linear!.dispose();
    });
    tf.dispose([w, b!].filter(Boolean));
  });

  it("checks the size of its input", () => {
    const w = seededTensor([4, 4], 1) as tf.Tensor2D;
    const linear = hostLinear(w, undefined, 2)!;
    expect(() => linear.run(new Float32Array(4))).toThrow("hostLinear got 4 values for 2×4");
    linear.dispose();
    w.dispose();
  });

  it("is null off the wasm backend, where the caller runs tfjs ops", async () => {
    await useBackend("cpu");
    const w = seededTensor([4, 4], 1) as tf.Tensor2D;
    expect(hostLinear(w, undefined, 2)).toBeNull();
    w.dispose();
    await useBackend("wasm");
  });
});
