/**
 * The loops of attention on the host (kvcache.ts's single-query decoding, heapattention.ts's per-head
 * forward) as a WebAssembly SIMD module (f32x4), assembled here from bytes for one width w (a multiple of
 * 4; the head size, or a row of scores): no toolchain, a few kB. Pointers are byte offsets into the
 * imported memory.
 *   dots(q, k, out, n, w):        out[j] = q · k[j·w : (j+1)·w]         for j < n
 *   axpys(p, v, out, n, stride):  out[c] = Σ_j p[j] · v[j·stride + c]   for c < w
 *   axpyw(p, v, out, n, stride, width): the same for c < width (a multiple of 4 given at run time)
 *   axpysc(p, v, out, n, stride, pstride): axpys with p[j] read at p + j·pstride (a column of a matrix)
 *   softgrad(dP, p, out, n):      out[j] = p[j] · (dP[j] − Σ_i dP[i]·p[i])   for j < n (softmax's backward)
 *   transpose(a, out, rows, cols): out = aᵀ for a [rows, cols], both multiples of 4
 *   adds(a, b, out, n):           out[i] = a[i] + b[i]                  for i < n
 * Every output is one chain of float32 adds in a fixed order (dots: over d, four lanes, then lanes
 * 0+1+2+3; axpys: over j, one rounded product at a time, as XNNPACK's matmul sums over k), so the results
 * do not depend on how many outputs run at once. For speed they run interleaved, which hides the adds'
 * latency: dots takes 4 keys per pass (its loop over d unrolled, with constant offsets), axpys 8 vectors
 * (32 values) of the output per pass over V; remainders one at a time.
 */
import {
  ADD,
  AND,
  END,
  F32,
  F32_ADD,
  F32_LOAD,
  F32_MUL,
  F32_STORE,
  F32_SUB,
  F4_ADD,
  F4_MUL,
  F4_SUB,
  GE_S,
  GE_U,
  GT_S,
  GT_U,
  I32,
  IF,
  MUL,
  SHL,
  SPLAT,
  V128,
  ZERO,
  bytesOf,
  get,
  i32,
  inc,
  load,
  madd,
  name,
  section,
  set,
  simd,
  store,
  uleb,
  until,
  vec,
} from "./wasmasm.js";

export interface AttentionKernels {
  dots(q: number, k: number, out: number, n: number, hd: number): void;
  axpys(p: number, v: number, out: number, n: number, stride: number): void;
  adds(a: number, b: number, out: number, n: number): void;
  axpyw(p: number, v: number, out: number, n: number, stride: number, width: number): void;
  axpysc(p: number, v: number, out: number, n: number, stride: number, pstride: number): void;
  softgrad(dP: number, p: number, out: number, n: number, unused: number): void;
  transpose(a: number, out: number, rows: number, cols: number, unused: number): void;
}

const _modules = new Map<number, WebAssembly.Module>(); // compiled once per head size and process; constants, not state

/** The kernels for width `hd` (a multiple of 4) on `memory`. */
export function _attentionKernels(memory: WebAssembly.Memory, hd: number): AttentionKernels {
  if (!Number.isInteger(hd) || hd <= 0 || hd % 4 !== 0)
    throw new Error(`attention kernels need a width that is a multiple of 4, got ${hd}`);
  let module = _modules.get(hd);
  if (!module) _modules.set(hd, (module = new WebAssembly.Module(_kernelBytes(hd))));
  return new WebAssembly.Instance(module, { m: { mem: memory } }).exports as unknown as AttentionKernels;
}

/** Outputs per pass: keys in dots, vectors of 4 values in axpys (8 accumulators + 2 temporaries fit x64's 16 vector registers). */
const KEYS = 4;
const VECTORS = 8;

/** (l0 + l1) + l2) + l3 of a v128 local. */
const lanes = (v: number) => [0, 1, 2, 3].flatMap((l) => [...get(v), ...simd(31), l, ...(l > 0 ? F32_ADD : [])]);

// params of every function: 0..4 = (a, b, out, n, and dots: hd, which is the module's own and not read; axpys: V's row stride)
const [A, B, OUT, N] = [0, 1, 2, 3];

