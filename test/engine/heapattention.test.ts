import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { causalSelfAttention } from "../../loaders/engine/attention.js";
import { attendOnHeap, attentionGradOnHeap } from "../../loaders/engine/heapattention.js";
import { createRng } from "../../loaders/engine/random.js";
import { expectNoLeak, useBackend } from "../_tf.js";

const MASKED = -1e9;

/** Sequence b's additive mask [T, T]: causal, and padding keys (keyValid 0) masked. */
function maskOf(T: number, keyValid: Uint8Array | undefined, b: number): Float32Array {
  return Float32Array.from({ length: T * T }, (_, k) => {
    const [i, j] = [Math.floor(k / T), k % T];
    return j > i || (keyValid !== undefined && keyValid[b * T + j] === 0) ? MASKED : 0;
  });
}

/** The per-head path's arithmetic in tfjs ops: rank-2 XNNPACK matmuls, tf.add of the mask, tf.softmax. */
function reference(qkv: Float32Array, B: number, T: number, H: number, hd: number, keyValid?: Uint8Array) {
  const D = H * hd;
  const y = new Float32Array(B * T * D);
  const probs: number[] = [];
  const cols = (b: number, col: number, scale: number) =>
    Float32Array.from({ length: T * hd }, (_, k) => qkv[(b * T + Math.floor(k / hd)) * 3 * D + col + (k % hd)]! * scale);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const [p, out] = tf.tidy(() => {
        const q = tf.tensor2d(cols(b, h * hd, 1 / Math.sqrt(hd)), [T, hd]);
        const k = tf.tensor2d(cols(b, D + h * hd, 1), [T, hd]);
        const v = tf.tensor2d(cols(b, 2 * D + h * hd, 1), [T, hd]);
        const p = tf.softmax(tf.add(tf.matMul(q, tf.transpose(k)), tf.tensor2d(maskOf(T, keyValid, b), [T, T])));
        return [p.dataSync() as Float32Array, tf.matMul(p as tf.Tensor2D, v).dataSync() as Float32Array];
      });
      probs.push(...p!);
      for (let t = 0; t < T; t++) y.set(out!.subarray(t * hd, (t + 1) * hd), (b * T + t) * D + h * hd);
    }
  }
  return { y, probs: Float32Array.from(probs) };
}

/** The per-head backward in tfjs ops (attention.ts's path off the heap): rank-2 matmuls and the softmax backward. */
function gradReference(qkv: Float32Array, dy: Float32Array, probs: Float32Array, B: number, T: number, H: number, hd: number) {
  const D = H * hd;
  const dqkv = new Float32Array(B * T * 3 * D);
  const scale = 1 / Math.sqrt(hd);
  const rows = (src: Float32Array, stride: number, b: number, col: number, s = 1) =>
    Float32Array.from({ length: T * hd }, (_, k) => src[(b * T + Math.floor(k / hd)) * stride + col + (k % hd)]! * s);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const head = b * H + h;
      const [dq, dkT, dvT] = tf.tidy(() => {
        const dY = tf.tensor2d(rows(dy, D, b, h * hd), [T, hd]);
        const q = tf.tensor2d(rows(qkv, 3 * D, b, h * hd, scale), [T, hd]);
        const k = tf.tensor2d(rows(qkv, 3 * D, b, D + h * hd, scale), [T, hd]);
        const v = tf.tensor2d(rows(qkv, 3 * D, b, 2 * D + h * hd), [T, hd]);
        const p = tf.tensor2d(probs.subarray(head * T * T, (head + 1) * T * T), [T, T]);
        const dP = tf.matMul(dY, tf.transpose(v));
        const dS = tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true)));
        return [tf.matMul(dS, k), tf.matMul(tf.transpose(q), dS), tf.matMul(tf.transpose(dY), p)].map((t) => t.dataSync() as Float32Array);
      });
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < hd; d++) {
          const at = (b * T + t) * 3 * D + h * hd + d;
          dqkv[at] = dq![t * hd + d]!;
          dqkv[at + D] = dkT![d * T + t]!;
          dqkv[at + 2 * D] = dvT![d * T + t]!;
        }
      }
    }
  }
  return dqkv;
}

