/**
 * Checkpoint folders, Hugging Face style:
 *   model.safetensors    weights under GPT-2 names (F32), metadata {format: "pt"}
 *   config.json          GPT-2 config fields (model_type "gpt2", n_embd, n_head …) plus ours under "aligner"
 *   tokenizer.json       when given
 *   optimizer.safetensors  Adam moments `exp_avg.<name>` / `exp_avg_sq.<name>`, metadata {step}   (resume)
 *   trainer_state.json   step, epoch, seed, train config and the log so far                      (resume)
 * A save writes a sibling temp folder and renames it into place, so a reader (or a crash) never sees half
 * a checkpoint.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { makeDirs } from "./files.js";
import { disposeModel, modelFromValues, readParams, resolveModelConfig, type GPT, type ModelConfig } from "./model.js";
import { decodeSafetensors, encodeSafetensors, type Tensor } from "./safetensors.js";
import type { OptimizerState, TrainerState } from "./train.js";

export interface SaveOptions {
  tokenizerJson?: unknown; // written as tokenizer.json (an object, e.g. tokenizer/json.ts's toTokenizerJson, or its text)
  optimizer?: OptimizerState; // Adam moments, for resuming
  trainer?: TrainerState; // step, data position, config and log, for resuming
  extra?: Record<string, unknown>; // run description (preset, seed, backend, versions …), kept in config.json
}

export interface Checkpoint {
  model: GPT;
  config: ModelConfig;
  tokenizerJson?: unknown;
  optimizer?: OptimizerState;
  trainer?: TrainerState;
  extra: Record<string, unknown>;
}

const FORMAT_VERSION = 1;

/** config.json: the GPT-2 fields transformers reads, plus our config and `extra` under "aligner". */
export function toHfConfig(config: ModelConfig, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: config.vocabSize,
    n_positions: config.maxLen,
    n_ctx: config.maxLen,
    n_embd: config.dModel,
    n_layer: config.nLayers,
    n_head: config.nHeads,
    n_inner: 4 * config.dModel,
    activation_function: "gelu_new", // transformers' name for the tanh approximation
    layer_norm_epsilon: config.layerNormEps,
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: 0,
    tie_word_embeddings: config.tied,
    torch_dtype: "float32",
    aligner: { format: FORMAT_VERSION, model: config, extra },
  };
}

/** Our ModelConfig from a config.json: the "aligner" block when present, else the GPT-2 fields. */
export function fromHfConfig(json: Record<string, unknown>): { config: ModelConfig; extra: Record<string, unknown> } {
  const ours = json.aligner as { model?: Partial<ModelConfig>; extra?: Record<string, unknown> } | undefined;
  if (ours?.model) return { config: resolveModelConfig(ours.model), extra: ours.extra ?? {} };
  const num = (key: string) => {
    const v = json[key];
    if (typeof v !== "number") throw new Error(`config.json: "${key}" must be a number`);
    return v;
  };
  const config = resolveModelConfig({
    vocabSize: num("vocab_size"),
    dModel: num("n_embd"),
    nHeads: num("n_head"),
    nLayers: num("n_layer"),
    maxLen: num("n_positions"),
    tied: json.tie_word_embeddings !== false,
    layerNormEps: typeof json.layer_norm_epsilon === "number" ? json.layer_norm_epsilon : 1e-5,
  });
  return { config, extra: {} };
}

function _f32(shape: number[], data: Float32Array): Tensor {
  return { dtype: "F32", shape, data };
}