/** dots for keys of `hd` values: KEYS keys per pass, each key's loop over d unrolled with constant offsets. */
function _dots(hd: number): { locals: number[][]; body: number[] } {
  const row = 4 * hd; // bytes of one key
  const [J, Q, ACC] = [5, 6, 7]; // i32 j; v128: q's chunk, then one accumulator per key
  const pass = (keys: number) => [
    ...Array.from({ length: keys }, (_, c) => [...ZERO, ...set(ACC + c)]).flat(),
    ...Array.from({ length: hd / 4 }, (_, i) => [
      ...get(A),
      ...load(16 * i),
      ...set(Q),
      ...Array.from({ length: keys }, (_, c) => madd(ACC + c, get(Q), [...get(B), ...load(c * row + 16 * i)])).flat(),
    ]).flat(),
    ...Array.from({ length: keys }, (_, c) => [...get(OUT), ...lanes(ACC + c), ...F32_STORE, ...uleb(4 * c)]).flat(),
    ...inc(OUT, i32(4 * keys)),
    ...inc(B, i32(row * keys)),
    ...inc(J, i32(keys)),
  ];
  const body = [
    ...until([...get(J), ...i32(KEYS), ...ADD, ...get(N), ...GT_U], pass(KEYS)),
    ...until([...get(J), ...get(N), ...GE_U], pass(1)),
  ];
  return {
    locals: [
      [1, I32],
      [KEYS + 1, V128],
    ],
    body,
  };
}

/** Locals of one axpy pass: the i32s pp, pend, vp (into V), row (V's row bytes), the step of pp, the
 * V and output bases, and the v128s p (the splatted p[j]) and the first accumulator. */
interface AxpyLocals {
  pp: number;
  pend: number;
  vp: number;
  row: number;
  step: number[]; // pushes the bytes from one coefficient to the next
  vBase: number;
  outBase: number;
  p: number;
  acc: number;
}

/** One pass of an axpy kernel: `count` output vectors from vector `from` on, summed over j in order. */
function _axpyPass(l: AxpyLocals, from: number, count: number): number[] {
  return [
    ...Array.from({ length: count }, (_, c) => [...ZERO, ...set(l.acc + c)]).flat(),
    ...get(A),
    ...set(l.pp),
    ...get(l.vBase),
    ...set(l.vp),
    ...until(
      [...get(l.pp), ...get(l.pend), ...GE_U],
      [
        ...get(l.pp),
        ...F32_LOAD,
        0,
        ...SPLAT,
        ...set(l.p),
        ...Array.from({ length: count }, (_, c) => madd(l.acc + c, get(l.p), [...get(l.vp), ...load(16 * (from + c))])).flat(),
        ...inc(l.vp, get(l.row)),
        ...inc(l.pp, l.step),
      ],
    ),
    ...Array.from({ length: count }, (_, c) => [...get(l.outBase), ...get(l.acc + c), ...store(16 * (from + c))]).flat(),
  ];
}

/**
 * axpys for outputs of `width` values: one pass over the n rows of V per group of up to VECTORS output
 * vectors. With `strided`, a sixth argument spaces the coefficients p (floats from one to the next: a
 * column of a matrix), as axpysc.
 */
function _axpys(width: number, strided = false): { locals: number[][]; body: number[] } {
  const [STRIDE, PSTRIDE] = [4, 5]; // floats from one row of V to the next; (axpysc) from one coefficient to the next
  const at = strided ? 6 : 5; // the first local
  const [PP, PEND, VP, ROW, PSTEP, P, ACC] = [at, at + 1, at + 2, at + 3, at + 4, at + 5, at + 6]; // i32 pp, pend, vp, row bytes, p step; v128: the splatted p[j], then the accumulators
  const locals: AxpyLocals = { pp: PP, pend: PEND, vp: VP, row: ROW, step: get(PSTEP), vBase: B, outBase: OUT, p: P, acc: ACC };
  const pass = (from: number, count: number) => _axpyPass(locals, from, count);
  const vectors = width / 4;
  const groups = Array.from({ length: Math.ceil(vectors / VECTORS) }, (_, g) =>
    pass(g * VECTORS, Math.min(VECTORS, vectors - g * VECTORS)),
  );
  const body = [
    ...(strided ? [...get(PSTRIDE), ...i32(2), ...SHL] : i32(4)),
    ...set(PSTEP),
    ...get(A),
    ...get(N),
    ...get(PSTEP),
    ...MUL,
    ...ADD,
    ...set(PEND),
    ...bytesOf(STRIDE, ROW),
    ...groups.flat(),
  ];
  return {
    locals: [
      [5, I32],
      [VECTORS + 1, V128],
    ],
    body,
  };
}

/**
 * axpyw: axpys with the output's width (floats, a multiple of 4) an argument: passes of VECTORS output
 * vectors while they fill, then one pass of 4, 2 and 1 vectors for the rest. Same order of adds per output.
 */
