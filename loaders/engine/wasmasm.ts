/**
 * A few WebAssembly instructions as bytes, for the engine's kernels assembled at run time (kvkernels.ts,
 * gemm.ts): no toolchain, modules of a few kB. Locals and params are numbered as in the binary format;
 * `until` and the other control helpers take and give byte arrays to splice.
 */
export const uleb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >>> 7)]);
export const sleb = (n: number): number[] => (n >= -64 && n < 64 ? [n & 0x7f] : [(n & 0x7f) | 0x80, ...sleb(n >> 7)]);
export const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
export const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
export const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
export const [I32, F32, V128] = [0x7f, 0x7d, 0x7b];
export const get = (i: number) => [0x20, ...uleb(i)];
export const set = (i: number) => [0x21, ...uleb(i)];
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const [ADD, MUL, AND, SHL, GT_U, GE_U, GT_S, GE_S, F32_ADD] = [
  [0x6a],
  [0x6c],
  [0x71],
  [0x74],
  [0x4b],
  [0x4f],
  [0x4a],
  [0x4e],
  [0x92],
];
export const simd = (op: number) => [0xfd, ...uleb(op)];
export const load = (offset: number) => [...simd(0), 4, ...uleb(offset)]; // v128.load, align 16 (a hint), constant byte offset
export const store = (offset: number) => [...simd(11), 4, ...uleb(offset)];
export const loadSplat = (offset: number) => [...simd(9), 2, ...uleb(offset)]; // v128.load32_splat: one float in all four lanes
export const ZERO = [...simd(12), ...new Array<number>(16).fill(0)];
export const [SPLAT, F4_ADD, F4_SUB, F4_MUL] = [simd(19), simd(228), simd(229), simd(230)];
export const [F32_SUB, F32_MUL] = [[0x93], [0x94]];
export const [F32_LOAD, F32_STORE] = [
  [0x2a, 2],
  [0x38, 2],
]; // then a constant byte offset
export const [BLOCK, LOOP, END, BR_IF_OUT, BR_TOP, IF, ELSE] = [
  [0x02, 0x40],
  [0x03, 0x40],
  [0x0b],
  [0x0d, 1],
  [0x0c, 0],
  [0x04, 0x40],
  [0x05],
];
export const [EQZ, LT_U, SUB] = [[0x45], [0x49], [0x6b]];
/** local `to` = local `from` · 4: floats to bytes. */
export const bytesOf = (from: number, to: number) => [...get(from), ...i32(2), ...SHL, ...set(to)];
export const inc = (local: number, by: number[]) => [...get(local), ...by, ...ADD, ...set(local)];
/** while (!stop) body — `stop` leaves an i32 on the stack. */
export const until = (stop: number[], body: number[]) => [...BLOCK, ...LOOP, ...stop, ...BR_IF_OUT, ...body, ...BR_TOP, ...END, ...END];
/** acc = acc + a * b: the one update every output gets, in this order. */
export const madd = (acc: number, a: number[], b: number[]) => [...get(acc), ...a, ...b, ...F4_MUL, ...F4_ADD, ...set(acc)];
