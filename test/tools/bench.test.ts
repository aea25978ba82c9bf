import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { firstShardRows, gflops, matmulShapes, shardMatmuls, startTorchMatmul } from "../../loaders/tools/bench-gemm.js";
import { torchSkipReason } from "../../loaders/tools/bench-torch.js";
import { main, reverseExamples, summarizeRatios } from "../../loaders/tools/bench.js";
import { resolveModelConfig } from "../../loaders/engine/model.js";
import { createRng } from "../../loaders/engine/random.js";
import { useBackend } from "../_tf.js";

describe("bench --rounds", () => {
  const ratio = (what: string, batch: number, workers: number, value: number, round: number) => ({
    kind: "ratio",
    what,
    size: "S",
    batch,
    tfjs_workers: workers,
    ratio: value,
    round,
  });

  it("summarizes each figure's paired ratios over the rounds: median (midpoint of an even count), min, max", () => {
    const rows = [
      ratio("train", 32, 2, 0.5, 1),
      ratio("generate", 32, 1, 0.7, 1),
      ratio("generate", 32, 2, 1.1, 1),
      ratio("train", 32, 2, 0.3, 2),
      ratio("generate", 32, 1, 0.9, 2),
      ratio("generate", 32, 2, 1.3, 2),
      ratio("train", 32, 2, 0.45, 3),
      ratio("train", 32, 2, 0.4, 4),
    ];
    const summary = summarizeRatios(rows);
    expect(summary.map((r) => [r.what, r.tfjs_workers, r.rounds])).toEqual([
      ["train", 2, 4],
      ["generate", 1, 2],
      ["generate", 2, 2],
    ]);
    expect(summary[0]).toMatchObject({ kind: "ratio_summary", median: 0.425, min: 0.3, max: 0.5, ratios: [0.5, 0.3, 0.45, 0.4] });
    expect(summary[2]).toMatchObject({ median: 1.2, min: 1.1, max: 1.3 });
  });

  it.each([
    [["--rounds", "0"], /--rounds must be a whole number ≥ 1, got 0/],
    [["--rounds", "2.5"], /--rounds must be a whole number ≥ 1, got 2.5/],
    [["--only", "speed"], /--only must be train, generate or gemm, got speed/],
  ])("rejects %j before measuring anything", async (args, message) => {
    await expect(main(args)).rejects.toThrow(message);
  });
});

describe("bench --only gemm", () => {
  beforeAll(() => useBackend("wasm"));

  const kernel = (name: string, a: number[], y: number[], ms = 1) => ({ name, inputShapes: [a, [0]], outputShapes: [y], kernelTimeMs: ms });

  it("collects matmul shapes from profiled kernels: m and n from the output, k from a's size, counts and times summed", () => {
    const shapes = matmulShapes([
      kernel("_FusedMatMul", [1, 64, 16], [1, 64, 48], 2),
      kernel("Add", [64, 48], [64, 48], 5),
      kernel("BatchMatMul", [16, 64], [16, 48], 3), // a transposed weight gradient: k = 64
      kernel("_FusedMatMul", [1, 64, 16], [1, 64, 48], 4),
      kernel("BatchMatMul", [8, 32, 4], [8, 32, 32], 1), // a batched matmul: 8 of [32, 4] @ [4, 32]
    ]);
    expect(shapes).toEqual([
      { batch: 1, m: 64, k: 16, n: 48, count: 2, seconds: 0.006 },
      { batch: 1, m: 16, k: 64, n: 48, count: 1, seconds: 0.003 },
      { batch: 8, m: 32, k: 4, n: 32, count: 1, seconds: 0.001 },
    ]);
    expect(gflops({ batch: 1, m: 1000, k: 1000, n: 1000 }, 0.1)).toBe(20);
  });

  it("profiles a real shard: the forward's projections appear once per layer, every matmul is timed", async () => {
    const config = resolveModelConfig({ vocabSize: 256, dModel: 16, nHeads: 2, nLayers: 2, maxLen: 16 });
    const examples = reverseExamples(createRng(3), firstShardRows(4, 2), config.maxLen);
    expect(examples).toHaveLength(2);
    const before = tf.memory().numTensors;
    const { shapes, shardSeconds } = await shardMatmuls(config, examples, { profiles: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const N = 2 * config.maxLen; // 2 rows of 16 tokens (the reversal task fills every position)
    expect(shapes).toContainEqual(expect.objectContaining({ batch: 1, m: N, k: 16, n: 48, count: 2 })); // c_attn, both layers
    expect(shapes.every((s) => s.seconds >= 0 && s.count >= 1)).toBe(true);
    expect(shardSeconds).toBeGreaterThan(0);
  });

  const skip = torchSkipReason();
  it.skipIf(skip !== undefined)(`times a matmul in PyTorch on one thread${skip ? ` (skipped: ${skip})` : ""}`, async () => {
    const torch = startTorchMatmul();
    try {
      const { seconds, version } = await torch.time({ batch: 1, m: 64, k: 32, n: 16 }, 3);
      expect(seconds).toBeGreaterThan(0);
      expect(version).toMatch(/^\d+\.\d+/);
    } finally {
      torch.close();
    }
  });
});
