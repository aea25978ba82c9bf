// `aligner serve` against a real tiny run: the official openai client, our own clients, the errors,
// the key, the size limit, batching, and the CLI process (URL on stdout, clean exit on SIGTERM).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadCheckpoint } from "../../loaders/engine/checkpoint.js";
import { main } from "../../loaders/cli/main.js";
import { createCorrector, createUpstream } from "../../loaders/experiment/api/models.js";
import { loadPreset } from "../../loaders/experiment/config.js";
import { chatPrompt, generateTexts, type Decoding } from "../../loaders/engine/lm.js";
import { disposeModel, type GPT } from "../../loaders/engine/model.js";
import { spawnServe } from "../../loaders/tools/bench-serve.js";
import { materializeRun } from "../../loaders/tables/materialize.js";
import { fromArrow } from "../../loaders/tables/format.js";
import { keyMatches, startServer, type ServerHandle } from "../../loaders/serve/index.js";
import { renderPrompt, TEMPLATES } from "../../loaders/experiment/templates.js";
import type { Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { fromTokenizerJson } from "../../loaders/engine/tokenizer/json.js";
import { UPSTREAMS } from "../../loaders/world/index.js";
import { expectNoLeak, useBackend } from "../_tf.js";

const CLI = join(import.meta.dirname, "..", "..", "loaders", "cli", "bin.js");
const KEY = "sk-test-serve";
const GREEDY: Decoding = { temperature: 0, topK: 0, topP: 1, maxNewTokens: 12, batchSize: 1, seed: 1 };

interface Row {
  question: string;
  answer: string;
}
interface Local {
  model: GPT;
  tok: Tokenizer;
}

let dir: string;
let server: ServerHandle;
let client: OpenAI;
let aligner: Local;
let upstream: Local;
let rows: Row[]; // world rows whose Aligner prompt is 40..120 tokens

const stage = (prefix: string) =>
  join(
    dir,
    "stages",
    readdirSync(join(dir, "stages")).find((s) => s.startsWith(prefix))!,
  );
const prompt = (r: Row) => renderPrompt("aligner-v1.0", r.question, r.answer);
const promptTokens = (r: Row) => 1 + aligner.tok.encode(prompt(r)).length;
const engine = (local: Local, prompts: string[], maxNewTokens: number) =>
  generateTexts(local.model, local.tok, prompts, { ...GREEDY, maxNewTokens }).map((g) => g.text);

async function loadLocal(folder: string): Promise<Local> {
  const ckpt = await loadCheckpoint(join(folder, "model"));
  return { model: ckpt.model, tok: fromTokenizerJson(ckpt.tokenizerJson) };
}

/** A raw request: status and parsed JSON body. */
async function call(
  path: string,
  { body, key = KEY, method = body === undefined ? "GET" : "POST" }: { body?: unknown; key?: string | null; method?: string } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${server.url.replace(/\/v1$/, "")}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

const complete = async (p: string, maxTokens = 12, extra: Record<string, unknown> = {}) =>
  (await client.completions.create({ model: "aligner", prompt: p, max_tokens: maxTokens, temperature: 0, ...extra })).choices[0]!;

beforeAll(async () => {
  await useBackend("wasm");
  dir = mkdtempSync(join(tmpdir(), "aligner-serve-"));
  const tiny = loadPreset("tiny"); // the sweep's extra Aligners are not served: skip them
  await materializeRun({ ...tiny, config: { ...tiny.config, warmupSweep: { ...tiny.config.warmupSweep, fractions: [] } } }, { dir });
  server = await startServer({ run: dir, port: 0, apiKey: KEY, windowMs: 25 });
  client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0, timeout: 20_000 });
  aligner = await loadLocal(stage("aligner-"));
  upstream = await loadLocal(stage("zoo-lm_unsafe-"));
  const world: Row[] = JSON.parse(readFileSync(join(stage("world-"), "rows.json"), "utf-8"));
  const seen = new Set<string>();
  rows = world.filter((r) => promptTokens(r) >= 40 && promptTokens(r) <= 120 && !seen.has(r.question) && seen.add(r.question)).slice(0, 8);
}, 90_000);

