/**
 * One switch for the hot path's implementation, chosen per backend (issue 18):
 *  - "device": everything stays in tfjs tensors: batched rank-4 attention over all heads, device-side
 *    gathers, gradient clipping on the device, KV-cache decoding on cached K/V tensors. Readbacks: ≤ 2
 *    per training step, 1 per decoded token batch. The right path for GPU backends (webgpu, tensorflow).
 *  - "host": what is fastest on wasm and cpu, where a readback is a heap copy and each tfjs op costs
 *    ≈30 µs of dispatch: per-head rank-2 attention on slices cut in JS (XNNPACK serves only rank-2
 *    matmuls without transpose flags) and KV decoding with row-wise ops in JS.
 * Both compute the same function (tests compare them up to float tolerance).
 */
import * as tf from "@tensorflow/tfjs";

export type HotPath = "device" | "host";

const HOST_BACKENDS = new Set(["wasm", "cpu"]);

/** ALIGNER_HOT_PATH if set ("device" | "host"), else "host" on wasm and cpu and "device" on every other backend. */
export function hotPath(backend: string = tf.getBackend()): HotPath {
  const asked = process.env.ALIGNER_HOT_PATH;
  if (asked === "device" || asked === "host") return asked;
  if (asked !== undefined && asked !== "") throw new Error(`ALIGNER_HOT_PATH=${asked} is not one of device, host`);
  return HOST_BACKENDS.has(backend) ? "host" : "device";
}