function _axpyw(): { locals: number[][]; body: number[] } {
  const [STRIDE, WIDTH] = [4, 5]; // floats from one row of V to the next; floats of output left
  const [PP, PEND, VP, ROW, VB, OB, P, ACC] = [6, 7, 8, 9, 10, 11, 12, 13]; // i32s; v128: the splatted p[j], the accumulators
  const locals: AxpyLocals = { pp: PP, pend: PEND, vp: VP, row: ROW, step: i32(4), vBase: VB, outBase: OB, p: P, acc: ACC };
  const pass = (count: number) => [
    ..._axpyPass(locals, 0, count),
    ...inc(VB, i32(16 * count)),
    ...inc(OB, i32(16 * count)),
    ...inc(WIDTH, i32(-4 * count)),
  ];
  const body = [
    ...get(A),
    ...get(N),
    ...i32(2),
    ...SHL,
    ...ADD,
    ...set(PEND),
    ...bytesOf(STRIDE, ROW),
    ...get(B),
    ...set(VB),
    ...get(OUT),
    ...set(OB),
    ...until([...i32(4 * VECTORS - 1), ...get(WIDTH), ...GE_S], pass(VECTORS)),
    ...[4, 2, 1].flatMap((count) => [...get(WIDTH), ...i32(4 * count - 1), ...GT_S, ...IF, ...pass(count), ...END]),
  ];
  return {
    locals: [
      [6, I32],
      [VECTORS + 1, V128],
    ],
    body,
  };
}

/**
 * softgrad: softmax's backward on one row, dS = p ⊙ (dP − r) with r = Σ_j dP[j]·p[j] summed in order (as
 * tf.sum of tf.mul does on wasm), a = dP, b = p, for j < n; the subtraction and product four at a time.
 */
function _softgrad(): { locals: number[][]; body: number[] } {
  const [J, END4, END, R, RV] = [5, 6, 7, 8, 9]; // i32 byte offsets; f32 r; v128 r splatted
  const at = (p: number) => [...get(p), ...get(J), ...ADD];
  const body = [
    ...get(N),
    ...i32(2),
    ...SHL,
    ...set(END),
    ...until(
      [...get(J), ...get(END), ...GE_U],
      [...get(R), ...at(A), ...F32_LOAD, 0, ...at(B), ...F32_LOAD, 0, ...F32_MUL, ...F32_ADD, ...set(R), ...inc(J, i32(4))],
    ),
    ...get(R),
    ...SPLAT,
    ...set(RV),
    ...get(END),
    ...i32(-16),
    ...AND,
    ...set(END4),
    ...i32(0),
    ...set(J),
    ...until(
      [...get(J), ...get(END4), ...GE_U],
      [...at(OUT), ...at(B), ...load(0), ...at(A), ...load(0), ...get(RV), ...F4_SUB, ...F4_MUL, ...store(0), ...inc(J, i32(16))],
    ),
    ...until(
      [...get(J), ...get(END), ...GE_U],
      [
        ...at(OUT),
        ...at(B),
        ...F32_LOAD,
        0,
        ...at(A),
        ...F32_LOAD,
        0,
        ...get(R),
        ...F32_SUB,
        ...F32_MUL,
        ...F32_STORE,
        0,
        ...inc(J, i32(4)),
      ],
    ),
  ];
  return {
    locals: [
      [3, I32],
      [1, F32],
      [1, V128],
    ],
    body,
  };
}

/**
 * transpose: out [cols, rows] = aᵀ for a [rows, cols], both multiples of 4 (params: a, out, rows, cols):
 * 4×4 blocks, four rows loaded, shuffled and stored as four columns. Copies values, no arithmetic.
 */
