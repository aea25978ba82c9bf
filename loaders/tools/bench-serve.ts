/**
 * Load test of `aligner serve` on loopback: starts the server as a child process on a run's folder,
 * sends a fixed number of greedy completions (the run's test questions and answers in the Aligner's
 * template, or chat-format questions for a zoo LM) from N concurrent clients, then a short one-at-a-time
 * baseline, and prints one JSON line: requests/s, p50/p95 latency and the batches the server formed.
 *
 *   node --import tsx loaders/tools/bench-serve.ts [--run runs/tiny] [--model aligner] [--requests 200]
 *     [--concurrency 8] [--max-tokens 16] [--sequential 40]
 *
 * Bounded on purpose (the machine is shared): a fixed request count, short completions, one server.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { chatPrompt } from "../engine/lm.js";
import { createLogger } from "../engine/log.js";
import { runDir } from "../experiment/pipeline/runs.js";
import { renderPrompt, type TemplateId } from "../experiment/templates.js";

const log = createLogger("bench-serve");
const BIN = join(import.meta.dirname, "..", "cli", "bin.js");

interface Phase {
  requests: number;
  errors: number;
  duration_s: number;
  requests_per_s: number;
  p50_ms: number;
  p95_ms: number;
  completion_tokens: number;
}

/** Nearest-rank percentile of sorted values. */
const percentile = (sorted: number[], p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? NaN;

/** The prompts of a run's test split, as the named model expects them. */
function benchPrompts(run: string, model: string): string[] {
  const stages = join(run, "stages");
  const world = readdirSync(stages).find((s) => s.startsWith("world-"));
  if (!world) throw new Error(`${run}: no world stage`);
  const rows = (
    JSON.parse(readFileSync(join(stages, world, "rows.json"), "utf-8")) as { question: string; answer: string; split: string }[]
  ).filter((r) => r.split === "test");
  const template = (JSON.parse(readFileSync(join(run, "run.json"), "utf-8")) as { template: TemplateId }).template;
  return rows.map((r) => (model.startsWith("aligner") ? renderPrompt(template, r.question, r.answer) : chatPrompt(r.question)));
}

/**
 * Starts `aligner serve --run RUN` as a child process on a free port (with `env` added to this
 * process's); resolves once it prints its base URL. `stop` sends SIGTERM and resolves with the exit
 * code; `output` is what it printed so far.
 */
export async function spawnServe(run: string, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [BIN, "serve", "--run", run, "--port", "0"], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (d) => {
      stdout += d;
      if (stdout.includes("\n")) resolve(stdout.split("\n")[0]!);
    });
    void exited.then((code) => reject(new Error(`aligner serve exited (${code}) before it was ready: ${stderr.slice(-500)}`)));
  });
  return { url, output: () => ({ stdout, stderr }), stop: async () => (child.kill("SIGTERM"), exited) };
}

/** Runs `total` requests from `concurrency` clients; each client takes the next prompt when its last one is answered. */
async function phase(total: number, concurrency: number, send: (i: number) => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let tokens = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t = performance.now();
        try {
          const n = await send(i); // not `tokens += await …`: that reads `tokens` before the await
          tokens += n;
          latencies.push(performance.now() - t);
        } catch (error) {
          errors++;
          log.warn(`request ${i}: ${(error as Error).message}`);
        }
      }
    }),
  );
  const duration = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
  return {
    requests: total,
    errors,
    duration_s: round(duration, 2),
    requests_per_s: round(latencies.length / duration),
    p50_ms: round(percentile(latencies, 0.5)),
    p95_ms: round(percentile(latencies, 0.95)),
    completion_tokens: tokens,
  };
}

export async function benchServe(options: {
  run: string;
  model: string;
  requests: number;
  concurrency: number;
  maxTokens: number;
  sequential: number;
}) {
  const { run, model, requests, concurrency, maxTokens, sequential } = options;
  const prompts = benchPrompts(run, model);
  const key = randomBytes(16).toString("hex");
  const server = await spawnServe(run, { ALIGNER_API_KEY: key });
  const headers = { "content-type": "application/json", authorization: `Bearer ${key}` };
  const get = async (path: string) =>
    (await fetch(`${server.url.replace(/\/v1$/, "")}${path}`, { headers })).json() as Promise<Record<string, any>>;
  try {
    const card = await get(`/v1/models/${encodeURIComponent(model)}`);
    if (card.error) throw new Error(`model ${model}: ${card.error.message}`);
    const truncate = (card.max_model_len as number) - maxTokens; // long prompts keep their last tokens, as the engine does
    const send = async (i: number) => {
      const body = { model, prompt: prompts[i % prompts.length], max_tokens: maxTokens, temperature: 0, truncate_prompt_tokens: truncate };
      const res = await fetch(`${server.url}/completions`, { method: "POST", headers, body: JSON.stringify(body) });
      const json = (await res.json()) as { usage?: { completion_tokens: number }; error?: { message: string } };
      if (!res.ok) throw new Error(`HTTP ${res.status}: ${json.error?.message}`);
      return json.usage!.completion_tokens;
    };
    log.info(`${server.url}: ${model}, ${prompts.length} prompts; warm-up`);
    await phase(4, 1, send);
    const s0 = await get("/stats");
    log.info(`${requests} requests from ${concurrency} clients`);
    const loaded = await phase(requests, concurrency, send);
    const s1 = await get("/stats");
    log.info(`${sequential} requests one at a time`);
    const alone = await phase(sequential, 1, send);
    return {
      kind: "serve",
      run,
      model,
      backend: s1.backend,
      max_tokens: maxTokens,
      concurrency,
      ...loaded,
      completion_tokens_per_s: Math.round(loaded.completion_tokens / loaded.duration_s),
      batches: s1.generate_calls - s0.generate_calls,
      mean_batch: Math.round(((s1.sequences - s0.sequences) / Math.max(1, s1.generate_calls - s0.generate_calls)) * 100) / 100,
      largest_batch: s1.largest_batch,
      continued: s1.continued - s0.continued,
      sequential: { requests: alone.requests, requests_per_s: alone.requests_per_s, p50_ms: alone.p50_ms },
      node: process.versions.node,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      run: { type: "string" },
      model: { type: "string" },
      requests: { type: "string" },
      concurrency: { type: "string" },
      "max-tokens": { type: "string" },
      sequential: { type: "string" },
    },
  });
  const int = (v: string | undefined, fallback: number, max: number) => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`expected an integer in 0..${max}, got ${v}`);
    return n;
  };
  const result = await benchServe({
    run: values.run ?? runDir(process.env.ALIGNER_PRESET ?? "tiny"),
    model: values.model ?? "aligner",
    requests: int(values.requests, 200, 5000),
    concurrency: int(values.concurrency, 8, 64),
    maxTokens: int(values["max-tokens"], 16, 512),
    sequential: int(values.sequential, 40, 1000),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
