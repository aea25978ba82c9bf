// The `api` slice of a preset and loaders/experiment/api/remote.ts: config checks, the environment, and a mixed run
// (world questions, an API upstream, the local Aligner, the paper's pairwise judge over HTTP) against
// a scripted OpenAI-compatible server. test/serve.test.ts runs the `http` preset against `aligner serve`.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS, loadPreset, validateConfig, type Config } from "../../../loaders/experiment/config.js";
import { ConfigError, mergeConfig } from "../../../loaders/engine/settings.js";
import { resolveClient } from "../../../loaders/experiment/api/remote.js";
import { materializeRun } from "../../../loaders/tables/materialize.js";
import { type RunRecord } from "../../../loaders/experiment/pipeline/runs.js";
import { fromArrow } from "../../../loaders/tables/format.js";
import { startMockOpenAI, type MockServer } from "../../_mock-openai.js";

const check = (api: unknown) => validateConfig(mergeConfig(DEFAULTS, { api }, "p.json"), "p.json");

describe("the api slice of a preset", () => {
  it("is off by default: no upstreams, the local Aligner, the oracle", () => {
    expect(DEFAULTS.api).toMatchObject({ upstreams: [], corrector: { use: "local" }, judge: { use: "oracle" } });
  });

  it("fills each upstream's defaults and rejects bad names, repeats, unknown keys and enums, naming the key", () => {
    const ok = check({ upstreams: [{ name: "gpt", baseURL: "http://x/v1", model: "m" }] });
    expect(ok.api.upstreams[0]).toMatchObject({ name: "gpt", concurrency: 8, retries: 4, maxTokens: 64, system: "" });
    expect(() => check({ upstreams: [{ name: "a b" }] })).toThrow(/"api.upstreams\[0\].name" must be letters/);
    expect(() => check({ upstreams: [{ name: "a" }, { name: "a" }] })).toThrow(/"api.upstreams\[1\].name" repeats "a"/);
    expect(() => check({ upstreams: [{ name: "a", apiKey: "sk" }] })).toThrow(/p.json: unknown key "api.upstreams\[0\].apiKey"/);
    expect(() => check({ corrector: { use: "remote" } })).toThrow(/"api.corrector.use" must be local\|api/);
    expect(() => check({ judge: { use: "gpt" } })).toThrow(/"api.judge.use" must be oracle\|api/);
    expect(() => check({ corrector: { template: "nope" } })).toThrow(/"api.corrector.template" must be one of aligner-v1.0/);
    expect(() => check({ judge: { maxTokens: 0 } })).toThrow(/"api.judge.maxTokens" must be a positive integer/);
    expect(() => check({ corrector: { apiKey: "sk" } })).toThrow(ConfigError);
  });

  it("the http preset loads: an API upstream and an API corrector, no local training beyond the tokenizer", () => {
    const { config } = loadPreset("http");
    expect(config.api.upstreams.map((u) => u.model)).toEqual(["lm_unsafe"]);
    expect(config.api.corrector).toMatchObject({ use: "api", model: "aligner", truncatePromptTokens: 128 });
    expect(config.zoo.models).toEqual([]);
  });

  it("takes base URLs and keys from the environment; upstream models only from the preset", () => {
    const slice = check({ upstreams: [{ name: "u", baseURL: "http://preset/v1", model: "from-preset" }] }).api;
    const env = {
      ALIGNER_UPSTREAM_BASE_URL: "http://env/v1",
      ALIGNER_UPSTREAM_KEY: "sk-u",
      ALIGNER_UPSTREAM_MODEL: "ignored",
      ALIGNER_JUDGE_MODEL: "gpt-4",
      ALIGNER_JUDGE_BASE_URL: "https://judge/v1",
    };
    const upstream = resolveClient(slice.upstreams[0]!, "upstream", { cacheDir: "/c", env });
    expect(upstream).toMatchObject({ baseURL: "http://env/v1", model: "from-preset", apiKey: "sk-u", cacheDir: "/c" });
    expect(resolveClient(slice.judge, "judge", { cacheDir: "/c", env })).toMatchObject({ baseURL: "https://judge/v1", model: "gpt-4" });
    expect(() => resolveClient(slice.corrector, "corrector", { cacheDir: "/c", env: {}, where: "p.json: api.corrector" })).toThrow(
      /p.json: api.corrector: no baseURL \(set it in the preset or ALIGNER_CORRECTOR_BASE_URL\)/,
    );
  });
});

