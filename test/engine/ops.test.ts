// Each op of loaders/engine/ops.ts against a reference written with plain tfjs ops (whose gradients
// tfjs derives itself) or by hand: forward values, gradients, causal masking, and no leaked tensors.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../../loaders/engine/random.js";
import { crossEntropy, crossEntropyRows, gatherRows, gelu, layerNorm, linear, transpose2d } from "../../loaders/engine/ops.js";
import { causalSelfAttention, type AttentionPath } from "../../loaders/engine/attention.js";
import { expectNoLeak, maxAbsDiff, useBackend } from "../_tf.js";

const TOL = 1e-5;

/** Seeded values in [-scale, scale). */
function values(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (2 * rng() - 1) * scale);
}
const tensor2d = (rows: number, cols: number, seed: number, scale = 1) => tf.tensor2d(values(rows * cols, seed, scale), [rows, cols]);
const tensor1d = (n: number, seed: number, scale = 1) => tf.tensor1d(values(n, seed, scale));
const data = (t: tf.Tensor) => t.dataSync() as Float32Array;
/** The values of the tensors `fn` returns, computed in a tidy (typed arrays never go through tf.tidy itself). */
function valuesOf(fn: () => tf.Tensor[]): Float32Array[] {
  const tensors = tf.tidy(fn);
  const out = tensors.map((t) => data(t).slice());
  tf.dispose(tensors);
  return out;
}

/**
 * Gradients of sum(f(inputs) · R) for a fixed random R (so no gradient is trivially zero), for the op
 * and its reference; asserts values and gradients agree and that neither pass leaks a tensor.
 */
async function expectSameAsReference(
  op: (...xs: tf.Tensor[]) => tf.Tensor,
  reference: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  tol = TOL,
): Promise<void> {
  const run = (f: (...xs: tf.Tensor[]) => tf.Tensor) => {
    const y = tf.tidy(() => f(...inputs));
    const r = tf.tensor(values(y.size, 99), y.shape);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), r)))(inputs);
    const out = { y: data(y).slice(), grads: grads.map((g) => data(g).slice()) };
    tf.dispose([y, r, ...grads]);
    return out;
  };
  const ours = await expectNoLeak(() => run(op));
  const theirs = run(reference);
  expect(maxAbsDiff(ours.y, theirs.y), "forward").toBeLessThan(tol);
  theirs.grads.forEach((g, i) => expect(maxAbsDiff(ours.grads[i]!, g), `gradient of input ${i}`).toBeLessThan(tol));
}