describe("attendOnHeap", () => {
  beforeAll(async () => {
    await useBackend("wasm");
  });

  it.each([
    [2, 16, 2, 8, false],
    [2, 13, 2, 8, false], // T not a multiple of 4: padded rows of kᵀ and scores
    [3, 11, 1, 4, true], // left padding, rows whose every key is masked included
    [1, 40, 4, 12, true],
  ])("matches per-head matmuls and softmaxes to the bit (B %i, T %i, H %i, hd %i, padding %s)", async (B, T, H, hd, padded) => {
    const D = H * hd;
    const rng = createRng(B * 100 + T);
    const values = Float32Array.from({ length: B * T * 3 * D }, () => (rng() * 2 - 1) * 3);
    const keyValid = padded ? Uint8Array.from({ length: B * T }, (_, k) => (k % T < (Math.floor(k / T) * 3) % T ? 0 : 1)) : undefined;
    const want = reference(values, B, T, H, hd, keyValid);
    await expectNoLeak(() => {
      const qkv = tf.tensor2d(values, [B * T, 3 * D]);
      let seen: [Float32Array, Float32Array] | undefined;
      const got = attendOnHeap(qkv, {
        batch: B,
        length: T,
        heads: H,
        keyValid,
        mask: (b) => maskOf(T, keyValid, b),
      })!;
      // the per-head path hands the KV cache its K and V beside the heap forward
      const viaPath = causalSelfAttention(qkv, {
        batch: B,
        length: T,
        heads: H,
        keyValid,
        path: "perHead",
        onKeysValues: (k, v) => (seen = [k, v]),
      });
      expect(Array.from(viaPath.dataSync())).toEqual(Array.from(want.y));
      expect(got).not.toBeNull();
      expect(Array.from(got.probs.dataSync())).toEqual(Array.from(want.probs));
      expect(Array.from(got.y.dataSync())).toEqual(Array.from(want.y));
      const [k, v] = seen!;
      expect(k[((B - 1) * H + H - 1) * T * hd + 1]).toBe(values[(B * T - T) * 3 * D + D + (H - 1) * hd + 1]); // K [B, H, T, hd]
      expect(v[hd]).toBe(values[3 * D + 2 * D]); // V: sequence 0, head 0, position 1
      tf.dispose([qkv, got.y, got.probs, viaPath]);
    });
  });

  it.each([
    [2, 16, 2, 8, false],
    [2, 13, 2, 8, false],
    [3, 11, 1, 4, true],
    [1, 40, 4, 12, true],
  ])(
    "its backward matches per-head matmuls and the softmax backward to the bit (B %i, T %i, H %i, hd %i, padding %s)",
    async (B, T, H, hd, padded) => {
      const D = H * hd;
      const rng = createRng(B * 1000 + T);
      const values = Float32Array.from({ length: B * T * 3 * D }, () => (rng() * 2 - 1) * 3);
      const dys = Float32Array.from({ length: B * T * D }, () => rng() * 2 - 1);
      const keyValid = padded ? Uint8Array.from({ length: B * T }, (_, k) => (k % T < (Math.floor(k / T) * 3) % T ? 0 : 1)) : undefined;
      const want = gradReference(values, dys, reference(values, B, T, H, hd, keyValid).probs, B, T, H, hd);
      await expectNoLeak(() => {
        const qkv = tf.tensor2d(values, [B * T, 3 * D]);
        const dy = tf.tensor2d(dys, [B * T, D]);
        const fwd = attendOnHeap(qkv, { batch: B, length: T, heads: H, keyValid, mask: (b) => maskOf(T, keyValid, b) })!;
        const got = attentionGradOnHeap(dy, qkv, fwd.probs, { batch: B, length: T, heads: H, keyValid })!;
        expect(got).not.toBeNull();
        expect(Array.from(got.dataSync())).toEqual(Array.from(want));
        // and through the per-head path's gradient, as training takes it
        const viaPath = tf.grad((x: tf.Tensor) =>
          tf.sum(tf.mul(causalSelfAttention(x as tf.Tensor2D, { batch: B, length: T, heads: H, keyValid, path: "perHead" }), dy)),
        )(qkv);
        expect(Array.from(viaPath.dataSync())).toEqual(Array.from(want));
        tf.dispose([qkv, dy, fwd.y, fwd.probs, got, viaPath]);
      });
    },
  );

  it("is null off the wasm backend", async () => {
    await useBackend("cpu");
    try {
      const qkv = tf.zeros([4, 24]) as tf.Tensor2D;
      expect(attendOnHeap(qkv, { batch: 1, length: 4, heads: 2, mask: () => maskOf(4, undefined, 0) })).toBeNull();
      qkv.dispose();
    } finally {
      await useBackend("wasm");
    }
  });
});
