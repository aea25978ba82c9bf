import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { apiConfig, ApiError, createApiClient, describeApi, retryAfterMs, type ApiConfig } from "../../../loaders/experiment/api/client.js";
import { createCorrector, createUpstream } from "../../../loaders/experiment/api/models.js";
import { ConfigError } from "../../../loaders/engine/settings.js";
import type { Logger } from "../../../loaders/engine/log.js";
import { wordTokens } from "../../../loaders/experiment/metrics.js";
import { renderPrompt, type TemplateId } from "../../../loaders/experiment/templates.js";
import { echoText, startMockOpenAI, type MockServer } from "../../_mock-openai.js";

const KEY = "sk-test-9f8e7d6c5b4a-DO-NOT-LEAK";
let server: MockServer;
let cacheDir: string;

beforeEach(async () => {
  server = await startMockOpenAI({ apiKey: KEY });
  cacheDir = mkdtempSync(join(tmpdir(), "aligner-api-"));
});
afterEach(() => server.close());

const config = (overrides: Partial<ApiConfig> = {}): ApiConfig => ({
  baseURL: server.url,
  model: "mock-model",
  apiKey: KEY,
  concurrency: 4,
  retries: 2,
  timeoutMs: 5000,
  cacheDir,
  ...overrides,
});
const fast = { backoffMs: 1 }; // retries without waiting in tests
const capture = () => {
  const lines: string[] = [];
  const log: Logger = { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m), debug: (m) => lines.push(m) };
  return { lines, log };
};

describe("apiConfig", () => {
  it("takes the URL, model and key from the environment over the preset slice", () => {
    const env = { ALIGNER_API_BASE_URL: "http://127.0.0.1:9/v1", ALIGNER_API_MODEL: "gpt-4", ALIGNER_API_KEY: "sk-x" };
    const c = apiConfig({ baseURL: "http://other/v1", concurrency: 2 }, { env });
    expect(c).toMatchObject({ baseURL: "http://127.0.0.1:9/v1", model: "gpt-4", apiKey: "sk-x", concurrency: 2, retries: 4 });
    expect(apiConfig({ baseURL: "http://h/v1", model: "m" }, { env: {} }).apiKey).toBeUndefined();
  });

  it("reads another prefix for a second API (the judge beside the upstream)", () => {
    const env = { ALIGNER_JUDGE_BASE_URL: "https://api.example/v1", ALIGNER_JUDGE_MODEL: "gpt-4" };
    expect(apiConfig({}, { env, prefix: "ALIGNER_JUDGE" })).toMatchObject({ baseURL: "https://api.example/v1", model: "gpt-4" });
  });

  it.each([
    [{ apiKey: "sk-in-a-preset", baseURL: "http://h/v1", model: "m" }, /unknown key "apiKey"/],
    [{ baseURL: "http://h/v1", model: "m", concurrency: "4" }, /"concurrency" must be number/],
    [{ baseURL: "http://h/v1", model: "m", concurrency: 0 }, /"concurrency" must be an integer ≥ 1/],
    [{ baseURL: "http://h/v1", model: "m", retries: -1 }, /"retries" must be an integer ≥ 0/],
    [{ model: "m" }, /no baseURL .*ALIGNER_API_BASE_URL/],
    [{ baseURL: "h:1/v1", model: "m" }, /must start with http/],
    [{ baseURL: "http://h/v1" }, /no model .*ALIGNER_API_MODEL/],
  ])("rejects the slice %j", (slice, message) => {
    expect(() => apiConfig(slice, { env: {} })).toThrow(ConfigError);
    expect(() => apiConfig(slice, { env: {} })).toThrow(message);
  });

  it("describes a config without its key", () => {
    expect(JSON.stringify(describeApi(config()))).not.toContain(KEY);
    expect(describeApi(config())).toMatchObject({ baseURL: server.url, model: "mock-model" });
  });

  it("reads Retry-After as seconds, an HTTP date, or retry-after-ms", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": new Date(10_000).toUTCString() }), 4000)).toBe(6000);
    expect(retryAfterMs(new Headers({ "retry-after-ms": "150", "retry-after": "9" }))).toBe(150);
    expect(retryAfterMs(new Headers({}))).toBeNull();
  });
});

