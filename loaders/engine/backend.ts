/**
 * Pick the TensorFlow.js backend for this process and describe it for run records.
 *
 * "auto" tries, in order: @tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node (both optional dependencies,
 * imported dynamically so their absence is not an error), then wasm (SIMD), then the pure-JS cpu backend.
 * The wasm backend needs no setWasmPaths in Node: tfjs-backend-wasm's Node build reads its .wasm files
 * from its own dist folder.
 *
 * Threads: stock Node reports WASM_HAS_MULTITHREAD_SUPPORT=false (tfjs#3830), so the wasm backend runs the
 * SIMD single-threaded binary and getThreadsCount() is 1 (measured with tfjs 4.22 on Node 20). We record the real count.
 *
 * The "tensorflow" path (tfjs-node / tfjs-node-gpu) is untested here: this machine is offline, has no GPU,
 * and neither package is installed.
 */
import * as tf from "@tensorflow/tfjs";
import { createLogger } from "./log.js";

/** Where TensorFlow.js runs: "auto" takes the first that loads of tensorflow (native), wasm, cpu. */
export type BackendName = "auto" | "tensorflow" | "wasm" | "cpu";
/** What a run asks for. */
export type BackendRequest = BackendName;

export interface BackendInfo {
  backend: string; // tf.getBackend(): "tensorflow" | "wasm" | "cpu"
  threads: number; // wasm: getThreadsCount(); cpu: 1; tensorflow: intra-op threads are not reported (0)
  simd: boolean; // wasm SIMD binary in use
  versions: Record<string, string>; // tfjs, tfjs-backend-wasm / tfjs-node, node
  /** Threads that compute each training step's gradients (engine/dataparallel.ts), as recorded by a run. */
  workers?: number;
}

const log = createLogger("backend");
const REQUESTS: readonly BackendRequest[] = ["auto", "tensorflow", "wasm", "cpu"];

/** The backend request from env ALIGNER_BACKEND, else "auto". */
export function defaultBackendRequest(): BackendRequest {
  const asked = process.env.ALIGNER_BACKEND;
  if (asked === undefined || asked === "") return "auto";
  if (!(REQUESTS as readonly string[]).includes(asked)) {
    throw new Error(`ALIGNER_BACKEND=${asked} is not one of ${REQUESTS.join(", ")}`);
  }
  return asked as BackendRequest;
}

// Typed loosely on purpose: these packages are optional and may have no type declarations installed.
async function importOptional(name: string): Promise<Record<string, unknown> | undefined> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

async function tryTensorflow(): Promise<BackendInfo | undefined> {
  for (const name of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    const mod = await importOptional(name);
    if (!mod) continue;
    if (!(await tf.setBackend("tensorflow"))) continue;
    await tf.ready();
    const version = (mod.version as Record<string, string> | undefined)?.["tfjs-node"] ?? "unknown";
    return { backend: "tensorflow", threads: 0, simd: false, versions: { ...baseVersions(), [name]: version } };
  }
  return undefined;
}

async function tryWasm(): Promise<BackendInfo | undefined> {
  const wasm = await importOptional("@tensorflow/tfjs-backend-wasm");
  if (!wasm) return undefined;
  if (!(await tf.setBackend("wasm"))) return undefined;
  await tf.ready();
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const getThreadsCount = wasm.getThreadsCount as (() => number) | undefined;
  return {
    backend: "wasm",
    threads: getThreadsCount ? getThreadsCount() : 1,
    simd,
    versions: { ...baseVersions(), "tfjs-backend-wasm": String(wasm.version_wasm ?? "unknown") },
  };
}

async function useCpu(): Promise<BackendInfo> {
  if (!(await tf.setBackend("cpu"))) throw new Error("the tfjs cpu backend failed to initialise");
  await tf.ready();
  return { backend: "cpu", threads: 1, simd: false, versions: baseVersions() };
}

function baseVersions(): Record<string, string> {
  return { tfjs: tf.version.tfjs, node: process.versions.node };
}

/**
 * Make `requested` the active tfjs backend and return what was chosen. A requested backend that is not
 * available throws; "auto" falls through tensorflow → wasm → cpu.
 */
export async function selectBackend(requested: BackendRequest = defaultBackendRequest()): Promise<BackendInfo> {
  if (!REQUESTS.includes(requested)) throw new Error(`unknown backend "${String(requested)}"`);
  let info: BackendInfo | undefined;
  if (requested === "tensorflow" || requested === "auto") info = await tryTensorflow();
  if (!info && requested === "tensorflow") {
    throw new Error('backend "tensorflow" requested but neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node could be imported');
  }
  if (!info && (requested === "wasm" || requested === "auto")) info = await tryWasm();
  if (!info && requested === "wasm") {
    throw new Error('backend "wasm" requested but @tensorflow/tfjs-backend-wasm could not be imported or initialised');
  }
  info ??= await useCpu();
  log.debug(`backend ${info.backend}, threads ${info.threads}, simd ${info.simd}`);
  return info;
}
