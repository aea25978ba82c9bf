/**
 * The KV cache on the device hot path (hotpath.ts): each layer's K and V stay tensors [B, H, t, hd],
 * grown by one position per decode step; a step embeds with tf.gather, attends with batched rank-4
 * matmuls under a key mask uploaded from the host, and reads back only its logits [B, V] (one readback
 * per decoded token batch, for sampling on the host). kvcache.ts holds the host path and dispatches here.
 */
import * as tf from "@tensorflow/tfjs";
import { _headT, _param, forwardRows, type GPT, type TokenBatch } from "./model.js";
import { gelu, layerNorm, linear } from "./ops.js";
import { readFloats } from "./readback.js";

const MASKED = -1e9;

export interface DeviceKV {
  keys: tf.Tensor4D[]; // per layer [B, H, t, hd]
  values: tf.Tensor4D[]; // per layer [B, H, t, hd]
  headT: tf.Tensor2D; // [D, V]
}

export function createDeviceKV(model: GPT): DeviceKV {
  return { keys: [], values: [], headT: tf.keep(_headT(model)) };
}

export function disposeDeviceKV(kv: DeviceKV): void {
  tf.dispose([...kv.keys, ...kv.values, kv.headT]);
  kv.keys = [];
  kv.values = [];
}

/** The full forward over the prompts, keeping each layer's K and V; logits [B*V] at the rows `last`. */
export function prefillDevice(model: GPT, kv: DeviceKV, batch: TokenBatch, last: Int32Array, positions: Int32Array, keyValid?: Uint8Array) {
  const logits = forwardRows(model, batch, last, {
    positions,
    keyValid,
    attention: "batched",
    onKeysValuesTensors: (layer, k, v) => {
      kv.keys[layer] = tf.keep(k);
      kv.values[layer] = tf.keep(v);
    },
  });
  try {
    return readFloats(logits);
  } finally {
    logits.dispose();
  }
}

function _norm(model: GPT, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  return layerNorm(
    x,
    _param(model, `${prefix}.weight`) as tf.Tensor1D,
    _param(model, `${prefix}.bias`) as tf.Tensor1D,
    model.config.layerNormEps,
  );
}

function _linear(model: GPT, prefix: string, x: tf.Tensor2D): tf.Tensor2D {
  return linear(x, _param(model, `${prefix}.weight`) as tf.Tensor2D, _param(model, `${prefix}.bias`) as tf.Tensor1D);
}

/**
 * One decode step on the device: ids and positions [B] of the new tokens, keyMask [B, t+1] (1 = attend)
 * over the cache including this step. Appends this step's K and V; returns the logits [B*V].
 */
export function decodeStepDevice(model: GPT, kv: DeviceKV, ids: Int32Array, positions: Int32Array, keyMask: Uint8Array): Float32Array {
  const { dModel: D, nHeads: H, nLayers } = model.config;
  const B = ids.length;
  const hd = D / H;
  const t1 = keyMask.length / B; // cached positions after this step
  const old = [...kv.keys, ...kv.values];
  const logits = tf.tidy(() => {
    const wte = _param(model, "wte.weight");
    const wpe = _param(model, "wpe.weight");
    let x = tf.add(tf.gather(wte, tf.tensor1d(ids, "int32")), tf.gather(wpe, tf.tensor1d(positions, "int32"))) as tf.Tensor2D; // [B, D]
    const mask = tf.tensor4d(
      Float32Array.from(keyMask, (m) => (m === 1 ? 0 : MASKED)),
      [B, 1, 1, t1],
    );
    for (let layer = 0; layer < nLayers; layer++) {
      const p = `h.${layer}.`;
      const qkv = _linear(model, `${p}attn.c_attn`, _norm(model, `${p}ln_1`, x)); // [B, 3D]
      const [q, k, v] = tf.split(qkv, 3, 1).map((z) => tf.reshape(z, [B, H, 1, hd])) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const keys = tf.keep(tf.concat([kv.keys[layer]!, k], 2)); // [B, H, t+1, hd]
      const values = tf.keep(tf.concat([kv.values[layer]!, v], 2));
      kv.keys[layer] = keys;
      kv.values[layer] = values;
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, keys, false, true), 1 / Math.sqrt(hd)), mask)); // [B, H, 1, t+1]
      const y = tf.reshape(tf.matMul(att, values), [B, D]) as tf.Tensor2D; // [B, H, 1, hd] -> [B, D]
      x = tf.add(x, _linear(model, `${p}attn.c_proj`, y)) as tf.Tensor2D;
      const h = gelu(_linear(model, `${p}mlp.c_fc`, _norm(model, `${p}ln_2`, x))) as tf.Tensor2D;
      x = tf.add(x, _linear(model, `${p}mlp.c_proj`, h)) as tf.Tensor2D;
    }
    return tf.matMul(_norm(model, "ln_f", x), kv.headT); // [B, V]
  });
  tf.dispose(old);
  try {
    return readFloats(logits);
  } finally {
    logits.dispose();
  }
}
