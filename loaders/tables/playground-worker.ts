/**
 * The Playground's Web Worker (bundled for the browser by playground-bundle.ts): loads the published
 * Aligner on TensorFlow.js's wasm backend (the .wasm binaries come from the site), or on WebGPU when the
 * page asks for it and the browser has it (else wasm, saying why), then corrects what the page sends,
 * streaming each decoded token. Decoding is synchronous here, so the page stops a
 * correction by terminating the worker.
 *
 * Messages in:  {type: "load", urls: {config, model, tokenizer, items, wasm, wasmSimd}, backend?: "wasm" | "webgpu"}
 *               {type: "correct", request: CorrectRequest}
 * Messages out: {type: "loaded", backend, simd, threads, params, bytes, ms, fallback}
 *               {type: "token", n, text, ms}
 *               {type: "done", result: CorrectResult, ttftMs, tokensPerS, ms, backend}
 *               {type: "error", message}
 */
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
// Registers the "webgpu" backend, only where the browser exposes navigator.gpu (checked at import).
import "@tensorflow/tfjs-backend-webgpu";
import { correctOne, loadPlayground, type CorrectRequest, type Playground, type PlaygroundItem } from "./playground-core.js";

export interface PlaygroundUrls {
  config: string;
  model: string;
  tokenizer: string;
  items: string;
  wasm: string;
  wasmSimd: string;
}

interface WorkerScope {
  postMessage(message: unknown): void;
  onmessage: ((event: { data: { type: string; urls?: PlaygroundUrls; backend?: string; request?: CorrectRequest } }) => void) | null;
}
const scope = globalThis as unknown as WorkerScope;

let loaded: { playground: Playground; items: PlaygroundItem[] } | null = null;

async function _fetch(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/** WebGPU, or why not: null once it started, else the reason (the caller then starts wasm). */
async function _startWebGpu(): Promise<string | null> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
  if (!gpu || !tf.findBackendFactory("webgpu")) return "this browser has no WebGPU (navigator.gpu); running on wasm";
  if (!(await gpu.requestAdapter().catch(() => null))) return "this browser found no WebGPU adapter; running on wasm";
  return (await tf.setBackend("webgpu").catch(() => false)) ? null : "the tfjs webgpu backend failed to start; running on wasm";
}

async function _load(urls: PlaygroundUrls, wanted = "wasm"): Promise<void> {
  const started = performance.now();
  // The single-threaded SIMD binary, as the Node engine runs (threads need a cross-origin-isolated page).
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  // setWasmPaths wants every binary named; the threaded one is never loaded with multithreading off.
  setWasmPaths({
    "tfjs-backend-wasm.wasm": urls.wasm,
    "tfjs-backend-wasm-simd.wasm": urls.wasmSimd,
    "tfjs-backend-wasm-threaded-simd.wasm": urls.wasmSimd,
  });
  const fallback = wanted === "webgpu" ? await _startWebGpu() : null;
  if (tf.getBackend() !== "webgpu" && !(await tf.setBackend("wasm"))) throw new Error("the tfjs wasm backend failed to start");
  await tf.ready();
  const [config, weights, tokenizer, items] = await Promise.all([
    _fetch(urls.config).then((r) => r.json() as Promise<Record<string, unknown>>),
    _fetch(urls.model).then(async (r) => new Uint8Array(await r.arrayBuffer())),
    _fetch(urls.tokenizer).then((r) => r.json() as Promise<unknown>),
    _fetch(urls.items).then((r) => r.json() as Promise<PlaygroundItem[]>),
  ]);
  loaded = { playground: loadPlayground(config, weights, tokenizer), items };
  const backend = tf.getBackend();
  scope.postMessage({
    type: "loaded",
    backend,
    simd: backend === "wasm" && Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
    threads: backend === "wasm" ? getThreadsCount() : 1,
    fallback,
    params: loaded.playground.params,
    bytes: weights.byteLength,
    ms: performance.now() - started,
  });
}

function _correct(request: CorrectRequest): void {
  if (!loaded) throw new Error("the Aligner is not loaded yet");
  const { playground, items } = loaded;
  const ids: number[] = [];
  const started = performance.now();
  let first: number | null = null;
  let last = started;
  const result = correctOne(playground, request, items, (id) => {
    const now = performance.now();
    first ??= now;
    last = now;
    ids.push(id);
    scope.postMessage({ type: "token", n: ids.length, text: playground.tok.decode(ids), ms: now - started });
  });
  const ended = performance.now();
  const decodeS = first === null ? 0 : (last - first) / 1000;
  scope.postMessage({
    type: "done",
    result,
    ttftMs: first === null ? null : first - started,
    // Tokens after the first over the time after the first: the decode rate, prefill and the copy rule's scoring apart.
    tokensPerS: ids.length > 1 && decodeS > 0 ? (ids.length - 1) / decodeS : null,
    ms: ended - started,
    backend: tf.getBackend(),
  });
}

scope.onmessage = (event) => {
  const { type, urls, backend, request } = event.data;
  const work =
    type === "load" && urls ? _load(urls, backend) : type === "correct" && request ? Promise.resolve().then(() => _correct(request)) : null;
  if (!work) return scope.postMessage({ type: "error", message: `unknown message "${type}"` });
  work.catch((error: unknown) => scope.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) }));
};
