/**
 * A data-parallel worker thread (dataparallel.ts): its own tfjs backend and model replica. Per request
 * it takes the weights from the shared buffer when told to, then computes one shard's gradients into
 * its shared gradient slot, or generates for some rows of a generation batch.
 */
import * as tf from "@tensorflow/tfjs";
import { parentPort, workerData } from "node:worker_threads";
import { selectBackend, type BackendRequest } from "./backend.js";
import { setFlatWeights, shardGradients } from "./dpshard.js";
import { generate, type GenerateOptions } from "./generate.js";
import { createModel, type ModelConfig } from "./model.js";

export interface WorkerInit {
  backend: BackendRequest;
  config: ModelConfig;
  weights: SharedArrayBuffer; // float32, parameter order
  grads: SharedArrayBuffer; // float32, parameter order: this worker's slot
}

export type WorkerRequest = { syncWeights: boolean } & (
  | { type: "grads"; ids: Int32Array; targets: Int32Array; batch: number; length: number }
  | { type: "generate"; prompts: number[][]; options: Partial<GenerateOptions> }
);

export type WorkerReply =
  | { type: "grads"; loss: number; targets: number; numTensors: number }
  | { type: "generate"; tokens: number[][]; finished: boolean[]; steps: number; numTensors: number }
  | { type: "error"; message: string };

const port = parentPort;
if (!port) throw new Error("dpworker.ts runs only as a worker thread");
const init = workerData as WorkerInit;
await selectBackend(init.backend);
const model = createModel(init.config); // its weights come from the shared buffer
const weights = new Float32Array(init.weights);
const grads = new Float32Array(init.grads);

port.on("message", (req: WorkerRequest) => {
  try {
    if (req.syncWeights) setFlatWeights(model, weights); // reads the shared buffer; the weights keep no view of it
    if (req.type === "grads") {
      const r = shardGradients(model, { ids: req.ids, targets: req.targets, batch: req.batch, length: req.length }, grads); // into the shared slot
      port.postMessage({ type: "grads", loss: r.loss, targets: r.targets, numTensors: tf.memory().numTensors } satisfies WorkerReply);
    } else {
      const g = generate(model, req.prompts, req.options);
      port.postMessage({ type: "generate", ...g, numTensors: tf.memory().numTensors } satisfies WorkerReply);
    }
  } catch (error) {
    port.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) } satisfies WorkerReply);
  }
});
port.postMessage({ type: "ready" });