describe("a mixed run: world questions, an API upstream, the local Aligner, an API judge", () => {
  let mock: MockServer;
  let root: string;
  let record: RunRecord;
  let config: Config;
  const KEY = "sk-secret-mixed";
  const VERDICTS = ["[[responseA]]", "The first is better. [[responseB]]", "[[Equal]]", "I prefer A"]; // the last is malformed
  const table = (name: string) => fromArrow(readFileSync(join(root, "mixed", "tables", `${name}.arrow`)));

  beforeAll(async () => {
    mock = await startMockOpenAI({ apiKey: KEY });
    mock.handler = ({ body }, i) => {
      if (body.model === "judge-model") return { text: VERDICTS[i % VERDICTS.length] };
      const question = (body.messages as { content: string }[]).at(-1)!.content;
      return { text: `I think the answer to "${question.slice(0, 20)}" is 42.` };
    };
    root = mkdtempSync(join(tmpdir(), "aligner-remote-"));
    process.env.ALIGNER_RUNS = root;
    process.env.ALIGNER_UPSTREAM_KEY = KEY;
    process.env.ALIGNER_JUDGE_KEY = KEY;
    const tiny = loadPreset("tiny").config;
    config = validateConfig(
      mergeConfig(
        tiny,
        {
          world: { testQuestions: 12 },
          zoo: { models: [] },
          warmupSweep: { fractions: [] },
          w2s: { enabled: false },
          api: {
            upstreams: [{ name: "mock", baseURL: mock.url, model: "mock-model", maxTokens: 24 }],
            judge: { use: "api", baseURL: mock.url, model: "judge-model" },
          },
        },
        "mixed",
      ),
      "mixed",
    );
    record = await materializeRun({ name: "mixed", file: "mixed.json", config });
  }, 180_000);

  afterAll(async () => {
    await mock?.close();
    delete process.env.ALIGNER_UPSTREAM_KEY;
    delete process.env.ALIGNER_JUDGE_KEY;
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("adds the API upstream's answers as a held-out upstream, corrected by the local Aligner and scored by the oracle", () => {
    const rows = table("corrections").filter((r) => r.upstream === "api:mock" && r.method === "aligner");
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.upstream_kind === "heldout" && String(r.answer).startsWith("I think the answer to"))).toBe(true);
    expect(rows.every((r) => typeof r.helpful_before === "number" && typeof r.correction === "string")).toBe(true);
    const summary = table("summary").filter((r) => r.upstream === "api:mock" && r.category === "all");
    expect(new Set(summary.map((r) => r.method))).toEqual(new Set(["aligner", "aligner+copy-rule", "always-copy", "gold"]));
    const chats = mock.requests.filter((r) => r.body.model === "mock-model");
    expect(chats).toHaveLength(12);
    expect(chats[0]!.body).toMatchObject({ max_tokens: 24, temperature: 0 });
  });

  it("judges every first-round correction of the paper's Aligner on both dimensions, maps A/B through the recorded order, and counts malformed replies", () => {
    const corrections = table("corrections").filter((r) => r.method === "aligner");
    const judgements = table("judgements");
    expect(judgements).toHaveLength(2 * corrections.length);
    const judged = mock.requests.filter((r) => r.body.model === "judge-model").map((r) => JSON.stringify(r.body));
    expect(new Set(judged).size).toBe(judged.length); // identical comparisons (same texts, same order) are asked once
    expect(judged.length).toBeGreaterThan(0.9 * judgements.length);
    for (const j of judgements) {
      if (j.token === null) {
        expect(j).toMatchObject({ malformed: true, verdict: null, agree: null });
        continue;
      }
      const correctionNamed = (j.token === "responseA") === (j.order === "correction-first");
      const expected =
        j.token === "Equal" ? "tie" : j.dimension === "helpful" ? (correctionNamed ? "win" : "lose") : correctionNamed ? "lose" : "win";
      expect(j.verdict).toBe(expected);
      expect(j.agree).toBe(j.verdict === j.oracle_verdict);
    }
    const orders = new Set(judgements.map((j) => j.order));
    expect(orders).toEqual(new Set(["answer-first", "correction-first"]));
    expect(record.api!.judge!.malformed).toBe(judgements.filter((j) => j.malformed).length);
    expect(record.api!.judge!.malformed).toBeGreaterThan(0);
  });

  it("records the clients (never the key) and what they spent; a rerun sends nothing", async () => {
    expect(record.api!.upstreams[0]).toMatchObject({
      name: "api:mock",
      config: { model: "mock-model", baseURL: mock.url },
      stats: { requests: 12, cacheHits: 0 },
    });
    expect(record.api!.corrector).toBeNull();
    expect(readFileSync(join(root, "mixed", "run.json"), "utf-8")).not.toContain(KEY);
    const sent = mock.requests.length;
    const again = await materializeRun({ name: "mixed", file: "mixed.json", config });
    expect(mock.requests.length).toBe(sent);
    expect(again.api!.upstreams[0]!.stats).toMatchObject({ requests: 0, cacheHits: 12 });
    expect(again.api!.judge!.stats).toMatchObject({
      requests: 0,
      cacheHits: 2 * table("corrections").filter((r) => r.method === "aligner").length,
    });
    expect(again.headline).toBe(record.headline);
  }, 60_000);
});
