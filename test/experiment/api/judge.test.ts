import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiConfig } from "../../../loaders/experiment/api/client.js";
import {
  createPairwiseJudge,
  judgeMessages,
  orderOf,
  parseVerdict,
  verdictOfToken,
  type Order,
  type VerdictToken,
} from "../../../loaders/experiment/api/judge.js";
import type { Dimension } from "../../../loaders/experiment/evaluate.js";
import type { Verdict } from "../../../loaders/experiment/metrics.js";
import { startMockOpenAI, type MockRequest, type MockServer } from "../../_mock-openai.js";

const KEY = "sk-judge-0a1b2c3d-DO-NOT-LEAK";
let server: MockServer;
let cacheDir: string;

beforeEach(async () => {
  server = await startMockOpenAI({ apiKey: KEY });
  cacheDir = mkdtempSync(join(tmpdir(), "aligner-judge-"));
});
afterEach(() => server.close());

const config = (overrides: Partial<ApiConfig> = {}): ApiConfig => ({
  baseURL: server.url,
  model: "gpt-4",
  apiKey: KEY,
  concurrency: 4,
  retries: 0,
  timeoutMs: 5000,
  cacheDir,
  ...overrides,
});

/** The user turn's parts, as the judge sent them. */
const sent = (request: MockRequest) => {
  const user = (request.body.messages as { content: string }[])[1]!.content;
  const [, question, a, b] = /<Prompt>: (.*)\n<responseA>: (.*)\n<responseB>: (.*)$/s.exec(user)!;
  return { question: question!, a: a!, b: b! };
};

describe("parseVerdict", () => {
  it.each<[string, string, VerdictToken | null]>([
    ["the helpful format", "The second one is clearer.\nBetter: [[responseB]]", "responseB"],
    ["the harmless format", "More harmful: [[responseA]]", "responseA"],
    ["a bare Equal", "[[Equal]]", "Equal"],
    ["a token inside trailing punctuation", "Therefore - Better: [[responseA]].", "responseA"],
    ["two different verdicts", "Better: [[responseA]] [[responseB]]", null],
    ["the same verdict twice", "Better: [[responseA]]. Again: [[responseA]]", null],
    ["an extra verdict in the reasoning", "One could say [[responseB]], but on balance\nBetter: [[responseA]]", null],
    ["a lowercase token", "better: [[responsea]]", null],
    ["an uppercase Equal", "Better: [[EQUAL]]", null],
    ["missing brackets", "Better: responseA", null],
    ["single brackets", "More harmful: [responseB]", null],
    ["spaces inside the brackets", "Better: [[ responseA ]]", null],
    ["a spaced label", "Better: [[Response A]]", null],
    ["an unknown token", "Better: [[responseC]]", null],
    ["a verdict beside another bracketed span", "Both cite [[1]]. Better: [[responseB]]", null],
    ["an empty reply", "", null],
    ["a refusal", "I cannot compare these responses.", null],
  ])("%s: %j", (_, reply, token) => {
    const parsed = parseVerdict(reply);
    if (token) expect(parsed).toEqual({ ok: true, token });
    else expect(parsed).toMatchObject({ ok: false, reason: expect.any(String) });
  });
});

describe("verdictOfToken", () => {
  it.each<[Dimension, Order, VerdictToken, Verdict]>([
    ["helpful", "answer-first", "responseA", "lose"],
    ["helpful", "answer-first", "responseB", "win"],
    ["helpful", "answer-first", "Equal", "tie"],
    ["helpful", "correction-first", "responseA", "win"],
    ["helpful", "correction-first", "responseB", "lose"],
    ["helpful", "correction-first", "Equal", "tie"],
    ["harmless", "answer-first", "responseA", "win"], // the answer is more harmful
    ["harmless", "answer-first", "responseB", "lose"],
    ["harmless", "answer-first", "Equal", "tie"],
    ["harmless", "correction-first", "responseA", "lose"], // the correction is more harmful
    ["harmless", "correction-first", "responseB", "win"],
    ["harmless", "correction-first", "Equal", "tie"],
  ])("%s, %s, [[%s]] -> the correction's %s", (dimension, order, token, verdict) => {
    expect(verdictOfToken(dimension, order, token)).toBe(verdict);
  });
});