afterAll(async () => {
  await server?.close();
  for (const local of [aligner, upstream]) if (local) disposeModel(local.model);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("aligner serve with the official openai client", () => {
  it("lists the Aligner (also by its template id) and the zoo LM, and retrieves one", async () => {
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(["aligner", "aligner/aligner-v1.0", "lm_unsafe"]);
    expect(await client.models.retrieve("aligner/aligner-v1.0")).toMatchObject({
      id: "aligner/aligner-v1.0",
      object: "model",
      root: "aligner",
      max_model_len: 160,
    });
  });

  it("continues a raw Aligner prompt exactly as the engine does, with OpenAI's response shape", async () => {
    expect(rows).toHaveLength(8);
    const reply = await client.completions.create({ model: "aligner", prompt: prompt(rows[0]!), max_tokens: 12, temperature: 0 });
    expect(reply).toMatchObject({
      object: "text_completion",
      model: "aligner",
      id: expect.stringMatching(/^cmpl-/),
      created: expect.any(Number),
    });
    const choice = reply.choices[0]!;
    expect(choice.index).toBe(0);
    expect(["stop", "length"]).toContain(choice.finish_reason);
    expect(choice.text.trim()).toBe(engine(aligner, [prompt(rows[0]!)], 12)[0]);
    expect(reply.usage).toEqual({
      prompt_tokens: promptTokens(rows[0]!),
      completion_tokens: expect.any(Number),
      total_tokens: promptTokens(rows[0]!) + reply.usage!.completion_tokens,
    });
  });

  it("answers a chat question from a zoo LM in its chat format, as the engine does", async () => {
    const q = rows[1]!.question;
    const reply = await client.chat.completions.create({
      model: "lm_unsafe",
      messages: [
        { role: "system", content: "ignored" },
        { role: "user", content: q },
      ],
      max_tokens: 16,
      temperature: 0,
    });
    expect(reply).toMatchObject({ object: "chat.completion", model: "lm_unsafe", id: expect.stringMatching(/^chatcmpl-/) });
    expect(reply.choices[0]!.message).toMatchObject({ role: "assistant", content: engine(upstream, [chatPrompt(q)], 16)[0] });
    expect(reply.usage!.prompt_tokens).toBe(1 + upstream.tok.encode(chatPrompt(q)).length);
  });

  it("gives the Aligner's chat the same correction as a completion, whether the user turn is the template's or the rendered prompt", async () => {
    const r = rows[2]!;
    const expected = (await complete(prompt(r))).text.trim();
    for (const content of [TEMPLATES["aligner-v1.0"].user(r.question, r.answer), prompt(r)]) {
      const reply = await client.chat.completions.create({
        model: "aligner/aligner-v1.0",
        messages: [{ role: "user", content }],
        max_tokens: 12,
        temperature: 0,
      });
      expect(reply.choices[0]!.message.content).toBe(expected);
    }
  });

  it("answers an array of prompts with one choice each, in order, decoded in one generate call", async () => {
    const prompts = rows.slice(0, 3).map(prompt);
    const before = server.stats().generate_calls;
    const reply = await client.completions.create({ model: "aligner", prompt: prompts, max_tokens: 8, temperature: 0 });
    expect(server.stats().generate_calls - before).toBe(1);
    expect(reply.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(reply.choices.map((c) => c.text.trim())).toEqual(engine(aligner, prompts, 8));
    expect(reply.usage!.prompt_tokens).toBe(rows.slice(0, 3).reduce((a, r) => a + promptTokens(r), 0));
  });

  it("cuts the text before the first stop string and reports finish_reason stop", async () => {
    const p = [...rows.map((r) => chatPrompt(r.question)), ...rows.map((r) => r.answer)].find(
      (x) => engine(upstream, [x], 16)[0]!.length >= 4,
    )!;
    expect(p).toBeDefined(); // the tiny LM rambles ("coooo…") on some prompts
    const free = (await client.completions.create({ model: "lm_unsafe", prompt: p, max_tokens: 16, temperature: 0 })).choices[0]!;
    const stop = free.text.slice(2, 4);
    const cut = await client.completions.create({ model: "lm_unsafe", prompt: p, max_tokens: 16, temperature: 0, stop: [stop, "never"] });
    expect(cut.choices[0]).toMatchObject({ text: free.text.slice(0, free.text.indexOf(stop)), finish_reason: "stop" });
    expect(cut.usage!.completion_tokens).toBeLessThan(16);
  });

  it("reproduces a sampled completion from its seed and reports finish_reason length at max_tokens", async () => {
    const sampled = () =>
      client.completions.create({ model: "lm_unsafe", prompt: chatPrompt(rows[4]!.question), max_tokens: 3, temperature: 1.5, seed: 7 });
    const [a, b] = await Promise.all([sampled(), sampled()]);
    expect(a.choices[0]!.text).toBe(b.choices[0]!.text);
    expect(a.usage!.completion_tokens).toBeLessThanOrEqual(3);
    if (a.usage!.completion_tokens === 3) expect(a.choices[0]!.finish_reason).toBe("length");
  });

  it("leaves no tensors behind after a request", async () => {
    await expectNoLeak(() => complete(prompt(rows[5]!), 6));
  });
});

describe("batching", () => {
  const lm = async (p: string, maxTokens: number, extra: Record<string, unknown> = {}) =>
    (await client.completions.create({ model: "lm_unsafe", prompt: p, max_tokens: maxTokens, temperature: 0, ...extra })).choices[0]!;

  it("decodes 8 concurrent requests in fewer generate calls, with the same outputs as one by one", async () => {
    const prompts = rows.map((r) => r.answer); // raw continuations: the tiny LM's most varied outputs
    const before = server.stats().generate_calls;
    const together = await Promise.all(prompts.map((p) => lm(p, 12)));
    const calls = server.stats().generate_calls - before;
    expect(calls).toBeLessThan(8);
    expect(server.stats().largest_batch).toBeGreaterThan(1);
    const alone: string[] = [];
    for (const p of prompts) alone.push((await lm(p, 12)).text);
    expect(together.map((c) => c.text)).toEqual(alone);
    expect(alone.map((t) => t.trim())).toEqual(engine(upstream, prompts, 12));
  });

  it("continues a sequence the batch's longest prompt cut short, matching its decoding alone", async () => {
    const short = chatPrompt(rows[6]!.question);
    const long = { prompt: "word ".repeat(200), truncate_prompt_tokens: 80 }; // 96 − 80 leaves 16 steps, < 30
    const before = server.stats().continued;
    // the short prompt cut as the engine cuts it (maxLen 96 − 30 new tokens), so both decode 30 steps
    const [a, b] = await Promise.all([
      lm(short, 30, { truncate_prompt_tokens: 66 }),
      lm(long.prompt, 5, { truncate_prompt_tokens: long.truncate_prompt_tokens }),
    ]);
    expect(server.stats().continued).toBeGreaterThan(before);
    expect(a).toMatchObject({ finish_reason: "length" });
    expect(a.text.trim()).toBe(engine(upstream, [short], 30)[0]);
    expect(b.text).toBe((await lm(long.prompt, 5, { truncate_prompt_tokens: 80 })).text);
  });
});

describe("our own clients over HTTP", () => {
  it("createCorrector (aligner-v1.0 completions) and createUpstream (chat) match the engine's outputs", async () => {
    const config = { baseURL: server.url, apiKey: KEY, concurrency: 4, retries: 0, timeoutMs: 20_000, cacheDir: join(dir, "api-cache") };
    const corrector = createCorrector({ ...config, model: "aligner/aligner-v1.0" }, { maxTokens: 12 });
    const corrections = await Promise.all(rows.slice(0, 4).map((r) => corrector.correct(r.question, r.answer)));
    expect(corrections).toEqual(engine(aligner, rows.slice(0, 4).map(prompt), 12));
    expect(corrector.stats()).toMatchObject({ requests: 4, estimated: 0 });
    const lm = createUpstream({ ...config, model: "lm_unsafe" }, { maxTokens: 16 });
    expect(await lm.answer(rows[0]!.question)).toBe(engine(upstream, [chatPrompt(rows[0]!.question)], 16)[0]);
  });
});

describe("the http preset: an experiment whose upstream and corrector are served over HTTP", () => {
  let runs: string;
  const table = (name: string) => fromArrow(readFileSync(join(runs, "http", "tables", `${name}.arrow`)));
  /** `aligner run --preset http` in a child process, pointed at this server by the environment. */
  const runHttp = () =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const env = {
        ...process.env,
        ALIGNER_RUNS: runs,
        ALIGNER_UPSTREAM_BASE_URL: server.url,
        ALIGNER_CORRECTOR_BASE_URL: server.url,
        ALIGNER_UPSTREAM_KEY: KEY,
        ALIGNER_CORRECTOR_KEY: KEY,
        ALIGNER_LOG: "info",
      };
      const child = spawn(process.execPath, [CLI, "run", "--preset", "http"], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => (stdout += d));
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  let first: Awaited<ReturnType<typeof runHttp>>;
  let requestsBefore: number;

  beforeAll(async () => {
    runs = mkdtempSync(join(tmpdir(), "aligner-http-"));
    requestsBefore = server.stats().requests;
    first = await runHttp();
  }, 120_000);

  afterAll(() => rmSync(runs, { recursive: true, force: true }));

  it("asks the served LM every test question and the served Aligner for every correction, and prints the run folder", () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe(join(runs, "http"));
    const record = JSON.parse(readFileSync(join(runs, "http", "run.json"), "utf-8"));
    const corrections = table("corrections");
    const { testQuestions } = loadPreset("http").config.world;
    // Each test question answered by every rule-based upstream of the world and by the served LM.
    expect(new Set(corrections.map((r) => r.upstream))).toEqual(new Set([...UPSTREAMS.map((u) => u.name), "api:served_lm_unsafe"]));
    expect(corrections).toHaveLength(testQuestions * (UPSTREAMS.length + 1));
    expect(corrections.filter((r) => r.upstream === "api:served_lm_unsafe")).toHaveLength(testQuestions);
    // One request per distinct question and per distinct (question, answer): a repeat is the same request, sent once.
    const questions = new Set(corrections.map((r) => r.question)).size;
    const pairs = new Set(corrections.map((r) => JSON.stringify([r.question, r.answer]))).size;
    expect(record.api.upstreams[0]).toMatchObject({
      name: "api:served_lm_unsafe",
      config: { baseURL: server.url, model: "lm_unsafe" },
      stats: { requests: questions, cacheHits: 0, estimated: 0 },
    });
    expect(record.api.corrector).toMatchObject({
      config: { model: "aligner" },
      template: "aligner-v1.0",
      stats: { requests: pairs, cacheHits: 0 },
    });
    expect(server.stats().requests - requestsBefore).toBe(questions + pairs);
    expect(readFileSync(join(runs, "http", "run.json"), "utf-8")).not.toContain(KEY);
    expect(table("training").filter((r) => r.model === "aligner")).toHaveLength(0); // no local Aligner
  });

  it("gets the engine's own answers and corrections over the wire (prompts cut as the engine cuts them)", () => {
    const corrections = table("corrections");
    const served = corrections.filter((r) => r.upstream === "api:served_lm_unsafe").slice(0, 4);
    expect(served.map((r) => r.answer)).toEqual(
      engine(
        upstream,
        served.map((r) => chatPrompt(String(r.question))),
        32,
      ),
    );
    const some = [...served, ...corrections.filter((r) => r.upstream !== "api:served_lm_unsafe").slice(0, 4)];
    const long = corrections.find((r) => promptTokens({ question: String(r.question), answer: String(r.answer) }) > 128);
    if (long) some.push(long); // one whose prompt the server truncates to its last 128 tokens
    expect(some.map((r) => r.correction)).toEqual(
      engine(
        aligner,
        some.map((r) => prompt({ question: String(r.question), answer: String(r.answer) })),
        32,
      ),
    );
  });

  it("a rerun sends no request: every reply comes from the response cache", async () => {
    const before = server.stats().requests;
    const again = await runHttp();
    expect(again.code, again.stderr).toBe(0);
    expect(server.stats().requests).toBe(before);
    const record = JSON.parse(readFileSync(join(runs, "http", "run.json"), "utf-8"));
    expect(record.api.corrector.stats).toMatchObject({ requests: 0, cacheHits: 270 });
  }, 60_000);
});

describe("errors", () => {
  it.each([
    ["invalid_json", null, "/v1/completions", "{not json"],
    ["invalid_type", null, "/v1/completions", [1, 2]],
    ["missing_field", "model", "/v1/completions", { prompt: "hi" }],
    ["invalid_type", "model", "/v1/completions", { model: 7, prompt: "hi" }],
    ["missing_field", "prompt", "/v1/completions", { model: "aligner" }],
    ["invalid_type", "prompt", "/v1/completions", { model: "aligner", prompt: 42 }],
    ["unsupported", "prompt", "/v1/completions", { model: "aligner", prompt: [1, 2, 3] }],
    ["invalid_type", "max_tokens", "/v1/completions", { model: "aligner", prompt: "hi", max_tokens: "16" }],
    ["invalid_value", "max_tokens", "/v1/completions", { model: "aligner", prompt: "hi", max_tokens: 0 }],
    ["invalid_value", "temperature", "/v1/completions", { model: "aligner", prompt: "hi", temperature: -1 }],
    ["invalid_value", "top_p", "/v1/completions", { model: "aligner", prompt: "hi", top_p: 0 }],
    ["invalid_type", "seed", "/v1/completions", { model: "aligner", prompt: "hi", seed: 1.5 }],
    ["unsupported", "n", "/v1/completions", { model: "aligner", prompt: "hi", n: 2 }],
    ["unsupported", "stream", "/v1/completions", { model: "aligner", prompt: "hi", stream: true }],
    ["invalid_value", "stop", "/v1/completions", { model: "aligner", prompt: "hi", stop: ["a", "b", "c", "d", "e"] }],
    ["context_length_exceeded", "prompt", "/v1/completions", { model: "aligner", prompt: "word ".repeat(400) }],
    ["invalid_type", "messages", "/v1/chat/completions", { model: "lm_unsafe", messages: [] }],
    ["invalid_value", "messages", "/v1/chat/completions", { model: "lm_unsafe", messages: [{ role: "system", content: "x" }] }],
    ["invalid_type", "messages[0].content", "/v1/chat/completions", { model: "lm_unsafe", messages: [{ role: "user", content: 5 }] }],
  ])("answers %s (param %s) on POST %s with 400 and a JSON error", async (code, param, path, body) => {
    const { status, json } = await call(path, { body });
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ message: expect.any(String), type: "invalid_request_error", code, param });
  });

  it("keeps a long prompt's last tokens when asked with truncate_prompt_tokens", async () => {
    const { status, json } = await call("/v1/completions", {
      body: { model: "aligner", prompt: "word ".repeat(400), max_tokens: 4, truncate_prompt_tokens: 100 },
    });
    expect(status).toBe(200);
    expect(json.usage.prompt_tokens).toBe(100);
  });

  it.each([
    ["an unknown model", "/v1/completions", { model: "gpt-4", prompt: "hi" }],
    ["a path as a model", "/v1/chat/completions", { model: "../../stages/aligner", messages: [{ role: "user", content: "hi" }] }],
    ["an unknown model id", "/v1/models/..%2F..%2Fetc%2Fpasswd", undefined],
    ["an unknown route", "/v1/embeddings", { model: "aligner", input: "hi" }],
  ])("answers %s with 404", async (_, path, body) => {
    const { status, json } = await call(path, { body });
    expect(status).toBe(404);
    expect(json.error).toMatchObject({ type: "invalid_request_error", code: expect.stringMatching(/^(model_not_found|not_found)$/) });
  });

  it("the openai client sees 404 for an unknown model", async () => {
    await expect(client.completions.create({ model: "nope", prompt: "hi" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it.each([
    ["no key", null],
    ["a wrong key", "sk-wrong"],
    ["a longer wrong key", `${KEY}x`],
  ])("answers a request with %s with 401", async (_, key) => {
    const { status, json } = await call("/v1/models", { key });
    expect(status).toBe(401);
    expect(json.error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    expect((await call("/v1/completions", { key, body: { model: "aligner", prompt: "hi" } })).status).toBe(401);
  });

  it("the openai client with a wrong key gets AuthenticationError; /health needs no key", async () => {
    const wrong = new OpenAI({ baseURL: server.url, apiKey: "sk-wrong", maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    expect(await call("/health", { key: null })).toEqual({ status: 200, json: { status: "ok" } });
  });

  it("compares keys only on the bearer token", () => {
    expect(keyMatches(`Bearer ${KEY}`, KEY)).toBe(true);
    expect(keyMatches(`bearer ${KEY}`, KEY)).toBe(true);
    expect(keyMatches(`Basic ${KEY}`, KEY)).toBe(false);
    expect(keyMatches(undefined, KEY)).toBe(false);
  });

  it("answers a body over 1 MiB with 413 and keeps serving", async () => {
    const { status, json } = await call("/v1/completions", { body: { model: "aligner", prompt: "a".repeat(1_200_000) } });
    expect(status).toBe(413);
    expect(json.error.code).toBe("request_too_large");
    expect((await complete("hello", 2)).text).toEqual(expect.any(String));
  });

  it("answers a wrong method with 405 and malformed HTTP with 400, and stays up", async () => {
    expect((await call("/v1/completions", { method: "GET" })).status).toBe(405);
    const raw = await new Promise<string>((resolve) => {
      const socket = connect(server.port, "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let text = "";
      socket.on("data", (d) => (text += d));
      socket.on("close", () => resolve(text));
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400/);
    expect((await call("/health")).status).toBe(200);
    expect(server.stats().server_errors).toBe(0);
  });
});

describe("the aligner serve command", () => {
  /** Runs the CLI in-process (for failures that return before serving). */
  async function cli(...argv: string[]) {
    let stderr = "";
    const code = await main(argv, { write: () => true } as never, { write: (s: string) => ((stderr += s), true) } as never);
    return { code, stderr };
  }

  it.each([
    [[], /serve: --run DIR is required/],
    [["--run", "/nonexistent/run"], /not a run folder/],
    [["--run", ".", "--port", "http"], /port must be an integer/],
  ])("rejects serve %j with exit code 2", async (argv, message) => {
    const { code, stderr } = await cli("serve", ...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it("prints its URL on stdout when ready, takes ALIGNER_API_KEY, and exits 0 with its counters on SIGTERM", async () => {
    const child = await spawnServe(dir, { ALIGNER_API_KEY: "sk-env", ALIGNER_LOG: "info" });
    const { url } = child;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect((await fetch(`${url}/models`)).status).toBe(401);
    const models = (await (await fetch(`${url}/models`, { headers: { authorization: "Bearer sk-env" } })).json()) as {
      data: { id: string }[];
    };
    expect(models.data.map((m) => m.id)).toContain("lm_unsafe");
    expect(await child.stop()).toBe(0);
    const { stdout, stderr } = child.output();
    expect(JSON.parse(stdout.trim().split("\n")[1]!)).toMatchObject({ requests: 2, ok: 1, client_errors: 1 });
    expect(stderr).toMatch(/SIGTERM: shutting down/);
  }, 30_000);
});
