// The engine's matrix product (loaders/engine/gemm.ts) against tfjs-wasm's (XNNPACK) and a one-at-a-time
// loop, to the bit: a trained model's weights, and every table of a committed study, do not move with it.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { matMulOnHeap } from "../../loaders/engine/gemm.js";
import { linear } from "../../loaders/engine/ops.js";
import { expectNoLeak, seededTensor, useBackend } from "../_tf.js";

const matrix = (rows: number, cols: number, seed: number) => seededTensor([rows, cols], seed) as tf.Tensor2D;

/** Values of a tensor, which is then disposed. */
function take(t: tf.Tensor): number[] {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
}

describe("matMulOnHeap on wasm", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  // [m, k, n]: rows not a multiple of the 3-row block (1 and 2 left over), n % 8 = 4 (a last panel of 4
  // columns), and sums longer than one block of 512 steps (resumed from the stored partial sums).
  it.each([
    [1, 5, 4],
    [2, 3, 8],
    [4, 7, 12],
    [7, 600, 20],
    [8, 1100, 36],
    [33, 64, 256],
  ])("equals tf.matMul and tf.fused.matMul with a bias, to the bit ([%i, %i] @ [, %i])", async (m, k, n) => {
    const [a, b] = [matrix(m, k, m + k), matrix(k, n, k + n)];
    const bias = seededTensor([n], n) as tf.Tensor1D;
    await expectNoLeak(() => {
      expect(take(matMulOnHeap(a, b)!)).toEqual(take(tf.matMul(a, b)));
      expect(take(matMulOnHeap(a, b, bias)!)).toEqual(take(tf.fused.matMul({ a, b, bias })));
    });
    tf.dispose([a, b, bias]);
  });

  it("adds each output's products one at a time in k order, across the blocks of the sum", () => {
    const [m, k, n] = [5, 1030, 8];
    const [a, b] = [matrix(m, k, 1), matrix(k, n, 2)];
    const [av, bv] = [a.dataSync(), b.dataSync()];
    const loop = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let s = 0; s < k; s++) sum = Math.fround(sum + Math.fround(av[i * k + s]! * bv[s * n + j]!));
        loop[i * n + j] = sum;
      }
    expect(take(matMulOnHeap(a, b)!)).toEqual(Array.from(loop));
    tf.dispose([a, b]);
  });

  it("leaves widths that are not a multiple of 4 to tf.matMul, and rejects mismatched shapes", () => {
    const [a, b, c] = [matrix(3, 4, 1), matrix(4, 6, 2), matrix(5, 8, 3)];
    expect(matMulOnHeap(a, b)).toBeNull();
    expect(() => matMulOnHeap(a, c)).toThrow(/inner sizes differ/);
    tf.dispose([a, b, c]);
  });

  // linear's gradients on the heap: dx = dy @ wᵀ, dw = xᵀ @ dy or (dyᵀ @ x)ᵀ (whichever transposes less),
  // db = column sums of dy. Rows 6 and 9 are not multiples of 4 (tf.transpose for the transposes).
  it.each([
    [8, 12, 16],
    [12, 16, 8],
    [6, 8, 8],
    [9, 4, 12],
  ])("gives linear the same value and gradients as tf.matMul's chain, to the bit (x [%i, %i], w [, %i])", async (rows, k, m) => {
    const [x, w, dy] = [matrix(rows, k, 1), matrix(k, m, 2), matrix(rows, m, 3)];
    const b = seededTensor([m], 4) as tf.Tensor1D;
    const ours = await expectNoLeak(() => {
      const f = (xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => linear(xs as tf.Tensor2D, ws as tf.Tensor2D, bs as tf.Tensor1D);
      const { value, grads } = tf.valueAndGrads((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor) => tf.sum(tf.mul(f(xs, ws, bs), dy)))([
        x,
        w,
        b,
      ]);
      value.dispose();
      return [take(f(x, w, b)), ...grads.map(take)];
    });
    const theirs = [
      take(tf.fused.matMul({ a: x, b: w, bias: b })),
      take(tf.tidy(() => tf.matMul(dy, tf.transpose(w)))),
      take(tf.tidy(() => tf.matMul(tf.transpose(x), dy))),
      take(tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, rows]), dy), [m]))),
    ];
    ours.forEach((values, i) => expect(values, ["value", "dx", "dw", "db"][i]).toEqual(theirs[i]));
    tf.dispose([x, w, dy, b]);
  });
});

describe("matMulOnHeap off wasm", () => {
  it("is null on the cpu backend, where linear runs tf.matMul", async () => {
    await useBackend("cpu");
    const [a, b] = [matrix(3, 4, 1), matrix(4, 8, 2)];
    expect(matMulOnHeap(a, b)).toBeNull();
    tf.dispose([a, b]);
  });
});
