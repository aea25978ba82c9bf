/** The host KV cache's attention loops (kvcache.ts) as a tiny WebAssembly SIMD module assembled from bytes. */
/**
 * The two loops of single-query attention as a WebAssembly SIMD module (f32x4), assembled here from
 * bytes: no toolchain, 350 bytes. Pointers are byte offsets into the imported memory; hd % 4 == 0.
 *   dots(q, k, out, n, hd):  out[j] = q · k[j·hd : (j+1)·hd]        for j < n
 *   axpys(p, v, out, n, hd): out[d] = Σ_j p[j] · v[j·hd + d]         for d < hd
 */
export interface AttentionKernels {
  dots(q: number, k: number, out: number, n: number, hd: number): void;
  axpys(p: number, v: number, out: number, n: number, hd: number): void;
}

let _kernelModule: WebAssembly.Module | undefined; // compiled once per process; a constant, not state

export function _attentionKernels(memory: WebAssembly.Memory): AttentionKernels {
  _kernelModule ??= new WebAssembly.Module(_kernelBytes());
  return new WebAssembly.Instance(_kernelModule, { m: { mem: memory } }).exports as unknown as AttentionKernels;
}

function _kernelBytes(): Uint8Array<ArrayBuffer> {
  const uleb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...uleb(n >>> 7)]);
  const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
  const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  const [I32, V128] = [0x7f, 0x7b];
  const get = (i: number) => [0x20, i];
  const set = (i: number) => [0x21, i];
  const i32 = (n: number) => [0x41, n]; // small non-negative constants only
  const [ADD, SHL, GE_U, F32_ADD] = [[0x6a], [0x74], [0x4f], [0x92]];
  const simd = (op: number) => [0xfd, ...uleb(op)];
  const [LOAD, STORE] = [
    [...simd(0), 4, 0],
    [...simd(11), 4, 0],
  ];
  const ZERO = [...simd(12), ...new Array<number>(16).fill(0)];
  const [SPLAT, F4_ADD, F4_MUL] = [simd(19), simd(228), simd(230)];
  const lane = (l: number) => [...get(7), ...simd(31), l];
  const [F32_LOAD, F32_STORE] = [
    [0x2a, 2, 0],
    [0x38, 2, 0],
  ];
  const [BLOCK, LOOP, END] = [[0x02, 0x40], [0x03, 0x40], [0x0b]];
  const at = (base: number, index: number) => [...get(base), ...get(index), ...i32(2), ...SHL, ...ADD]; // base + 4·index
  const step = (local: number, by: number[]) => [...get(local), ...by, ...ADD, ...set(local)];
  const whileLess = (i: number, n: number, body: number[]) => [
    ...BLOCK,
    ...LOOP,
    ...get(i),
    ...get(n),
    ...GE_U,
    0x0d,
    1,
    ...body,
    0x0c,
    0,
    ...END,
    ...END,
  ];
  // params: 0..4 = (a, b, out, n, hd); locals: 5 = j, 6 = d, 7 = acc (v128), 8 = row pointer
  const dots = whileLess(5, 3, [
    ...ZERO,
    ...set(7),
    ...i32(0),
    ...set(6),
    ...whileLess(6, 4, [...get(7), ...at(0, 6), ...LOAD, ...at(1, 6), ...LOAD, ...F4_MUL, ...F4_ADD, ...set(7), ...step(6, i32(4))]),
    ...at(2, 5),
    ...lane(0),
    ...lane(1),
    ...F32_ADD,
    ...lane(2),
    ...F32_ADD,
    ...lane(3),
    ...F32_ADD,
    ...F32_STORE,
    ...step(1, [...get(4), ...i32(2), ...SHL]),
    ...step(5, i32(1)),
  ]);
  const axpys = whileLess(6, 4, [
    ...ZERO,
    ...set(7),
    ...at(1, 6),
    ...set(8),
    ...i32(0),
    ...set(5),
    ...whileLess(5, 3, [
      ...get(7),
      ...at(0, 5),
      ...F32_LOAD,
      ...SPLAT,
      ...get(8),
      ...LOAD,
      ...F4_MUL,
      ...F4_ADD,
      ...set(7),
      ...step(8, [...get(4), ...i32(2), ...SHL]),
      ...step(5, i32(1)),
    ]),
    ...at(2, 6),
    ...get(7),
    ...STORE,
    ...step(6, i32(4)),
  ]);
  const code = (body: number[]) => {
    const fn = [
      ...vec([
        [2, I32],
        [1, V128],
        [1, I32],
      ]),
      ...body,
      ...END,
    ];
    return [...uleb(fn.length), ...fn];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), 0]])), // one type: (i32 ×5) -> ()
    ...section(2, vec([[...name("m"), ...name("mem"), 0x02, 0x00, 0x00]])), // import memory m.mem
    ...section(3, vec([[0], [0]])),
    ...section(
      7,
      vec([
        [...name("dots"), 0x00, 0],
        [...name("axpys"), 0x00, 1],
      ]),
    ),
    ...section(10, vec([code(dots), code(axpys)])),
  ]);
}