describe.each(["wasm", "cpu"] as const)("ops on %s", (backend) => {
  beforeAll(async () => {
    await useBackend(backend);
  });

  describe("linear", () => {
    // [N, K, M]: K ≤ M and K > M take the two branches of the weight gradient (which operand is transposed).
    it.each([
      [3, 2, 5, true],
      [3, 5, 2, true],
      [4, 3, 3, false],
      [1, 6, 2, false],
    ])("is x @ w + b with the same gradients as tf.matMul (N=%i, K=%i, M=%i, bias %s)", async (n, k, m, bias) => {
      const inputs = [tensor2d(n, k, 1), tensor2d(k, m, 2), ...(bias ? [tensor1d(m, 3)] : [])];
      await expectSameAsReference(
        (x, w, b) => linear(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D | undefined),
        (x, w, b) => (b ? tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b) : tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D)),
        inputs,
      );
      tf.dispose(inputs);
    });

    it("computes a hand-worked product", () => {
      const y = linear(
        tf.tensor2d([[1, 2]]),
        tf.tensor2d([
          [1, 0, -1],
          [2, 1, 0],
        ]),
        tf.tensor1d([0.5, 0, 0]),
      );
      expect(Array.from(data(y))).toEqual([5.5, 2, -1]);
      y.dispose();
    });
  });

  describe("layerNorm", () => {
    const reference = (eps: number) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
    };

    it.each([
      [4, 8, 1e-5],
      [3, 5, 1e-2],
      [1, 16, 1e-5],
    ])("normalizes each row like mean/variance by hand, with matching gradients ([%i, %i], eps %s)", async (n, d, eps) => {
      const inputs = [tensor2d(n, d, 4, 3), tensor1d(d, 5), tensor1d(d, 6)];
      await expectSameAsReference(
        (x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, eps),
        reference(eps),
        inputs,
        1e-4,
      );
      tf.dispose(inputs);
    });

    it("gives each row mean 0 and variance 1 with unit gain and zero bias, whatever its offset and scale", () => {
      const [x, g, b] = [
        tf.tensor2d([
          [1, 2, 3, 4],
          [100, 200, 300, 400],
          [-5, -5, -5, -1],
        ]),
        tf.ones([4]) as tf.Tensor1D,
        tf.zeros([4]) as tf.Tensor1D,
      ];
      const y = layerNorm(x, g, b, 1e-5);
      const { mean, variance } = tf.moments(y, -1);
      expect(maxAbsDiff(data(mean), [0, 0, 0])).toBeLessThan(1e-5);
      expect(maxAbsDiff(data(variance), [1, 1, 1])).toBeLessThan(1e-3);
      expect(maxAbsDiff(data(y).subarray(0, 4), data(y).subarray(4, 8))).toBeLessThan(1e-5); // shift and scale invariant
      tf.dispose([x, g, b, y, mean, variance]);
    });
  });

  describe("gelu", () => {
    const tanhGelu = (x: tf.Tensor) =>
      tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x))))))));

    it("equals the tanh form 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))) in value and gradient", async () => {
      const x = tf.tensor2d(values(40, 7, 6), [5, 8]); // [-6, 6): both tails and the middle
      await expectSameAsReference(gelu, tanhGelu, [x], 1e-5);
      x.dispose();
    });

    it.each([
      [0, 0, 0.5],
      [20, 20, 1], // identity far right
      [-20, 0, 0], // zero far left
      [1, 0.841192, 1.082964], // torch.nn.functional.gelu(1, approximate="tanh") and its derivative
    ])("at %s is %s with slope %s", (at, value, slope) => {
      const x = tf.scalar(at);
      const [y, dy] = [gelu(x), tf.grad(gelu)(x)];
      expect(data(y)[0]!).toBeCloseTo(value, 5);
      expect(data(dy)[0]!).toBeCloseTo(slope, 5);
      tf.dispose([x, y, dy]);
    });
  });

  describe("crossEntropyRows and crossEntropy", () => {
    const reference = (targets: tf.Tensor1D) => (l: tf.Tensor) =>
      tf.neg(tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(targets, l.shape[1]!)), -1));

    it("gives −log softmax(logits)[target] per row, with the gradient of tf.logSoftmax", async () => {
      const targets = tf.tensor1d([0, 3, 6, 3, 1], "int32");
      const logits = tensor2d(5, 7, 8, 4);
      await expectSameAsReference((l) => crossEntropyRows(l as tf.Tensor2D, targets), reference(targets), [logits]);
      await expectSameAsReference(
        (l) => crossEntropy(l as tf.Tensor2D, targets),
        (l) => tf.mean(reference(targets)(l)),
        [logits],
      );
      tf.dispose([targets, logits]);
    });

    it.each([
      ["uniform over two", [[0, 0]], [0], [Math.LN2]],
      ["uniform over four", [[3, 3, 3, 3]], [2], [Math.log(4)]],
      [
        "huge logits stay finite",
        [
          [1000, 0],
          [0, 1000],
        ],
        [1, 1],
        [1000, 0],
      ],
      [
        "a sure and a hopeless row",
        [
          [0, -200],
          [-200, 0],
        ],
        [0, 0],
        [0, 200],
      ],
    ])("is exact on %s", (_name, logits, targets, want) => {
      const t = tf.tensor1d(targets, "int32");
      const l = tf.tensor2d(logits);
      const rows = crossEntropyRows(l, t);
      const mean = crossEntropy(l, t);
      expect(maxAbsDiff(data(rows), want)).toBeLessThan(1e-4);
      expect(data(mean)[0]!).toBeCloseTo(want.reduce((a, b) => a + b, 0) / want.length, 4);
      tf.dispose([t, l, rows, mean]);
    });
  });

  describe("gatherRows", () => {
    it("copies the rows at idx, repeats included, and sums the gradient of a repeated row", async () => {
      const table = tensor2d(4, 3, 9);
      const idx = Int32Array.from([2, 0, 2, 3, 2]);
      const upstream = values(idx.length * 3, 10);
      const { y, grad } = await expectNoLeak(() => {
        const out = gatherRows(table, idx);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t as tf.Tensor2D, idx), tf.tensor2d(upstream, [idx.length, 3]))))(
          table,
        );
        const result = { y: data(out).slice(), grad: data(g).slice() };
        tf.dispose([out, g]);
        return result;
      });
      const t = data(table);
      const want = Array.from(idx).flatMap((r) => Array.from(t.subarray(r * 3, r * 3 + 3)));
      expect(maxAbsDiff(y, want)).toBe(0);
      const dTable = new Float32Array(12); // dtable[r] = Σ over i with idx[i] = r of upstream[i]
      idx.forEach((r, i) => {
        for (let c = 0; c < 3; c++) dTable[r * 3 + c]! += upstream[i * 3 + c]!;
      });
      expect(maxAbsDiff(grad, dTable)).toBeLessThan(TOL);
      expect(Array.from(grad.subarray(3, 6))).toEqual([0, 0, 0]); // row 1 was never gathered
      table.dispose();
    });

    it.each([[-1], [4]])("rejects the row index %i, out of range for 4 rows", async (row) => {
      const table = tensor2d(4, 3, 9);
      await expectNoLeak(() => expect(() => gatherRows(table, Int32Array.from([0, row]))).toThrow(/row index -?\d out of range \[0, 4\)/));
      table.dispose();
    });
  });

  describe("causalSelfAttention", () => {
    const B = 2;
    const T = 5;
    const H = 2;
    const D = 8; // head size 4
    const PATHS: AttentionPath[] = ["auto", "perHead", "batched"];

    /** Plain multi-head causal attention on qkv [B*T, 3D], padding keys (keyValid 0) masked. */
    function reference(qkv: tf.Tensor, keyValid?: Uint8Array): tf.Tensor {
      const hd = D / H;
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [B, T, H, hd]), [0, 2, 1, 3]); // [B*T, D] -> [B, H, T, hd]
      const [q, k, v] = tf.split(qkv, 3, 1).map(heads) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const allowed = new Float32Array(B * T * T); // [B, 1, T, T]
      for (let b = 0; b < B; b++)
        for (let i = 0; i < T; i++) for (let j = 0; j <= i; j++) allowed[(b * T + i) * T + j] = keyValid?.[b * T + j] === 0 ? 0 : 1;
      const mask = tf.mul(tf.sub(1, tf.tensor4d(allowed, [B, 1, T, T])), -1e9);
      const scores = tf.add(tf.div(tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])), Math.sqrt(hd)), mask);
      return tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [B * T, D]); // [B, H, T, hd] -> [B*T, D]
    }

    const attend = (qkv: tf.Tensor2D, path: AttentionPath, keyValid?: Uint8Array) =>
      valuesOf(() => [causalSelfAttention(qkv, { batch: B, length: T, heads: H, path, ...(keyValid ? { keyValid } : {}) })])[0]!;

    it.each(PATHS)("matches plain tfjs attention in value and gradient (path %s)", async (path) => {
      const qkv = tensor2d(B * T, 3 * D, 11, 2);
      await expectSameAsReference(
        (x) => causalSelfAttention(x as tf.Tensor2D, { batch: B, length: T, heads: H, path }),
        (x) => reference(x),
        [qkv],
      );
      qkv.dispose();
    });

    it.each(PATHS)("masks padding keys like the reference, in value and gradient (path %s)", async (path) => {
      const qkv = tensor2d(B * T, 3 * D, 12, 2);
      // Sequence 0 left-padded by two; in sequence 1 the middle key is padding, the first is not.
      const keyValid = Uint8Array.from([0, 0, 1, 1, 1, 1, 1, 0, 1, 1]);
      const op = (x: tf.Tensor) => causalSelfAttention(x as tf.Tensor2D, { batch: B, length: T, heads: H, path, keyValid });
      // Query rows with no valid key (sequence 0's padding) are defined by neither: compare the others.
      const valid = (y: tf.Tensor) => tf.slice(y, [2, 0], [B * T - 2, D]);
      await expectSameAsReference(
        (x) => valid(op(x)),
        (x) => valid(reference(x, keyValid)),
        [qkv],
      );
      qkv.dispose();
    });

    it.each(PATHS)("lets no token see a later one, or another sequence, and ignores padding keys (path %s)", (path) => {
      const base = values(B * T * 3 * D, 13, 2);
      const outputs = (x: Float32Array, keyValid?: Uint8Array) => {
        const qkv = tf.tensor2d(x, [B * T, 3 * D]);
        const y = attend(qkv, path, keyValid);
        qkv.dispose();
        return y;
      };
      const rows = (y: Float32Array, from: number, to: number) => y.subarray(from * D, to * D);
      const before = outputs(base);
      for (const t of [1, 3, 4]) {
        const moved = base.slice();
        for (let c = 0; c < 3 * D; c++) moved[t * 3 * D + c]! += 1; // token t of sequence 0: its q, k and v
        const after = outputs(moved);
        expect(maxAbsDiff(rows(after, 0, t), rows(before, 0, t)), `rows before ${t}`).toBe(0);
        expect(maxAbsDiff(rows(after, t, t + 1), rows(before, t, t + 1))).toBeGreaterThan(1e-3);
        expect(maxAbsDiff(rows(after, T, 2 * T), rows(before, T, 2 * T)), "sequence 1").toBe(0);
      }
      // A padding key's k and v change no valid query's output.
      const keyValid = Uint8Array.from([1, 1, 1, 1, 1, 1, 0, 1, 1, 1]);
      const padded = outputs(base, keyValid);
      const moved = base.slice();
      for (let c = D; c < 3 * D; c++) moved[6 * 3 * D + c]! += 5; // row 6 = sequence 1, token 1: k and v
      expect(maxAbsDiff(outputs(moved, keyValid), padded)).toBe(0);
      expect(maxAbsDiff(rows(padded, 7, 10), rows(before, 7, 10))).toBeGreaterThan(1e-3); // the mask did act
    });

    it("attends a first token only to itself: its output is its own value", () => {
      const qkv = tensor2d(B * T, 3 * D, 14);
      const all = data(qkv);
      for (const path of PATHS) {
        const y = attend(qkv, path);
        for (const b of [0, 1])
          expect(maxAbsDiff(y.subarray(b * T * D, b * T * D + D), all.subarray(b * T * 3 * D + 2 * D, b * T * 3 * D + 3 * D))).toBeLessThan(
            1e-6,
          );
      }
      qkv.dispose();
    });

    it.each(["perHead", "batched"] as const)("hands keys and values [B, H, T, hd] to onKeysValues (path %s)", async (path) => {
      const qkv = tensor2d(B * T, 3 * D, 15);
      let got: { k: Float32Array; v: Float32Array } | undefined;
      await expectNoLeak(() =>
        tf.dispose(
          tf.tidy(() =>
            causalSelfAttention(qkv, {
              batch: B,
              length: T,
              heads: H,
              path,
              onKeysValues: (k, v) => (got = { k: k.slice(), v: v.slice() }),
            }),
          ),
        ),
      );
      const [wantK, wantV] = valuesOf(() =>
        tf
          .split(qkv, 3, 1)
          .slice(1)
          .map((t) => tf.transpose(tf.reshape(t, [B, T, H, D / H]), [0, 2, 1, 3])),
      );
      expect(maxAbsDiff(got!.k, wantK!)).toBe(0);
      expect(maxAbsDiff(got!.v, wantV!)).toBe(0);
      qkv.dispose();
    });
  });
});

