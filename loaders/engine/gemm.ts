/**
 * Matrix products for training on the wasm backend, in the engine's own SIMD kernel: the same bits as
 * tfjs-wasm's matMul (XNNPACK), ≈1.4× its speed on the shapes of sizes S and M here.
 *
 * Why it is faster: XNNPACK's wasm kernel keeps a 4×8 block of outputs in 8 vector registers; with its
 * operands that is 15 of x64's 16, and V8 then shuffles registers every step of the loop. Three rows
 * by eight columns (6 accumulators) leave V8 room, and the right operand is packed first into panels
 * of eight columns, so every step reads 32 contiguous bytes of it (unpacked, a step jumps a whole row).
 * Long sums are cut into blocks of KC steps whose panel stays in L1; a block resumes from the outputs
 * the previous one stored, so nothing changes in the order of the adds.
 *
 * Why the bits are the same: every output starts at its bias (or 0) and adds a[i, k]·b[k, j] for k in
 * order, each product rounded to float32 before the add — what XNNPACK's f32 GEMM does with the bias
 * packed before the weights (test/engine/gemm.test.ts checks it against tf.matMul and tf.fused.matMul).
 *
 *   pack(b, out, k, n):                b [k, n] -> panels of 8 columns (the last one 4 when n % 8 = 4)
 *   gemm(a, b, bias, out, m, k, n):    out [m, n] = bias + a [m, k] @ b (packed), bias 0 for none
 * Pointers are byte offsets into the backend's memory; n is a multiple of 4.
 */
import * as tf from "@tensorflow/tfjs";
import { wasmHeap, type WasmHeap } from "./wasmheap.js";
import {
  ADD,
  ELSE,
  END,
  EQZ,
  GE_U,
  GT_U,
  I32,
  IF,
  LT_U,
  MUL,
  SUB,
  V128,
  ZERO,
  bytesOf,
  get,
  i32,
  inc,
  load,
  loadSplat,
  madd,
  name,
  section,
  set,
  store,
  uleb,
  until,
  vec,
} from "./wasmasm.js";

export interface GemmKernels {
  pack(b: number, out: number, k: number, n: number): void;
  gemm(a: number, b: number, bias: number, out: number, m: number, k: number, n: number): void;
}

/** Rows of a in one block of outputs (×8 columns): 6 accumulators, 2 vectors of b, 1 of a. */
const MR = 3;
/** Steps of the sum per block: a panel of b is KC × 32 bytes, 16 kB, half of L1. */
const KC = 512;

/** A product run on the heap while a recording is on: its shape and wall time, packing included. */
export interface HeapMatmul {
  m: number;
  k: number;
  n: number;
  ms: number;
}

let _recording: HeapMatmul[] | undefined;

/** `fn`'s value and the products it ran on the heap, which tf.profile does not see (bench-gemm.ts). */
export function recordHeapMatmuls<T>(fn: () => T): { value: T; calls: HeapMatmul[] } {
  const outer = _recording;
  const calls: HeapMatmul[] = (_recording = []);
  try {
    return { value: fn(), calls };
  } finally {
    _recording = outer;
  }
}

let _module: WebAssembly.Module | undefined; // compiled once per process: constants, not state
const _kernels = new WeakMap<WasmHeap, GemmKernels>();

/** The kernels on a memory (test hook; matMulOnHeap is the engine's entry). */
export function _gemmKernels(memory: WebAssembly.Memory): GemmKernels {
  _module ??= new WebAssembly.Module(_gemmBytes());
  return new WebAssembly.Instance(_module, { m: { mem: memory } }).exports as unknown as GemmKernels;
}

/**
 * a @ b + bias for a [m, k], b [k, n], bias [n] (optional), float32 tensors in the wasm heap: a new tensor,
 * or null off the wasm backend or where n is not a multiple of 4 (the caller then runs tf.matMul).
 */
