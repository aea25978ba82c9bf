/**
 * `npm run bench -- --only gemm [--vs-torch]`: the matrix multiplies of one training shard, timed in place on
 * one thread, against PyTorch's on the same shapes in the same run. It answers how much of the training ratio the
 * matmul kernels themselves allow: on wasm the engine runs them in its own SIMD kernel (gemm.ts; 128-bit,
 * no FMA), elsewhere through tfjs's kernels, PyTorch through OpenBLAS, and a step spends most of its time
 * in them.
 *
 * The shapes and tfjs's times come from the engine itself: tf.profile around one shard's loss and gradients
 * (the rows one worker computes in the bench's data-parallel step), every BatchMatMul and _FusedMatMul
 * kernel it dispatched and every product the engine ran on the wasm heap (recordHeapMatmuls; "HeapMatMul"),
 * timed in place (so XNNPACK's per-tensor packing cache acts as in a step), the median of three profiles.
 * A torch process on one thread (torch.set_num_threads(1), OPENBLAS_NUM_THREADS=1) gets the shapes one by
 * one on stdin and times `a @ b` on fresh operands, median of seven calls.
 */
import * as tf from "@tensorflow/tfjs";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { makeBatch, toSequence } from "../engine/batches.js";
import { shardGradients, splitRows } from "../engine/dpshard.js";
import { recordHeapMatmuls, type HeapMatmul } from "../engine/gemm.js";
import { createModel, disposeModel, type ModelConfig } from "../engine/model.js";
import { defaultTrainConfig, type Example } from "../engine/train.js";
import { median } from "../experiment/metrics.js";
import { bestTorch, runTorch, TORCH_SETTINGS, torchPython } from "./bench-torch.js";

/** One matmul shape of a shard and how often a shard runs it: out [batch, m, n] = a [batch, m, k] @ b [batch, k, n]. */
export interface MatmulShape {
  batch: number;
  m: number;
  k: number;
  n: number;
  count: number;
  seconds: number; // the kernels' time in the shard, all `count` calls together (tf.profile's kernelTimeMs)
}

type Dims = Pick<MatmulShape, "batch" | "m" | "k" | "n">;

interface ProfiledKernel {
  name: string;
  inputShapes: number[][];
  outputShapes: number[][];
  kernelTimeMs: number;
}

const MATMULS = new Set(["BatchMatMul", "_FusedMatMul", "HeapMatMul"]);

const _product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * The distinct matmul shapes among profiled kernels, with their counts, in order of first use. m and n come
 * from the output's last two dimensions, k from a's size (so transposed operands count the same).
 */
export function matmulShapes(kernels: ProfiledKernel[]): MatmulShape[] {
  const out = new Map<string, MatmulShape>();
  for (const kernel of kernels) {
    if (!MATMULS.has(kernel.name)) continue;
    const [a] = kernel.inputShapes;
    const [y] = kernel.outputShapes;
    if (!a || !y || y.length < 2) continue;
    const m = y.at(-2)!;
    const n = y.at(-1)!;
    const batch = _product(y) / (m * n);
    const k = _product(a) / (batch * m);
    const key = `${batch}x${m}x${k}x${n}`;
    const seen = out.get(key);
    const seconds = kernel.kernelTimeMs / 1000;
    if (seen) (seen.count++, (seen.seconds += seconds));
    else out.set(key, { batch, m, k, n, count: 1, seconds });
  }
  return [...out.values()];
}

/**
 * The matmuls of one worker's shard of a training step (the `examples` as one batch), timed where they run:
 * tf.profile around the shard's loss and gradients, `profiles` times, each shape's time the median over the
 * profiles (the kernels in place, so XNNPACK's packing cache acts as in a step). `shardSeconds` is the
 * median wall time of the shard without the profiler.
 */