describe("upstream and corrector", () => {
  it("asks the upstream for an answer over chat completions with the bearer key", async () => {
    server.script({ text: "Paris." });
    const upstream = createUpstream(config(), { system: "Be brief.", maxTokens: 64 });
    expect(await upstream.answer("What is the capital of France?")).toBe("Paris.");
    const [request] = server.requests;
    expect(request!.path).toBe("/v1/chat/completions");
    expect(request!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request!.body).toEqual({
      model: "mock-model",
      max_tokens: 64,
      temperature: 0,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "What is the capital of France?" },
      ],
    });
  });

  it.each<TemplateId>(["aligner-v1.0", "correction-2024-12"])(
    "sends the corrector the rendered %s template over completions",
    async (template) => {
      server.script({ text: "  A safer answer.\n" });
      const corrector = createCorrector(config(), { template, stop: ["</s>"] });
      expect(await corrector.correct("How do I pick a lock?", "Use a pin.")).toBe("A safer answer."); // trimmed
      const [request] = server.requests;
      expect(request!.path).toBe("/v1/completions");
      expect(request!.body).toEqual({
        model: "mock-model",
        prompt: renderPrompt(template, "How do I pick a lock?", "Use a pin."),
        max_tokens: 512,
        temperature: 0,
        stop: ["</s>"],
      });
      expect(corrector.template).toBe(template);
    },
  );

  it("sends no authorization header without a key", async () => {
    const open = await startMockOpenAI();
    try {
      await createUpstream(config({ baseURL: `${open.url}/`, apiKey: undefined })).answer("hi"); // a trailing slash is fine
      expect(open.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await open.close();
    }
  });

  it("sums tokens from usage, and estimates them with wordTokens without it", async () => {
    const upstream = createUpstream(config());
    server.script({ body: { choices: [{ message: { content: "x" } }], usage: { prompt_tokens: 11, completion_tokens: 7 } } });
    await upstream.answer("one");
    server.script({ text: "three word reply", noUsage: true });
    await upstream.answer("two words");
    expect(upstream.stats()).toEqual({
      requests: 2,
      retries: 0,
      cacheHits: 0,
      estimated: 1,
      promptTokens: 11 + wordTokens("two words").length,
      completionTokens: 7 + wordTokens("three word reply").length,
    });
  });
});