/** Writes the checkpoint folder `dir` (replacing an older one) via a temp folder and a rename. */
export async function saveCheckpoint(dir: string, model: GPT, options: SaveOptions = {}): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, { shape, data }] of Object.entries(readParams(model))) tensors[name] = _f32(shape, data);
  makeDirs(dirname(dir));
  const temp = join(dirname(dir), `.${basename(dir)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await mkdir(temp);
  try {
    await writeFile(join(temp, "model.safetensors"), encodeSafetensors(tensors, { format: "pt" }));
    await writeFile(join(temp, "config.json"), JSON.stringify(toHfConfig(model.config, options.extra), null, 2) + "\n");
    if (options.tokenizerJson !== undefined) {
      const text = typeof options.tokenizerJson === "string" ? options.tokenizerJson : JSON.stringify(options.tokenizerJson);
      await writeFile(join(temp, "tokenizer.json"), text);
    }
    if (options.optimizer) {
      const moments: Record<string, Tensor> = {};
      for (const [name, p] of Object.entries(model.params)) {
        const m = options.optimizer.m[name];
        const v = options.optimizer.v[name];
        if (!m || !v) throw new Error(`optimizer state has no moments for ${name}`);
        moments[`exp_avg.${name}`] = _f32(p.shape, m);
        moments[`exp_avg_sq.${name}`] = _f32(p.shape, v);
      }
      await writeFile(join(temp, "optimizer.safetensors"), encodeSafetensors(moments, { step: String(options.optimizer.step) }));
    }
    if (options.trainer) await writeFile(join(temp, "trainer_state.json"), JSON.stringify(options.trainer, null, 1) + "\n");
    const old = existsSync(dir) ? `${temp}.old` : undefined;
    if (old) await rename(dir, old);
    await rename(temp, dir);
    if (old) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * A model from a checkpoint's config.json (parsed) and model.safetensors bytes: no file system, so a
 * browser page builds the same model from the same files (`source` names the weights in errors).
 */
export function modelFromFiles(
  configJson: Record<string, unknown>,
  weights: Uint8Array,
  source = "model.safetensors",
): { model: GPT; config: ModelConfig; extra: Record<string, unknown> } {
  const { config, extra } = fromHfConfig(configJson);
  const { tensors } = decodeSafetensors(weights, source);
  const values: Record<string, Float32Array> = {};
  for (const [raw, t] of Object.entries(tensors)) {
    const name = raw.replace(/^transformer\./, "");
    if (/\.attn\.(masked_)?bias$/.test(name)) continue; // HF GPT-2's causal-mask buffers
    if (t.dtype !== "F32") throw new Error(`${source}: tensor "${raw}" is ${t.dtype}, expected F32`);
    values[name] = t.data;
  }
  return { model: modelFromValues(config, values), config, extra };
}

/** Reads a checkpoint folder written by saveCheckpoint (or a GPT-2-shaped HF folder with F32 weights). */
export async function loadCheckpoint(dir: string): Promise<Checkpoint> {
  const configPath = join(dir, "config.json");
  if (!existsSync(configPath)) throw new Error(`${dir}: not a checkpoint (no config.json)`);
  const weightsPath = join(dir, "model.safetensors");
  const { model, config, extra } = modelFromFiles(
    JSON.parse(await readFile(configPath, "utf8")) as Record<string, unknown>,
    new Uint8Array(await readFile(weightsPath)),
    weightsPath,
  );
  const checkpoint: Checkpoint = { model, config, extra };
  const tokenizerPath = join(dir, "tokenizer.json");
  if (existsSync(tokenizerPath)) checkpoint.tokenizerJson = JSON.parse(await readFile(tokenizerPath, "utf8"));
  const optimizerPath = join(dir, "optimizer.safetensors");
  if (existsSync(optimizerPath)) {
    const { tensors: moments, metadata } = decodeSafetensors(new Uint8Array(await readFile(optimizerPath)), optimizerPath);
    const state: OptimizerState = { step: Number(metadata.step ?? 0), m: {}, v: {} };
    for (const [name, t] of Object.entries(moments)) {
      const [kind, param] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
      if (t.dtype !== "F32" || (kind !== "exp_avg" && kind !== "exp_avg_sq"))
        throw new Error(`${optimizerPath}: unexpected tensor "${name}"`);
      (kind === "exp_avg" ? state.m : state.v)[param] = t.data;
    }
    checkpoint.optimizer = state;
  }
  const trainerPath = join(dir, "trainer_state.json");
  if (existsSync(trainerPath)) checkpoint.trainer = JSON.parse(await readFile(trainerPath, "utf8")) as TrainerState;
  return checkpoint;
}

/** Loads the model of a checkpoint folder, hands it to `use`, and disposes it however `use` ends. */
export async function withCheckpoint<T>(dir: string, use: (model: GPT) => T | Promise<T>): Promise<T> {
  const { model } = await loadCheckpoint(dir);
  try {
    return await use(model);
  } finally {
    disposeModel(model);
  }
}
