import { describe, expect, it } from "vitest";
import { _attentionKernels } from "../../loaders/engine/kvkernels.js";
import { createRng } from "../../loaders/engine/random.js";

const f = Math.fround;

/** dots as one loop: four lanes summed over d in order, then lanes 0 + 1 + 2 + 3. */
function dotsLoop(q: Float32Array, k: Float32Array, n: number, hd: number): Float32Array {
  return Float32Array.from({ length: n }, (_, j) => {
    const lanes = [0, 0, 0, 0];
    for (let d = 0; d < hd; d += 4) for (let l = 0; l < 4; l++) lanes[l] = f(lanes[l]! + f(q[d + l]! * k[j * hd + d + l]!));
    return f(f(f(lanes[0]! + lanes[1]!) + lanes[2]!) + lanes[3]!);
  });
}

/** axpys as one loop: each output summed over j in order. */
function axpysLoop(p: Float32Array, v: Float32Array, n: number, hd: number, stride: number): Float32Array {
  return Float32Array.from({ length: hd }, (_, d) => {
    let sum = 0;
    for (let j = 0; j < n; j++) sum = f(sum + f(p[j]! * v[j * stride + d]!));
    return sum;
  });
}

describe("attention kernels", () => {
  // The kernels interleave 4 keys (dots) and 8 output vectors (axpys) for speed; each output keeps its own
  // order of adds, so the decoded tokens of a committed study do not move. Sizes cover the remainders.
  it.each([4, 8, 12, 32, 36, 64, 132])("match one-at-a-time loops to the bit for heads of %i values", (hd) => {
    const memory = new WebAssembly.Memory({ initial: 8 });
    const heap = new Float32Array(memory.buffer);
    const { dots, axpys } = _attentionKernels(memory, hd);
    const rng = createRng(hd);
    const [qAt, kAt, pAt, outAt] = [0, 1024, 40000, 60000];
    for (const n of [0, 1, 3, 4, 5, 8, 9, 17, 64]) {
      for (let i = 0; i < 60000; i++) heap[i] = rng() * 2 - 1;
      heap.fill(NaN, outAt, outAt + 256);
      dots(4 * qAt, 4 * kAt, 4 * outAt, n, hd);
      const q = heap.slice(qAt, qAt + hd);
      const k = heap.slice(kAt, kAt + n * hd);
      expect(Array.from(heap.subarray(outAt, outAt + n + 1))).toEqual([...dotsLoop(q, k, n, hd), NaN]); // nothing past n written
      heap.fill(NaN, outAt, outAt + 256);
      axpys(4 * pAt, 4 * kAt, 4 * outAt, n, hd);
      const p = heap.slice(pAt, pAt + n);
      expect(Array.from(heap.subarray(outAt, outAt + hd + 1))).toEqual([...axpysLoop(p, k, n, hd, hd), NaN]);
      heap.fill(NaN, outAt, outAt + 256);
      axpys(4 * pAt, 4 * kAt, 4 * outAt, n, 3 * hd + 4); // rows of V further apart than the output is wide
      const strided = heap.slice(kAt, kAt + n * (3 * hd + 4));
      expect(Array.from(heap.subarray(outAt, outAt + hd + 1))).toEqual([...axpysLoop(p, strided, n, hd, 3 * hd + 4), NaN]);
    }
  });

  it.each([4, 32, 36, 64])("axpysc reads its coefficients a column apart, to the bit (width %i)", (hd) => {
    const memory = new WebAssembly.Memory({ initial: 8 });
    const heap = new Float32Array(memory.buffer);
    const { axpysc } = _attentionKernels(memory, hd);
    const rng = createRng(hd + 1);
    const [pAt, vAt, outAt] = [0, 20000, 60000];
    for (const n of [0, 1, 7, 9, 33]) {
      for (const pstride of [1, 5, 132]) {
        for (let i = 0; i < 60000; i++) heap[i] = rng() * 2 - 1;
        heap.fill(NaN, outAt, outAt + 256);
        axpysc(4 * pAt, 4 * vAt, 4 * outAt, n, hd + 4, pstride);
        const p = Float32Array.from({ length: n }, (_, j) => heap[pAt + j * pstride]!);
        const v = heap.slice(vAt, vAt + n * (hd + 4));
        expect(Array.from(heap.subarray(outAt, outAt + hd + 1))).toEqual([...axpysLoop(p, v, n, hd, hd + 4), NaN]);
      }
    }
  });

  it.each([0, 1, 3, 4, 5, 8, 13, 128])("softgrad: softmax's backward on a row of %i, its sum in order, to the bit", (n) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Float32Array(memory.buffer);
    const rng = createRng(n + 3);
    for (let i = 0; i < 400; i++) heap[i] = (rng() * 2 - 1) * 10 ** Math.floor(rng() * 6 - 3);
    heap.fill(NaN, 800, 1000);
    _attentionKernels(memory, 4).softgrad(0, 4 * 200, 4 * 800, n, 0);
    let r = 0;
    for (let j = 0; j < n; j++) r = f(r + f(heap[j]! * heap[200 + j]!));
    const want = Array.from({ length: n }, (_, j) => f(heap[200 + j]! * f(heap[j]! - r)));
    expect(Array.from(heap.subarray(800, 800 + n + 1))).toEqual([...want, NaN]);
  });

  it.each([
    [4, 4],
    [4, 8],
    [12, 20],
    [64, 36],
  ])("transpose: [%i, %i] four by four, every value where it belongs", (rows, cols) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Float32Array(memory.buffer);
    for (let i = 0; i < rows * cols; i++) heap[i] = i + 0.5;
    heap.fill(NaN, 4000, 4000 + rows * cols + 4);
    _attentionKernels(memory, 4).transpose(0, 4 * 4000, rows, cols, 0);
    const want = Array.from({ length: rows * cols }, (_, k) => heap[(k % rows) * cols + Math.floor(k / rows)]!);
    expect(Array.from(heap.subarray(4000, 4000 + rows * cols + 1))).toEqual([...want, NaN]);
  });

  it("axpyw: any width that is a multiple of 4 given at run time, to the bit", () => {
    const memory = new WebAssembly.Memory({ initial: 8 });
    const heap = new Float32Array(memory.buffer);
    const { axpyw } = _attentionKernels(memory, 4); // the module's own width does not matter
    const rng = createRng(7);
    const [pAt, vAt, outAt] = [0, 1024, 60000];
    for (const width of [4, 8, 12, 16, 28, 32, 36, 60, 64, 100, 128, 132]) {
      for (const n of [0, 1, 5, 32, 33]) {
        for (const stride of [width, width + 8]) {
          for (let i = 0; i < 60000; i++) heap[i] = rng() * 2 - 1;
          heap.fill(NaN, outAt, outAt + 256);
          axpyw(4 * pAt, 4 * vAt, 4 * outAt, n, stride, width);
          const p = heap.slice(pAt, pAt + n);
          const v = heap.slice(vAt, vAt + n * stride);
          expect(Array.from(heap.subarray(outAt, outAt + width + 1))).toEqual([...axpysLoop(p, v, n, width, stride), NaN]);
        }
      }
    }
  });

  it.each([0, 1, 3, 4, 7, 64, 129])("adds %i values four at a time with float32 rounding", (n) => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Float32Array(memory.buffer);
    const rng = createRng(n);
    for (let i = 0; i < 400; i++) heap[i] = (rng() * 2 - 1) * 10 ** Math.floor(rng() * 12 - 6);
    heap.fill(NaN, 800, 1000);
    _attentionKernels(memory, 4).adds(0, 4 * 200, 4 * 800, n);
    const want = Array.from({ length: n }, (_, i) => f(heap[i]! + heap[200 + i]!));
    expect(Array.from(heap.subarray(800, 800 + n + 1))).toEqual([...want, NaN]);
  });

  it("rejects a head size that is not a positive multiple of 4", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect(() => _attentionKernels(memory, 6)).toThrow("a width that is a multiple of 4, got 6");
    expect(() => _attentionKernels(memory, 0)).toThrow("a width that is a multiple of 4, got 0");
  });
});