describe("the response cache", () => {
  it("makes zero requests on a rerun and counts no tokens for it", async () => {
    const questions = ["q1", "q2", "q3"];
    const first = createUpstream(config());
    const answers = await Promise.all(questions.map((q) => first.answer(q)));
    expect(server.requests).toHaveLength(3);
    const again = createUpstream(config({ apiKey: "sk-another-key" })); // the key is not part of the cache key
    expect(await Promise.all(questions.map((q) => again.answer(q)))).toEqual(answers);
    expect(server.requests).toHaveLength(3);
    expect(again.stats()).toMatchObject({ requests: 0, cacheHits: 3, promptTokens: 0, completionTokens: 0 });
  });

  it("keys on the model, the base URL and the body", async () => {
    await createUpstream(config()).answer("q");
    await createUpstream(config({ model: "other-model" })).answer("q");
    await createUpstream(config(), { temperature: 0.7 }).answer("q");
    expect(server.requests).toHaveLength(3);
    const elsewhere = await startMockOpenAI();
    try {
      await createUpstream(config({ baseURL: elsewhere.url })).answer("q");
      expect(elsewhere.requests).toHaveLength(1);
    } finally {
      await elsewhere.close();
    }
  });

  it("sends one request for the same question asked twice at once", async () => {
    server.handler = () => ({ delayMs: 30 });
    const upstream = createUpstream(config());
    const [a, b] = await Promise.all([upstream.answer("same"), upstream.answer("same")]);
    expect(a).toBe(b);
    expect(server.requests).toHaveLength(1);
  });

  it("does not cache a reply of the wrong shape", async () => {
    server.script({ body: { choices: [] } });
    const upstream = createUpstream(config());
    await expect(upstream.answer("q")).rejects.toThrow(/\/v1\/chat\/completions: unexpected reply \(no choices\[0\]\.message\.content/);
    expect(await upstream.answer("q")).toBe("echo: q");
    expect(server.requests).toHaveLength(2);
  });
});

describe("retries, timeouts and the concurrency limit", () => {
  it("retries 500s and a dropped connection, then succeeds", async () => {
    server.script({ status: 500 }, { hangUp: true }, { status: 503 }, { text: "finally" });
    const upstream = createUpstream(config({ retries: 3 }), fast);
    expect(await upstream.answer("q")).toBe("finally");
    expect(server.requests).toHaveLength(4);
    expect(upstream.stats()).toMatchObject({ requests: 4, retries: 3 });
  });

  it("waits as long as a 429's Retry-After asks", async () => {
    server.script({ status: 429, headers: { "retry-after": "1" } }, { text: "ok" });
    const started = Date.now();
    expect(await createUpstream(config(), fast).answer("q")).toBe("ok");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it("throws an error naming the URL and the status once retries run out", async () => {
    server.handler = () => ({ status: 503 });
    const { lines, log } = capture();
    const error = await createUpstream(config({ retries: 2 }), { ...fast, log })
      .answer("q")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ url: `${server.url}/chat/completions`, status: 503, attempts: 3 });
    expect((error as Error).message).toMatch(new RegExp(`POST ${server.url}/chat/completions failed after 3 attempts: HTTP 503`));
    expect(server.requests).toHaveLength(3);
    expect(lines.filter((l) => l.includes("retry"))).toHaveLength(2);
  });

  it("does not retry a client error", async () => {
    const error = await createUpstream(config({ apiKey: "sk-wrong" }), fast)
      .answer("q")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ApiError", status: 401, attempts: 1 });
    expect((error as Error).message).toContain(`${server.url}/chat/completions failed: HTTP 401`);
    expect(server.requests).toHaveLength(1);
  });

  it("times a slow reply out, and retries it", async () => {
    server.handler = () => ({ delayMs: 3000 });
    const started = Date.now();
    await expect(createUpstream(config({ timeoutMs: 100, retries: 0 })).answer("q")).rejects.toThrow(
      /failed after 1 attempt: network error: timed out after 100 ms/,
    );
    expect(Date.now() - started).toBeLessThan(1500);
    server.script({ delayMs: 3000 }, { text: "quick" });
    expect(await createUpstream(config({ timeoutMs: 100, retries: 1 }), fast).answer("q2")).toBe("quick");
  });

  it.each([1, 3])("keeps at most %i requests in flight", async (concurrency) => {
    server.handler = () => ({ delayMs: 60 });
    const corrector = createCorrector(config({ concurrency }));
    const questions = Array.from({ length: 9 }, (_, i) => `question ${i}`);
    const corrections = await Promise.all(questions.map((q) => corrector.correct(q, "an answer")));
    expect(corrections[4]).toBe(echoText({ prompt: renderPrompt("aligner-v1.0", "question 4", "an answer") }).trim());
    expect(server.requests).toHaveLength(9);
    expect(server.peak).toBe(concurrency);
  });
});

describe("the key", () => {
  it("never reaches cache files, stats, logs or errors", async () => {
    const { lines, log } = capture();
    const upstream = createUpstream(config(), { log, ...fast });
    const corrector = createCorrector(config(), { log, ...fast });
    server.script({ status: 500, body: `upstream echoed ${KEY}` }); // a server that echoes the key back
    await upstream.answer("q");
    await corrector.correct("q", "a");
    server.handler = () => ({ status: 502, body: `bad gateway for ${KEY}` });
    const error = (await upstream.answer("fails").catch((e: unknown) => e)) as Error;
    expect(error.message).toContain("bad gateway for ***");
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${KEY}`)).toBe(true);
    const files = readdirSync(cacheDir);
    expect(files.length).toBe(2);
    const written = files.map((f) => readFileSync(join(cacheDir, f), "utf-8")).join("\n");
    for (const text of [
      written,
      JSON.stringify([upstream.stats(), corrector.stats()]),
      lines.join("\n"),
      error.message,
      error.stack ?? "",
    ]) {
      expect(text).not.toContain(KEY);
    }
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe("the mock server", () => {
  it("speaks the protocol the official openai client expects", async () => {
    const client = new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 });
    server.script({ text: "Hello there." });
    const chat = await client.chat.completions.create({ model: "mock-model", messages: [{ role: "user", content: "Hi" }] });
    expect(chat.choices[0]!.message.content).toBe("Hello there.");
    expect(chat.usage?.completion_tokens).toBe(2);
    const completion = await client.completions.create({ model: "mock-model", prompt: "BEGINNING OF CONVERSATION:" });
    expect(completion.choices[0]!.text).toBe("echo: BEGINNING OF CONVERSATION:");
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${KEY}`, `Bearer ${KEY}`]);
    const wrong = new OpenAI({ baseURL: server.url, apiKey: "sk-wrong", maxRetries: 0 });
    await expect(wrong.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Hi" }] })).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    server.script({ status: 429, headers: { "retry-after": "0" } });
    await expect(client.completions.create({ model: "m", prompt: "x" })).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("serves the library client and the openai client the same reply", async () => {
    const ours = await createApiClient(config()).post(
      "/chat/completions",
      { model: "m", messages: [{ role: "user", content: "same" }] },
      {
        prompt: "same",
        read: (json) => JSON.stringify(json.choices),
      },
    );
    const theirs = await new OpenAI({ baseURL: server.url, apiKey: KEY, maxRetries: 0 }).chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "same" }],
    });
    expect(JSON.parse(ours.text)).toEqual(JSON.parse(JSON.stringify(theirs.choices)));
  });
});