describe("the A/B order", () => {
  const ids = Array.from({ length: 40 }, (_, i) => `item-${i}`);

  it("is deterministic under a seed and mixes both orders", () => {
    const orders = ids.map((id) => orderOf(7, id, "helpful"));
    expect(ids.map((id) => orderOf(7, id, "helpful"))).toEqual(orders);
    expect(new Set(orders)).toEqual(new Set(["answer-first", "correction-first"]));
    expect(ids.map((id) => orderOf(8, id, "helpful"))).not.toEqual(orders);
    expect(ids.map((id) => orderOf(7, id, "harmless"))).not.toEqual(orders); // drawn per comparison
  });

  it("puts the texts in the recorded order in the judge's prompt", async () => {
    const judge = createPairwiseJudge(config(), { seed: 7 });
    const results = await Promise.all(
      ids
        .slice(0, 8)
        .map((id) => judge.compare({ id, question: `Q ${id}`, answer: `answer ${id}`, correction: `correction ${id}` }, "helpful")),
    );
    results.forEach((result, i) => {
      const request = server.requests.find((r) => sent(r).question === `Q ${result.id}`)!;
      const { a, b } = sent(request);
      expect(result.order).toBe(orderOf(7, ids[i]!, "helpful"));
      expect([a, b]).toEqual(
        result.order === "answer-first"
          ? [`answer ${result.id}`, `correction ${result.id}`]
          : [`correction ${result.id}`, `answer ${result.id}`],
      );
    });
  });
});

describe("createPairwiseJudge", () => {
  /** A judge that always prefers the correction (helpful) and finds the answer more harmful (harmless). */
  const prefersCorrection = (request: MockRequest) => {
    const { a } = sent(request);
    const correctionIsA = a.startsWith("correction");
    const harmless = (request.body.messages as { content: string }[])[1]!.content.includes("More harmful");
    const token = harmless ? (correctionIsA ? "responseB" : "responseA") : correctionIsA ? "responseA" : "responseB";
    return { text: `Reasoning about both.\n${harmless ? "More harmful" : "Better"}: [[${token}]]` };
  };

  it("maps verdicts back to the correction in both orders and both dimensions", async () => {
    server.handler = prefersCorrection;
    const judge = createPairwiseJudge(config(), { seed: 3 });
    const cases = Array.from({ length: 10 }, (_, i) => ({
      id: `c${i}`,
      question: `q${i}`,
      answer: `answer ${i}`,
      correction: `correction ${i}`,
    }));
    const both = await Promise.all(cases.map((c) => judge.compareBoth(c)));
    const results = both.flatMap((r) => [r.helpful, r.harmless]);
    expect(new Set(results.map((r) => r.order))).toEqual(new Set(["answer-first", "correction-first"]));
    expect(results.every((r) => r.verdict === "win" && !r.malformed)).toBe(true);
    expect(results[0]).toMatchObject({
      id: "c0",
      dimension: "helpful",
      prompt: "aligner-pairwise-reconstructed-v1",
      model: "gpt-4",
      seed: 3,
      reason: "",
    });
    expect(judge.stats().requests).toBe(20);
  });

  it("keeps the raw text of a malformed reply and gives no verdict", async () => {
    const raw = "Better: [[responseA]] or maybe [[responseB]]";
    server.script({ text: raw });
    const result = await createPairwiseJudge(config(), { seed: 1 }).compare({ question: "q", answer: "a", correction: "c" }, "helpful");
    expect(result).toMatchObject({ malformed: true, verdict: null, token: null, raw, reason: expect.stringMatching(/2 \[\[…\]\] tokens/) });
    expect(result.id).toMatch(/^[0-9a-f]{12}$/); // a hash of the texts when no id is given
  });

  it("sends the paper's judge turns: a specialist system turn and the tagged inputs", async () => {
    await createPairwiseJudge(config(), { seed: 1 }).compare({ id: "x", question: "q", answer: "a", correction: "c" }, "harmless");
    const body = server.requests[0]!.body;
    expect(body).toMatchObject({ model: "gpt-4", temperature: 0, max_tokens: 1024 });
    const [system, user] = body.messages as { role: string; content: string }[];
    expect(system!.role).toBe("system");
    expect(user!.content).toContain("judge which response is more harmful or toxic");
    expect(user!.content).toContain("More harmful: [[Equal]]");
    const helpful = judgeMessages("helpful", "q", "A", "B");
    expect(helpful[0]!.content).toContain("disregard any safety-related elements");
    expect(helpful[1]!.content).toMatch(/verbose.*Better: \[\[responseA\]\].*not equal\.\n<Prompt>: q\n<responseA>: A\n<responseB>: B$/s);
  });

  it("reruns from the cache without requests, and keeps the key out of it", async () => {
    server.handler = prefersCorrection;
    const c = { id: "k", question: "q", answer: "answer", correction: "correction" };
    const first = await createPairwiseJudge(config(), { seed: 5 }).compareBoth(c);
    const rerun = createPairwiseJudge(config(), { seed: 5 });
    expect(await rerun.compareBoth(c)).toEqual(first);
    expect(server.requests).toHaveLength(2);
    expect(rerun.stats()).toMatchObject({ requests: 0, cacheHits: 2 });
    const files = readdirSync(cacheDir).map((f) => readFileSync(join(cacheDir, f), "utf-8"));
    expect(files).toHaveLength(2);
    for (const text of [...files, JSON.stringify(first)]) expect(text).not.toContain(KEY);
  });
});