describe("wasm matmul", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  // linear's weight gradient picks which operand to transpose by cost alone (ops.ts _weightGrads): both
  // orientations give the same bits because XNNPACK sums each output over k in order, like this loop.
  it.each([
    [4, 8, 8],
    [32, 128, 128],
    [128, 2048, 64],
  ])("sums each of A [%i, %i] @ B [, %i]'s outputs in k order, so (BᵀAᵀ)ᵀ equals it to the bit", (M, K, N) => {
    const rng = createRng(M + K + N);
    const a = tf.tensor2d(
      Float32Array.from({ length: M * K }, () => rng() * 2 - 1),
      [M, K],
    );
    const b = tf.tensor2d(
      Float32Array.from({ length: K * N }, () => rng() * 2 - 1),
      [K, N],
    );
    const [ab, swapped] = tf
      .tidy(() => [tf.matMul(a, b), tf.transpose(tf.matMul(tf.transpose(b), tf.transpose(a)))])
      .map((t) => {
        const v = t.dataSync() as Float32Array;
        t.dispose();
        return v;
      });
    const av = a.dataSync();
    const bv = b.dataSync();
    const loop = new Float32Array(M * N);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum = Math.fround(sum + Math.fround(av[i * K + k]! * bv[k * N + j]!));
        loop[i * N + j] = sum;
      }
    expect(Array.from(ab!)).toEqual(Array.from(loop));
    expect(Array.from(swapped!)).toEqual(Array.from(loop));
    tf.dispose([a, b]);
  });

  it.each([
    [4, 4],
    [8, 12],
    [2048, 256],
    [6, 8], // rows not a multiple of 4: tf.transpose
    [8, 3],
  ])("transpose2d of [%i, %i] equals tf.transpose, value for value", async (rows, cols) => {
    const rng = createRng(rows * cols);
    const values = Float32Array.from({ length: rows * cols }, () => rng() * 2 - 1);
    await expectNoLeak(() => {
      const x = tf.tensor2d(values, [rows, cols]);
      const [mine, theirs] = [transpose2d(x), tf.transpose(x)];
      expect(mine.shape).toEqual([cols, rows]);
      expect(Array.from(mine.dataSync())).toEqual(Array.from(theirs.dataSync()));
      tf.dispose([x, mine, theirs]);
    });
  });
});