export function matMulOnHeap(a: tf.Tensor2D, b: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D | null {
  const [m, k] = a.shape;
  const [kb, n] = b.shape;
  if (k !== kb) throw new Error(`matMul of [${a.shape}] and [${b.shape}]: inner sizes differ`);
  if (bias && bias.size !== n) throw new Error(`matMul bias has ${bias.size} values for ${n} columns`);
  if (m === 0 || a.dtype !== "float32" || (bias && bias.dtype !== "float32")) return null;
  const start = _recording ? performance.now() : 0;
  const packed = packOnHeap(b);
  if (!packed) return null;
  const heap = wasmHeap()!; // packOnHeap found it
  try {
    const out = heap.empty([m, n]) as tf.Tensor2D;
    packed.run(heap.offset(a), m, bias ? heap.offset(bias) : 0, heap.offset(out));
    _recording?.push({ m, k, n, ms: performance.now() - start });
    return out;
  } finally {
    packed.dispose();
  }
}

/** b [k, n] packed once for many products a @ b + bias on the heap (hostlinear.ts's decoding steps). */
export interface PackedRight {
  /** out [m, n] = a [m, k] @ b + bias, operands given as byte offsets into the heap; bias 0 for none. */
  run(a: number, m: number, bias: number, out: number): void;
  /** Frees the packed copy (b itself is the caller's). */
  dispose(): void;
}

/** b packed on the heap, or null where matMulOnHeap would be (off wasm, n not a multiple of 4). */
export function packOnHeap(b: tf.Tensor2D): PackedRight | null {
  const heap = wasmHeap();
  const [k, n] = b.shape;
  if (!heap || n % 4 !== 0 || k === 0 || b.dtype !== "float32") return null;
  const kernels = _kernelsOn(heap);
  const packed = heap.malloc(4 * k * n);
  kernels.pack(heap.offset(b), packed, k, n);
  return {
    run: (a, m, bias, out) => kernels.gemm(a, packed, bias, out, m, k, n),
    dispose: () => heap.free(packed),
  };
}

function _kernelsOn(heap: WasmHeap): GemmKernels {
  let kernels = _kernels.get(heap);
  if (!kernels) _kernels.set(heap, (kernels = _gemmKernels(heap.memory)));
  return kernels;
}

// --- the module ------------------------------------------------------------------------------------

/** panel(2) for every 8 columns (local j: their byte offset, from its value on; nb: a row's bytes), then panel(1) for 4 left over. */
function _overPanels(j: number, nb: number, panel: (vectors: number) => number[]): number[] {
  return [
    ...until([...get(j), ...i32(32), ...ADD, ...get(nb), ...GT_U], [...panel(2), ...inc(j, i32(32))]),
    ...get(j),
    ...get(nb),
    ...LT_U,
    ...IF,
    ...panel(1),
    ...END,
  ];
}

/** pack: params (b, out, k, n); copies each panel's rows one after another. */
function _pack(): { locals: number[][]; body: number[] } {
  const [B, OUT, K, N] = [0, 1, 2, 3];
  const [NB, J, SRC, DST, SEND] = [4, 5, 6, 7, 8];
  const panel = (vectors: number) => [
    ...get(B),
    ...get(J),
    ...ADD,
    ...set(SRC),
    ...get(SRC),
    ...get(K),
    ...get(NB),
    ...MUL,
    ...ADD,
    ...set(SEND),
    ...until(
      [...get(SRC), ...get(SEND), ...GE_U],
      [
        ...Array.from({ length: vectors }, (_, v) => [...get(DST), ...get(SRC), ...load(16 * v), ...store(16 * v)]).flat(),
        ...inc(SRC, get(NB)),
        ...inc(DST, i32(16 * vectors)),
      ],
    ),
  ];
  const body = [...bytesOf(N, NB), ...get(OUT), ...set(DST), ..._overPanels(J, NB, panel)];
  return { locals: [[5, I32]], body };
}

/** gemm: params (a, b, bias, out, m, k, n); blocks of KC steps, in each panels of 8 (or 4) columns, in each MR rows at a time. */
function _gemm(): { locals: number[][]; body: number[] } {
  const [A, B, BIAS, OUT, M, K] = [0, 1, 2, 3, 4, 5];
  const N = 6;
  const [KB, NB, J, I, PB, PEND, K0, KEND, PA] = [7, 8, 9, 10, 11, 12, 13, 14, 15]; // i32: bytes; PA..PA+MR-1 the rows of a
  const ACC = PA + MR; // v128: MR × 2 accumulators, then b's two vectors and a's splatted value
  const [B0, AV] = [ACC + 2 * MR, ACC + 2 * MR + 2];
  const acc = (r: number, v: number) => ACC + 2 * r + v;
  /** out row r of the block, column J: a byte offset. */
  const outAt = (r: number) => [...get(OUT), ...get(I), ...i32(r), ...ADD, ...get(NB), ...MUL, ...ADD, ...get(J), ...ADD];
  const tile = (rows: number, vectors: number) => {
    const each = (f: (r: number, v: number) => number[]) =>
      Array.from({ length: rows }, (_, r) => Array.from({ length: vectors }, (_, v) => f(r, v)).flat()).flat();
    return [
      // start: the bias (or 0) in the first block, the stored partial sums after it
      ...get(K0),
      ...EQZ,
      ...IF,
      ...get(BIAS),
      ...EQZ,
      ...IF,
      ...each((r, v) => [...ZERO, ...set(acc(r, v))]),
      ...ELSE,
      ...each((r, v) => [...get(BIAS), ...get(J), ...ADD, ...load(16 * v), ...set(acc(r, v))]),
      ...END,
      ...ELSE,
      ...each((r, v) => [...outAt(r), ...load(16 * v), ...set(acc(r, v))]),
      ...END,
      ...Array.from({ length: rows }, (_, r) => [
        ...get(A),
        ...get(I),
        ...i32(r),
        ...ADD,
        ...get(KB),
        ...MUL,
        ...ADD,
        ...get(K0),
        ...ADD,
        ...set(PA + r),
      ]).flat(),
      ...[...get(B), ...get(J), ...get(K), ...MUL, ...ADD, ...get(K0), ...i32(4 * vectors), ...MUL, ...ADD, ...set(PB)],
      ...[...get(PA), ...get(KEND), ...get(K0), ...SUB, ...ADD, ...set(PEND)],
      ...until(
        [...get(PA), ...get(PEND), ...GE_U],
        [
          ...Array.from({ length: vectors }, (_, v) => [...get(PB), ...load(16 * v), ...set(B0 + v)]).flat(),
          ...Array.from({ length: rows }, (_, r) => [
            ...get(PA + r),
            ...loadSplat(0),
            ...set(AV),
            ...Array.from({ length: vectors }, (_, v) => madd(acc(r, v), get(AV), get(B0 + v))).flat(),
          ]).flat(),
          ...Array.from({ length: rows }, (_, r) => inc(PA + r, i32(4))).flat(),
          ...inc(PB, i32(16 * vectors)),
        ],
      ),
      ...each((r, v) => [...outAt(r), ...get(acc(r, v)), ...store(16 * v)]),
    ];
  };
  const left = (rows: number) => [...get(M), ...get(I), ...SUB, ...i32(rows), ...GE_U]; // m − I ≥ rows
  const panel = (vectors: number) => [
    ...i32(0),
    ...set(I),
    ...until([...get(I), ...i32(MR), ...ADD, ...get(M), ...GT_U], [...tile(MR, vectors), ...inc(I, i32(MR))]),
    ...Array.from({ length: MR - 1 }, (_, s) => MR - 1 - s).flatMap((rows) => [
      ...left(rows),
      ...IF,
      ...tile(rows, vectors),
      ...inc(I, i32(rows)),
      ...END,
    ]),
  ];
  const body = [
    ...bytesOf(K, KB),
    ...bytesOf(N, NB),
    ...until(
      [...get(K0), ...get(KB), ...GE_U],
      [
        // KEND = min(K0 + 4·KC, KB)
        ...get(K0),
        ...i32(4 * KC),
        ...ADD,
        ...set(KEND),
        ...get(KEND),
        ...get(KB),
        ...GT_U,
        ...IF,
        ...get(KB),
        ...set(KEND),
        ...END,
        ...i32(0),
        ...set(J),
        ..._overPanels(J, NB, panel),
        ...get(KEND),
        ...set(K0),
      ],
    ),
  ];
  return {
    locals: [
      [8 + MR, I32],
      [2 * MR + 3, V128],
    ],
    body,
  };
}

function _gemmBytes(): Uint8Array<ArrayBuffer> {
  const code = ({ locals, body }: { locals: number[][]; body: number[] }) => {
    const fn = [...vec(locals), ...body, ...END];
    return [...uleb(fn.length), ...fn];
  };
  const params = (count: number) => [0x60, ...vec(new Array<number[]>(count).fill([I32])), 0];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([params(4), params(7)])),
    ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, 0x00]])), // import memory m.mem
    ...section(3, vec([[0], [1]])),
    ...section(
      7,
      vec([
        [...name("pack"), 0x00, 0],
        [...name("gemm"), 0x00, 1],
      ]),
    ),
    ...section(10, vec([code(_pack()), code(_gemm())])),
  ]);
}