export async function shardMatmuls(
  config: ModelConfig,
  examples: Example[],
  { profiles = 3 } = {},
): Promise<{ shapes: MatmulShape[]; shardSeconds: number }> {
  const model = createModel(config, { seed: 1 });
  try {
    const batch = makeBatch(
      examples.map((e) => toSequence(e, config.maxLen)),
      defaultTrainConfig.padId, // as trainModel pads
    );
    shardGradients(model, batch); // warm-up: XNNPACK operators, JIT
    const walls: number[] = [];
    const runs: MatmulShape[][] = [];
    for (let i = 0; i < profiles; i++) {
      const start = performance.now();
      shardGradients(model, batch);
      walls.push((performance.now() - start) / 1000);
      let heap: HeapMatmul[] = [];
      const profile = await tf.profile(() => void (heap = recordHeapMatmuls(() => shardGradients(model, batch)).calls));
      const onHeap = heap.map(({ m, k, n, ms }) => ({
        name: "HeapMatMul",
        inputShapes: [[m, k]],
        outputShapes: [[m, n]],
        kernelTimeMs: ms,
      }));
      runs.push(matmulShapes([...(profile.kernels as unknown as ProfiledKernel[]), ...onHeap]));
    }
    const shapes = runs[0]!.map((shape, i) => ({ ...shape, seconds: median(runs.map((run) => run[i]!.seconds)) }));
    return { shapes, shardSeconds: median(walls) };
  } finally {
    disposeModel(model);
  }
}

const TORCH_GEMM = `
import json, sys, time, torch
torch.set_num_threads(1)
for line in sys.stdin:
    s = json.loads(line)
    shape = lambda r, c: (r, c) if s['batch'] == 1 else (s['batch'], r, c)
    a = torch.randn(*shape(s['m'], s['k']))
    times = []
    for i in range(s['reps'] + 1):
        b = torch.randn(*shape(s['k'], s['n']))
        t = time.perf_counter(); a @ b; t = time.perf_counter() - t
        if i > 0: times.append(t)
    times.sort()
    print(json.dumps(dict(s, seconds=times[len(times) // 2], torch=torch.__version__)), flush=True)
`;

/** PyTorch on one thread (torch and OpenBLAS), kept running: `time(shape)` is its median seconds for `a @ b`. */
export function startTorchMatmul(python = torchPython()): {
  time(shape: Dims, reps?: number): Promise<{ seconds: number; version: string }>;
  close(): void;
} {
  const child = spawn(python, ["-c", TORCH_GEMM], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.on("error", (error) => (stderr += `\n${error.message}`)); // e.g. no such python: stdout ends, time() throws
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async time(shape, reps = 7) {
      const { batch, m, k, n } = shape;
      child.stdin.write(JSON.stringify({ batch, m, k, n, reps }) + "\n");
      const next = await lines.next();
      if (next.done) throw new Error(`torch matmul ${JSON.stringify(shape)} failed: ${stderr.trim().split("\n").at(-1) ?? "no output"}`);
      const row = JSON.parse(next.value) as { seconds: number; torch: string };
      return { seconds: row.seconds, version: row.torch };
    },
    close() {
      child.stdin.end();
    },
  };
}

/** GFLOP/s of one matmul of this shape taking `seconds`. */
export function gflops({ batch, m, k, n }: Dims, seconds: number): number {
  return Number(((2 * batch * m * k * n) / seconds / 1e9).toFixed(2));
}

/**
 * Rows for `--only gemm`: one per shape (tfjs, and torch when `vsTorch`), then a summary over the shard:
 * seconds of matmuls per shard (tfjs's in place, torch's time × count) and the share of tfjs's measured shard
 * time they take; with `vsTorch` also their ratio torch / tfjs (`matmul_ratio`: the training ratio if both
 * frameworks spent their whole step in these matmuls), PyTorch's training step measured right after
 * (`torch_step_s`, best thread setting, `trainSteps` steps) and `ceiling_ratio` = torch_step_s / tfjs's
 * matmul seconds: a step runs its shards at once, one per core, so it lasts at least one shard's matmuls,
 * and no change outside the matmul kernels lifts the training ratio above this.
 */
