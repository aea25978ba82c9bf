/**
 * The wasm backend's heap, for readback.ts's views and the engine's own kernels (hostlinear.ts, heapattention.ts): its memory, its
 * allocator, where a tensor's values live and the backend's exported C kernels. This reads tfjs-backend-wasm
 * 4.22's internals (backend_wasm.js: `wasm` is the Emscripten module, `dataIdMap` maps a tensor to its id and
 * heap offset); where they are missing — another backend or version — wasmHeap() is null and callers run
 * tfjs ops instead.
 */
import * as tf from "@tensorflow/tfjs";
import { _attentionKernels, type AttentionKernels } from "./kvkernels.js";

/** What this file reads of the backend. */
interface WasmBackend {
  wasm?: {
    HEAPU8: Uint8Array;
    asm?: { memory?: WebAssembly.Memory };
    cwrap?: (name: string, returns: null, args: string[]) => (...args: number[]) => void;
    _malloc?: (bytes: number) => number;
    _free?: (pointer: number) => void;
  };
  dataIdMap?: { get(dataId: object): { id: number; memoryOffset?: number | null; dtype?: string } | undefined };
  makeOutput?: (shape: number[], dtype: "float32") => tf.TensorInfo;
}

export interface WasmHeap {
  memory: WebAssembly.Memory;
  /** The heap's bytes: take it again after anything that may allocate, since a growing memory replaces the buffer. */
  bytes(): Uint8Array;
  malloc(bytes: number): number;
  free(pointer: number): void;
  /** A float32 tensor of `shape` on the heap whose values are not set (for a kernel that writes every one). */
  empty(shape: number[]): tf.Tensor;
  /** Byte offset of a float32 tensor's values in the heap. */
  offset(t: tf.Tensor): number;
  /** The backend's id of a tensor, as its C kernels take it. */
  id(t: tf.Tensor): number;
  /** The engine's own SIMD kernels (kvkernels.ts) for width `width` on this heap, instantiated once per width. */
  kernels(width: number): AttentionKernels;
  /** One of the backend's exported C functions, every argument a number. */
  kernel(name: string, args: number): (...args: number[]) => void;
}

const _heaps = new WeakMap<object, WasmHeap>(); // per backend instance

/** The wasm backend's heap, or null when tfjs runs another backend or its internals are not as expected. */
export function wasmHeap(): WasmHeap | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.engine().backend as unknown as WasmBackend;
  const known = _heaps.get(backend);
  if (known) return known;
  const { wasm, dataIdMap } = backend;
  const memory = wasm?.asm?.memory;
  if (!wasm?.cwrap || !wasm._malloc || !wasm._free || !dataIdMap || !(memory instanceof WebAssembly.Memory) || !backend.makeOutput)
    return null;
  const makeOutput = backend.makeOutput.bind(backend);
  const kernels = new Map<number, AttentionKernels>();
  const entry = (t: tf.Tensor) => {
    const found = dataIdMap.get(t.dataId);
    if (!found) throw new Error("tensor is not on the wasm backend");
    return found;
  };
  const { cwrap, _malloc: malloc, _free: free } = wasm;
  const heap: WasmHeap = {
    memory,
    bytes: () => wasm.HEAPU8,
    malloc: (bytes) => malloc(bytes),
    free: (pointer) => free(pointer),
    empty: (shape) => tf.engine().makeTensorFromTensorInfo(makeOutput(shape, "float32")),
    offset(t) {
      const { memoryOffset, dtype } = entry(t);
      if (typeof memoryOffset !== "number" || dtype !== "float32") throw new Error("expected a float32 tensor in the wasm heap");
      return memoryOffset;
    },
    id: (t) => entry(t).id,
    kernel: (name, args) => cwrap(name, null, new Array<string>(args).fill("number")),
    kernels(width) {
      let found = kernels.get(width);
      if (!found) kernels.set(width, (found = _attentionKernels(memory, width)));
      return found;
    },
  };
  _heaps.set(backend, heap);
  return heap;
}