function _transpose(): { locals: number[][]; body: number[] } {
  const [SRC, DST, ROWS, COLS] = [0, 1, 2, 3];
  const [ROWB, COLB, END, SROW, DCOL, SP, DP, SEND, R, T] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 17]; // i32s; v128 r0..r3, t0..t3
  const shuffle = (lanes: number[]) => [...simd(13), ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3])];
  const [LO, HI] = [shuffle([0, 4, 1, 5]), shuffle([2, 6, 3, 7])]; // interleave the low / high halves of two vectors
  const [LO2, HI2] = [shuffle([0, 1, 4, 5]), shuffle([2, 3, 6, 7])];
  const at = (base: number, bytes: number, times: number) =>
    times === 0 ? get(base) : [...get(base), ...get(bytes), ...i32(times), ...MUL, ...ADD];
  const body = [
    ...bytesOf(COLS, ROWB),
    ...bytesOf(ROWS, COLB),
    ...get(SRC),
    ...get(ROWS),
    ...get(ROWB),
    ...MUL,
    ...ADD,
    ...set(END),
    ...get(SRC),
    ...set(SROW),
    ...get(DST),
    ...set(DCOL),
    ...until(
      [...get(SROW), ...get(END), ...GE_U],
      [
        ...get(SROW),
        ...set(SP),
        ...get(DCOL),
        ...set(DP),
        ...get(SROW),
        ...get(ROWB),
        ...ADD,
        ...set(SEND),
        ...until(
          [...get(SP), ...get(SEND), ...GE_U],
          [
            ...[0, 1, 2, 3].flatMap((k) => [...at(SP, ROWB, k), ...load(0), ...set(R + k)]),
            ...[...get(R), ...get(R + 1), ...LO, ...set(T)], // a0 b0 a1 b1
            ...[...get(R), ...get(R + 1), ...HI, ...set(T + 1)], // a2 b2 a3 b3
            ...[...get(R + 2), ...get(R + 3), ...LO, ...set(T + 2)], // c0 d0 c1 d1
            ...[...get(R + 2), ...get(R + 3), ...HI, ...set(T + 3)], // c2 d2 c3 d3
            ...[...at(DP, COLB, 0), ...get(T), ...get(T + 2), ...LO2, ...store(0)],
            ...[...at(DP, COLB, 1), ...get(T), ...get(T + 2), ...HI2, ...store(0)],
            ...[...at(DP, COLB, 2), ...get(T + 1), ...get(T + 3), ...LO2, ...store(0)],
            ...[...at(DP, COLB, 3), ...get(T + 1), ...get(T + 3), ...HI2, ...store(0)],
            ...inc(SP, i32(16)),
            ...get(DP),
            ...get(COLB),
            ...i32(2),
            ...SHL,
            ...ADD,
            ...set(DP),
          ],
        ),
        ...get(SROW),
        ...get(ROWB),
        ...i32(2),
        ...SHL,
        ...ADD,
        ...set(SROW),
        ...inc(DCOL, i32(16)),
      ],
    ),
  ];
  return {
    locals: [
      [8, I32],
      [8, V128],
    ],
    body,
  };
}

/** adds: out[i] = a[i] + b[i] for i < n, four at a time, then one at a time. */
function _adds(): { locals: number[][]; body: number[] } {
  const [I, END4, END] = [5, 6, 7]; // byte offsets
  const at = (p: number) => [...get(p), ...get(I), ...ADD];
  const body = [
    ...get(N),
    ...i32(2),
    ...SHL,
    ...set(END),
    ...get(END),
    ...i32(-16),
    ...AND,
    ...set(END4),
    ...until(
      [...get(I), ...get(END4), ...GE_U],
      [...at(OUT), ...at(A), ...load(0), ...at(B), ...load(0), ...F4_ADD, ...store(0), ...inc(I, i32(16))],
    ),
    ...until(
      [...get(I), ...get(END), ...GE_U],
      [...at(OUT), ...at(A), ...F32_LOAD, 0, ...at(B), ...F32_LOAD, 0, ...F32_ADD, ...F32_STORE, 0, ...inc(I, i32(4))],
    ),
  ];
  return { locals: [[3, I32]], body };
}

function _kernelBytes(hd: number): Uint8Array<ArrayBuffer> {
  const code = ({ locals, body }: { locals: number[][]; body: number[] }) => {
    const fn = [...vec(locals), ...body, ...END];
    return [...uleb(fn.length), ...fn];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(
      1,
      vec([
        [0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0], // (i32 ×5) -> ()
        [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), 0], // (i32 ×6) -> ()
      ]),
    ),
    ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, 0x00]])), // import memory m.mem
    ...section(3, vec([[0], [0], [0], [1], [1], [0], [0]])),
    ...section(
      7,
      vec([
        [...name("dots"), 0x00, 0],
        [...name("axpys"), 0x00, 1],
        [...name("adds"), 0x00, 2],
        [...name("axpyw"), 0x00, 3],
        [...name("axpysc"), 0x00, 4],
        [...name("softgrad"), 0x00, 5],
        [...name("transpose"), 0x00, 6],
      ]),
    ),
    ...section(
      10,
      vec([
        code(_dots(hd)),
        code(_axpys(hd)),
        code(_adds()),
        code(_axpyw()),
        code(_axpys(hd, true)),
        code(_softgrad()),
        code(_transpose()),
      ]),
    ),
  ]);
}
