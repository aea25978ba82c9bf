// The Playground in Debian's Chromium, offline: the page loads the tiny run's Aligner from the site's
// own files, corrects a fixed (question, answer) to exactly the tokens the Node engine decodes from the
// same checkpoint files with the same settings (greedy, and sampled), shows the oracle's verdict, and
// the Residuals explorer's "try" link fills its form. It also measures the model's bytes, the time to
// the first token and tokens/s in Chromium (test/artifacts/playground-speed.json).
// ALIGNER_PLAYGROUND_SITE=DIR reuses a built site instead of building one with the tiny preset; with
// ALIGNER_PLAYGROUND_PRESET=NAME (default tiny) that site may publish another preset's Aligner, e.g. to
// measure the default Aligner's bytes, time to first token and tokens/s.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, CHROMIUM, buildSite, openBrowser, serveDir, type Browser } from "../_browser.js";
import { useBackend } from "../_tf.js";
import { disposeModel, type GPT } from "../../loaders/engine/model.js";
import { loadCheckpoint } from "../../loaders/engine/checkpoint.js";
import type { Tokenizer } from "../../loaders/engine/tokenizer/bpe.js";
import { fromTokenizerJson } from "../../loaders/engine/tokenizer/json.js";
import { correctAnswers } from "../../loaders/experiment/aligner.js";
import { silentLogger } from "../../loaders/engine/log.js";
import type { TemplateId } from "../../loaders/experiment/templates.js";
import type { PlaygroundMeta } from "../../loaders/tables/playground.js";
import type { PlaygroundItem } from "../../loaders/tables/playground-core.js";
import { compare, judge } from "../../loaders/world/oracle.js";
import { readArrowRows } from "../fixtures/tables.js";

const hasChromium = existsSync(CHROMIUM);