export async function benchGemm(
  size: string,
  config: ModelConfig,
  examples: Example[],
  {
    vsTorch = false,
    trainSteps = 12,
    log = (_: string) => {},
  }: { vsTorch?: boolean; trainSteps?: number; log?: (line: string) => void } = {},
): Promise<Array<Record<string, unknown>>> {
  const { shapes, shardSeconds } = await shardMatmuls(config, examples);
  const rows: Array<Record<string, unknown>> = [];
  let tfjsTotal = 0;
  let torchTotal = 0;
  let torchVersion = "";
  const torch = vsTorch ? startTorchMatmul() : undefined;
  try {
    for (const [i, shape] of shapes.entries()) {
      const { seconds: inShard, ...dims } = shape;
      const tfjsSeconds = inShard / shape.count; // one call, in place
      tfjsTotal += inShard;
      const row: Record<string, unknown> = {
        kind: "gemm",
        size,
        ...dims,
        tfjs_ms: Number((tfjsSeconds * 1e3).toFixed(3)),
        tfjs_gflops: gflops(shape, tfjsSeconds),
      };
      if (torch) {
        const { seconds, version } = await torch.time(shape);
        torchTotal += seconds * shape.count;
        torchVersion = version;
        Object.assign(row, {
          torch_ms: Number((seconds * 1e3).toFixed(3)),
          torch_gflops: gflops(shape, seconds),
          ratio: Number((seconds / tfjsSeconds).toFixed(3)),
        });
      }
      log(`gemm ${size} ${i + 1}/${shapes.length}: ${shape.batch}×${shape.m}×${shape.k}×${shape.n} ×${shape.count}`);
      rows.push(row);
    }
  } finally {
    torch?.close();
  }
  // PyTorch's own training step at its best thread setting, measured now: what the matmul floor is compared with
  const torchStep = vsTorch ? _torchStepSeconds(size, trainSteps, log) : undefined;
  const flop = shapes.reduce((sum, s) => sum + 2 * s.batch * s.m * s.k * s.n * s.count, 0);
  rows.push({
    kind: "gemm_summary",
    size,
    shard_rows: examples.length,
    matmuls: shapes.reduce((n, s) => n + s.count, 0),
    gflop: Number((flop / 1e9).toFixed(2)),
    tfjs_shard_s: Number(shardSeconds.toFixed(3)),
    tfjs_matmul_s: Number(tfjsTotal.toFixed(3)),
    tfjs_matmul_share: Number((tfjsTotal / shardSeconds).toFixed(3)),
    framework: `tfjs ${tf.version.tfjs}`,
    ...(vsTorch
      ? {
          torch_matmul_s: Number(torchTotal.toFixed(3)),
          matmul_ratio: Number((torchTotal / tfjsTotal).toFixed(3)),
          torch: torchVersion,
          torch_threads: 1,
          torch_step_s: Number(torchStep!.toFixed(3)),
          // a step is two shards at once, one per core, so it takes at least one shard's matmuls: the best
          // training ratio these kernels allow, were everything else in tfjs's step free
          ceiling_ratio: Number((torchStep! / tfjsTotal).toFixed(3)),
        }
      : {}),
  });
  return rows;
}

/** Seconds per training step of torch_gpt.py at its best thread setting (bench-torch.ts's settings). */
function _torchStepSeconds(size: string, steps: number, log: (line: string) => void): number {
  const rows = TORCH_SETTINGS.flatMap((setting) => {
    log(`torch ${size} training, threads ${setting.threads}, OPENBLAS_NUM_THREADS ${setting.blas}`);
    return runTorch(["--size", size, "--steps", String(steps), "--warmup", "3"], setting);
  });
  const best = bestTorch(rows.filter((r) => r.kind === "train"))[0];
  if (!best) throw new Error("torch_gpt.py printed no training row");
  return Number(best.median_step_s);
}

/** The rows of the bench's first data-parallel shard: a step's `batch` rows split across `workers`. */
export function firstShardRows(batch: number, workers: number): number {
  const [from, to] = splitRows(batch, workers)[0]!;
  return to - from;
}
