import * as tf from "@tensorflow/tfjs";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromHfConfig, loadCheckpoint, saveCheckpoint, toHfConfig } from "../../loaders/engine/checkpoint.js";
import { createModel, disposeModel, forward, resolveModelConfig, type GPT, type TokenBatch } from "../../loaders/engine/model.js";
import type { OptimizerState, TrainerState } from "../../loaders/engine/train.js";
import { maxAbsDiff, useBackend } from "../_tf.js";

const TINY = { vocabSize: 13, dModel: 8, nHeads: 2, nLayers: 2, maxLen: 8 };
const BATCH: TokenBatch = { ids: Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), batch: 2, length: 4 };

function logitsOf(model: GPT): Float32Array {
  return tf.tidy(() => forward(model, BATCH).dataSync() as Float32Array);
}

/** The JSON header of a safetensors file: u64 little-endian length, then that many bytes. */
function safetensorsHeader(path: string): Record<string, unknown> {
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(bytes.subarray(8, 8 + n).toString("utf8")) as Record<string, unknown>;
}

describe("checkpoints", () => {
  let root: string;
  beforeAll(async () => {
    await useBackend("wasm");
    root = mkdtempSync(join(tmpdir(), "aligner-ckpt-"));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each([false, true])("round-trips to identical logits (tied=%s)", async (tied) => {
    const model = createModel({ ...TINY, tied }, { seed: 4 });
    const dir = join(root, `rt-${tied}`);
    await saveCheckpoint(dir, model, { extra: { preset: "tiny", seed: 4 } });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.config).toEqual(model.config);
    expect(loaded.extra).toEqual({ preset: "tiny", seed: 4 });
    expect(maxAbsDiff(logitsOf(loaded.model), logitsOf(model))).toBe(0);
    disposeModel(model);
    disposeModel(loaded.model);
  });

  it("writes model.safetensors with GPT-2 names, F32 shapes and metadata, and a GPT-2 config.json", async () => {
    const model = createModel(TINY, { seed: 1 });
    const dir = join(root, "layout");
    await saveCheckpoint(dir, model, { tokenizerJson: { model: { type: "BPE" } } });
    expect(readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors", "tokenizer.json"]);
    const header = safetensorsHeader(join(dir, "model.safetensors"));
    expect(header.__metadata__).toEqual({ format: "pt" });
    expect(header["wte.weight"]).toMatchObject({ dtype: "F32", shape: [13, 8] });
    expect(header["h.1.attn.c_attn.weight"]).toMatchObject({ dtype: "F32", shape: [8, 24] });
    expect(header["h.0.mlp.c_proj.weight"]).toMatchObject({ dtype: "F32", shape: [32, 8] });
    expect(header["lm_head.weight"]).toMatchObject({ dtype: "F32", shape: [13, 8] });
    const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    expect(config).toMatchObject({
      model_type: "gpt2",
      n_embd: 8,
      n_head: 2,
      n_layer: 2,
      n_positions: 8,
      vocab_size: 13,
      activation_function: "gelu_new",
    });
    expect((await loadCheckpoint(dir)).tokenizerJson).toEqual({ model: { type: "BPE" } });
    disposeModel(model);
  });

  it("reads a plain GPT-2 config.json without our block", () => {
    const { aligner: _, ...hf } = toHfConfig(resolveModelConfig({ dModel: 64, nHeads: 4, tied: true }));
    expect(fromHfConfig(hf).config).toMatchObject({ dModel: 64, nHeads: 4, nLayers: 2, vocabSize: 256, maxLen: 128, tied: true });
  });

  it("keeps optimizer moments and trainer state for resuming", async () => {
    const model = createModel(TINY, { seed: 2 });
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    Object.entries(model.params).forEach(([name, p], i) => {
      m[name] = new Float32Array(p.size).fill(i + 0.5);
      v[name] = new Float32Array(p.size).fill(i + 0.25);
    });
    const optimizer: OptimizerState = { step: 7, m, v };
    const trainer = { step: 7, epoch: 0, batchInEpoch: 7, seed: 1, log: [] } as unknown as TrainerState;
    const dir = join(root, "resume");
    await saveCheckpoint(dir, model, { optimizer, trainer });
    const loaded = await loadCheckpoint(dir);
    expect(loaded.optimizer?.step).toBe(7);
    expect(loaded.optimizer?.m["h.1.ln_2.bias"]).toEqual(m["h.1.ln_2.bias"]);
    expect(loaded.optimizer?.v["wte.weight"]).toEqual(v["wte.weight"]);
    expect(loaded.trainer).toEqual(trainer);
    disposeModel(model);
    disposeModel(loaded.model);
  });

  it("replaces an older checkpoint in place and leaves no temp folders", async () => {
    const dir = join(root, "replace");
    const first = createModel(TINY, { seed: 1 });
    const second = createModel(TINY, { seed: 2 });
    await saveCheckpoint(dir, first, { tokenizerJson: "{}" });
    await saveCheckpoint(dir, second);
    expect(existsSync(join(dir, "tokenizer.json"))).toBe(false);
    const loaded = await loadCheckpoint(dir);
    expect(maxAbsDiff(logitsOf(loaded.model), logitsOf(second))).toBe(0);
    expect(readdirSync(root).filter((f) => f.includes("tmp"))).toEqual([]);
    [first, second, loaded.model].forEach(disposeModel);
  });

  it("names the folder when it is not a checkpoint", async () => {
    await expect(loadCheckpoint(join(root, "missing"))).rejects.toThrow(/missing: not a checkpoint/);
  });
});