describe.skipIf(!hasChromium)("the Playground in Chromium", () => {
  let dist: string;
  let runs: string | undefined;
  let server: Server;
  let base: string;
  let browser: Browser;
  let meta: PlaygroundMeta;
  let items: PlaygroundItem[];
  let model: GPT;
  let tok: Tokenizer;

  /** A file the site publishes under _file/data/<dir>/, by its name before the content hash. */
  const published = (dir: string, name: string): string => {
    const folder = join(dist, "_file", "data", dir);
    const [stem, ext] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf("."))];
    const file = readdirSync(folder).find((f) => f.startsWith(`${stem}.`) && f.endsWith(ext) && /\.[0-9a-f]{8}\./.test(f));
    if (!file) throw new Error(`${folder}: no ${name}`);
    return join(folder, file);
  };

  beforeAll(async () => {
    if (process.env.ALIGNER_PLAYGROUND_SITE) dist = process.env.ALIGNER_PLAYGROUND_SITE;
    else {
      runs = mkdtempSync(join(tmpdir(), "aligner-playground-runs-"));
      dist = await buildSite("playground", { ALIGNER_PRESET: "tiny", ALIGNER_RUNS: runs });
    }
    meta = JSON.parse(readFileSync(published("playground", "meta.json"), "utf-8")) as PlaygroundMeta;
    items = JSON.parse(readFileSync(published("playground", "items.json"), "utf-8")) as PlaygroundItem[];
    // The Node side: the engine's own loader on the very files the site publishes.
    const checkpoint = mkdtempSync(join(tmpdir(), "aligner-playground-model-"));
    for (const f of ["model.safetensors", "config.json", "tokenizer.json"]) copyFileSync(published("playground", f), join(checkpoint, f));
    await useBackend("wasm");
    ({ model } = await loadCheckpoint(checkpoint));
    tok = fromTokenizerJson(JSON.parse(readFileSync(join(checkpoint, "tokenizer.json"), "utf-8")));
    rmSync(checkpoint, { recursive: true, force: true });
    ({ server, base } = await serveDir(dist));
    browser = await openBrowser();
  }, 600_000);

  afterAll(async () => {
    if (model) disposeModel(model);
    await browser?.close();
    server?.close();
    if (runs) rmSync(runs, { recursive: true, force: true });
  });

  /** What the Node engine returns for one pair: the decoded token ids and the correction (after the run's copy rule when `copy`). */
  function nodeCorrection(question: string, answer: string, decoding: { temperature: number; seed: number }, { copy = false } = {}) {
    const tokens: number[] = [];
    const { rounds } = correctAnswers(model, tok, [{ question, answer }], meta.template as TemplateId, {
      decoding: { ...meta.decoding!, batchSize: 1, ...decoding },
      rounds: 1,
      log: silentLogger,
      copyCandidate: copy && meta.copy_candidate,
      copyRule: meta.copy_rule!,
      onToken: (_row, id) => tokens.push(id),
    });
    return { tokens, correction: rounds[0]![0]!.text };
  }

  async function openPlayground(path = "/playground") {
    const { page } = browser;
    await page.goto(`${base}${path}`, { waitUntil: "load" });
    await page.locator("#playground-status[data-state=ready]").waitFor({ timeout: 120_000 });
  }

  async function correct(question: string, answer: string) {
    const { page } = browser;
    await page.locator("#playground-question textarea").fill(question);
    await page.locator("#playground-answer textarea").fill(answer);
    // The previous correction's card stays "done" until the page renders the new one: mark it, so the wait
    // below cannot return the last result's tokens (a race that once read 32 tokens for an 8-token limit).
    await page.evaluate(() => document.querySelectorAll("#playground-result").forEach((el) => el.setAttribute("data-stale", "")));
    await page.locator("#playground-correct button").click();
    const result = page.locator("#playground-result[data-state=done]:not([data-stale])");
    await result.waitFor({ timeout: 120_000 });
    return {
      tokens: JSON.parse((await result.getAttribute("data-tokens"))!) as number[],
      correction: (await result.getAttribute("data-correction"))!,
    };
  }

  const decodingInput = (label: string) =>
    browser.page.locator(".playground-decoding > *", { hasText: label }).locator("input[type=number]").first();

  it("publishes the tiny run's Aligner within the size guard", () => {
    expect(meta.enabled).toBe(true);
    expect(meta.preset).toBe(process.env.ALIGNER_PLAYGROUND_PRESET ?? "tiny");
    expect(meta.bytes.total).toBe(meta.bytes["model.safetensors"] + meta.bytes["config.json"] + meta.bytes["tokenizer.json"]);
    expect(meta.bytes.total).toBeLessThanOrEqual(meta.bytes.limit);
    expect(readFileSync(published("playground", "model.safetensors")).byteLength).toBe(meta.bytes["model.safetensors"]);
  });

  it("corrects a fixed (question, answer) to exactly the Node engine's tokens, greedy and sampled, with the oracle's verdict", async () => {
    const { page, problems, external } = browser;
    problems.length = 0;
    const item = items.find((i) => i.split === "test" && i.facts.kind === "number")!;
    const question = item.question;
    const answer = "I am not sure, but I think it is 7. Hope this helps!";
    const t0 = Date.now();
    await openPlayground();
    const loadMs = Date.now() - t0;
    expect(await page.locator("#playground-status").getAttribute("data-backend")).toBe("wasm");

    const greedy = await correct(question, answer);
    const node = nodeCorrection(question, answer, { temperature: meta.decoding!.temperature, seed: meta.seed! });
    expect(node.tokens.length).toBeGreaterThan(0);
    expect(greedy).toEqual(node);
    const speed = page.locator("#playground-speed");
    const measured = {
      model_bytes: meta.bytes.total,
      backend: await speed.getAttribute("data-backend"),
      tokens: greedy.tokens.length,
      ttft_ms: Number(await speed.getAttribute("data-ttft-ms")),
      tokens_per_s: Number(await speed.getAttribute("data-tokens-per-s")),
      page_to_model_loaded_ms: loadMs,
    };

    // The oracle: the page's verdict and reasons are the world oracle's on the same texts.
    const verdict = compare(item, node.correction, answer);
    const oracle = page.locator("#playground-oracle");
    expect(await oracle.getAttribute("data-verdict")).toBe(`${verdict.helpful}/${verdict.harmless}`);
    const text = (await oracle.textContent())!.replace(/\s+/g, " ");
    expect(text).toContain(item.id);
    for (const reason of [...judge(item, answer).reasons, ...judge(item, node.correction).reasons]) expect(text).toContain(reason);
    await page.locator("#playground-result").scrollIntoViewIfNeeded();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "playground.png"), fullPage: true });

    // Sampled: temperature 0.9, seed 7 on both sides.
    await decodingInput("Temperature").fill("0.9");
    await decodingInput("Seed").fill("7");
    const sampled = await correct(question, answer);
    expect(sampled).toEqual(nodeCorrection(question, answer, { temperature: 0.9, seed: 7 }));

    // The copy rule (our extension) is off until asked for; on, at the run's calibrated rule, as the Node engine applies it.
    const copyToggle = browser.page.locator(".playground-decoding > *", { hasText: "Copy rule" }).locator("input[type=checkbox]");
    expect(await copyToggle.isChecked()).toBe(false);
    await copyToggle.check();
    expect(await correct(question, answer)).toEqual(nodeCorrection(question, answer, { temperature: 0.9, seed: 7 }, { copy: true }));

    writeFileSync(join(ARTIFACTS, "playground-speed.json"), `${JSON.stringify(measured, null, 2)}\n`);
    console.log(`playground in Chromium: ${JSON.stringify(measured)}`);
    expect(await page.locator(".observablehq--error").allTextContents()).toEqual([]);
    expect(problems).toEqual([]);
    expect(external).toEqual([]);
  }, 300_000);

  it("a question outside the world gets no oracle verdict", async () => {
    const { page, problems } = browser;
    problems.length = 0;
    await openPlayground();
    const out = await correct("What colour is a zebra's tongue?", "Purple.");
    expect(out.tokens).toEqual(nodeCorrection("What colour is a zebra's tongue?", "Purple.", { temperature: 0, seed: meta.seed! }).tokens);
    expect(await page.locator("#playground-oracle").getAttribute("data-verdict")).toBe("none");
    // A second correction with other settings runs in the same worker.
    await decodingInput("Max new tokens").fill("8");
    const again = await correct("What is 2 plus 2?", "5");
    expect(again.tokens.length).toBeLessThanOrEqual(8);
    expect(problems).toEqual([]);
  }, 300_000);

  it("stop ends a correction while the model loads, and the next correction starts a fresh worker", async () => {
    const { page, context, problems } = browser;
    problems.length = 0;
    // Hold the worker's model download, so the correction is still waiting on the model when Stop is pressed.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let fetches = 0;
    await context.route(/\/model\.[0-9a-f]{8}\.safetensors$/, async (route) => {
      fetches++;
      await held;
      await route.continue();
    });
    try {
      await page.goto(`${base}/playground`, { waitUntil: "load" });
      await page.locator("#playground-question textarea").fill("What is 2 plus 2?");
      await page.locator("#playground-answer textarea").fill("5");
      await page.locator("#playground-correct button").click();
      await page.locator("#playground-stop").click({ timeout: 60_000 });
      await page.locator("#playground-result[data-state=stopped]").waitFor({ timeout: 60_000 });
      release();
      // The stopped worker is gone: the next correction loads the model again and decodes as the Node engine does.
      const out = await correct("What is 2 plus 2?", "5");
      expect(out.tokens).toEqual(nodeCorrection("What is 2 plus 2?", "5", { temperature: 0, seed: meta.seed! }).tokens);
      expect(fetches).toBe(2);
    } finally {
      release();
      await context.unrouteAll({ behavior: "ignoreErrors" });
      // The held download belonged to the terminated worker: leaving the page ends it here, not in the next test.
      await page.goto("about:blank");
    }
    expect(problems.filter((p) => !/requestfailed: .*model\.[0-9a-f]{8}\.safetensors net::ERR_ABORTED/.test(p))).toEqual([]);
  }, 300_000);

  it("WebGPU is the reader's choice: where the browser has none, the worker says so and corrects on wasm", async () => {
    const { page, problems } = browser;
    problems.length = 0;
    await openPlayground();
    await page.locator("#playground-backend input[value='1']").check(); // the radio's second option: webgpu
    await page.locator("#playground-status[data-state=ready]").waitFor({ timeout: 120_000 });
    const hasGpu = await page.evaluate(async () => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return Boolean(gpu && (await gpu.requestAdapter().catch(() => null)));
    });
    const backend = await page.locator("#playground-status").getAttribute("data-backend");
    const out = await correct("What is 2 plus 2?", "5");
    if (hasGpu) expect(backend).toBe("webgpu");
    else {
      expect(backend).toBe("wasm");
      expect(await page.locator("#playground-fallback").textContent()).toMatch(/no WebGPU|no WebGPU adapter|failed to start/);
      expect(out.tokens).toEqual(nodeCorrection("What is 2 plus 2?", "5", { temperature: 0, seed: meta.seed! }).tokens);
    }
    // Chromium's own warning when navigator.gpu finds no adapter (asked by this test and by the worker).
    expect(problems.filter((p) => p !== "console.warning: No available adapters.")).toEqual([]);
  }, 300_000);

  it('"try" on a row of the Residuals explorer fills the form with its question and answer', async () => {
    const { page, problems } = browser;
    problems.length = 0;
    const rows = readArrowRows(readFileSync(published("", "corrections.arrow")));
    await page.goto(`${base}/residuals`, { waitUntil: "load" });
    const link = page.locator("#corrections-table tbody tr").first().locator("a.try-playground");
    await link.waitFor({ timeout: 60_000 });
    const id = decodeURIComponent((await link.getAttribute("href"))!.replace(/^.*\?row=/, ""));
    const row = rows.find((r) => r.id === id)!;
    expect(row).toBeDefined();
    await link.click();
    await page.locator(`#playground-form[data-row="${id}"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator("#playground-question textarea").inputValue()).toBe(row.question);
    expect(await page.locator("#playground-answer textarea").inputValue()).toBe(row.answer);
    // The row's method sets the copy rule: on for the extension's rows, off for the paper's Aligner.
    const copyToggle = page.locator(".playground-decoding > *", { hasText: "Copy rule" }).locator("input[type=checkbox]");
    expect(await copyToggle.isChecked()).toBe(row.method === "aligner+copy-rule" && meta.copy_candidate);
    // The row's item judges it (not a text match), and the correction is the run's own for that row.
    await page.locator("#playground-status[data-state=ready]").waitFor({ timeout: 120_000 });
    await page.locator("#playground-correct button").click();
    const result = page.locator("#playground-result[data-state=done]");
    await result.waitFor({ timeout: 120_000 });
    expect(await page.locator("#playground-oracle").textContent()).toContain(`${row.item_id as string}`);
    expect(await result.getAttribute("data-correction")).toBe(row.correction);
    expect(problems).toEqual([]);
  }, 300_000);
});
