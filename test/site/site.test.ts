// The published site, built offline-ready from the tiny preset's real run (CI), or with
// ALIGNER_SITE_SOURCE=fixture from fixture tables of 50,000 corrections, so the explorer's filter
// latency is measured at scale; loaded in Debian's Chromium: every page renders with no
// console error and no request leaving 127.0.0.1; the residual explorer's filters give the row counts
// native DuckDB gives for the same query on the same Arrow table; the imported-residuals explorer
// browses an imported dataset.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACTS, CHROMIUM, buildSite, openBrowser, serveDir, type Browser } from "../_browser.js";
import { writeImport } from "../../loaders/tables/import.js";
import { readPage } from "../fixtures/pages.js";
import {
  SITE_TABLES,
  fixtureTables,
  openFixtureDb,
  readArrowRows,
  writeFixtureTables,
  type FixtureDb,
  type SiteTableName,
} from "../fixtures/tables.js";

const hasChromium = existsSync(CHROMIUM);

/** "tiny": the tiny preset's own run; "fixture": fixture tables (the latency target is a filter change on 50,000 rows). */
const SOURCE = process.env.ALIGNER_SITE_SOURCE ?? "tiny";
const ROWS = Number(process.env.ALIGNER_SITE_ROWS ?? 50_000);

const PAGES = [
  { name: "overview", path: "/", ready: ["#headline", "table.paper-table", "figure svg"] },
  { name: "residuals", path: "/residuals", ready: ["#row-count", "#corrections-table tbody tr", "#sql-output"] },
  { name: "imports", path: "/imports", ready: ["#imports-stats tbody tr", "figure svg"] },
  {
    name: "imported-residuals",
    path: "/imported-residuals",
    ready: ["#filter-dataset select", "#row-count", "#corrections-table tbody tr"],
  },
  { name: "training", path: "/training", ready: ["figure svg", "#sweep svg, #sweep-empty"] },
  { name: "weak-to-strong", path: "/weak-to-strong", ready: ["#pgr-definition", "#w2s-empty, figure svg"] },
  { name: "judge", path: "/judge", ready: ["#judge-empty, #judge-agreement"] },
  { name: "runs", path: "/runs", ready: ["#run-facts", "#delta-headline, #runs-single", "form table tbody tr"] },
  { name: "data", path: "/data", ready: ["#downloads a", "h3#corrections + div table"] },
] as const;
const readyOf = (name: (typeof PAGES)[number]["name"]) => PAGES.find((p) => p.name === name)!.ready;

/** One small synthetic imported dataset (aligner import's own writer), the site's $ALIGNER_IMPORTS. */
const IMPORTED_ROWS = [
  { question: "What is 2+2?", answer: "It is 4.", correction: "It is 4.", generator: "gen-a" },
  {
    question: "Capital of France?",
    answer: "The capital of France is Lyon.",
    correction: "The capital of France is Paris.",
    generator: "gen-a",
  },
  { question: "Say hi", answer: "hi", correction: "Hello! How can I help you today?", generator: "gen-b" },
  { question: "Empty?", answer: "Something.", correction: "", generator: "gen-b" },
];

describe.skipIf(!hasChromium)(`site in Chromium (${CHROMIUM})`, () => {
  let tablesDir: string;
  let importsDir: string;
  let dist: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  let db: FixtureDb;
  const matches = readPage(join(import.meta.dirname, "..", "..", "src", "residuals.md")).queries.find((q) => q.id === "matches")!;
  const siblings = readPage(join(import.meta.dirname, "..", "..", "src", "residuals.md")).queries.find((q) => q.id === "siblings")!;

  beforeAll(async () => {
    importsDir = mkdtempSync(join(tmpdir(), "aligner-site-imports-"));
    const input = join(importsDir, "synthetic.jsonl"); // not a .parquet: the site skips it
    writeFileSync(input, IMPORTED_ROWS.map((r) => JSON.stringify(r)).join("\n"));
    await writeImport(input, join(importsDir, "synthetic.parquet"));
    // Expectations below come from the built tables, whichever the source.
    if (SOURCE === "fixture") {
      tablesDir = mkdtempSync(join(tmpdir(), "aligner-site-tables-"));
      writeFixtureTables(tablesDir, fixtureTables({ corrections: ROWS }));
      dist = await buildSite("fixtures", { ALIGNER_TABLES_DIR: tablesDir, ALIGNER_PRESET: "tiny", ALIGNER_IMPORTS: importsDir });
    } else {
      dist = await buildSite("tiny", {
        ALIGNER_PRESET: "tiny",
        ALIGNER_RUNS: mkdtempSync(join(tmpdir(), "aligner-site-runs-")),
        ALIGNER_IMPORTS: importsDir,
      });
    }
    ({ server, base } = await serveDir(dist));
    browser = await openBrowser();
    // The same Arrow tables the browser loads, in native DuckDB with the declared column types.
    const data = join(dist, "_file", "data");
    const built = (name: SiteTableName) => readdirSync(data).find((f) => new RegExp(`^${name}\\.[0-9a-f]+\\.arrow$`).test(f));
    const names = (Object.keys(SITE_TABLES) as SiteTableName[]).filter((n) => ["runs", "summary", "corrections", "judgements"].includes(n));
    db = await openFixtureDb(Object.fromEntries(names.map((n) => [n, readArrowRows(readFileSync(join(data, built(n)!)))])));
  }, 300_000);

  afterAll(async () => {
    db?.close();
    await browser?.close();
    server?.close();
    if (tablesDir) rmSync(tablesDir, { recursive: true, force: true });
    if (importsDir) rmSync(importsDir, { recursive: true, force: true });
  });

  async function open(path: string, ready: readonly string[]) {
    const { page } = browser;
    await page.goto(`${base}${path}`, { waitUntil: "load" });
    for (const selector of ready) await page.locator(selector).first().waitFor({ timeout: 60_000 });
    // Let the page's last fetches finish, so that leaving it aborts no request (a "requestfailed" problem).
    await page.waitForLoadState("networkidle", { timeout: 30_000 });
    await page.waitForTimeout(300);
  }

  /** Leave the last test's page (its late fetches end there, aborted) and forget its problems. */
  async function leavePage() {
    await browser.page.goto("about:blank");
    browser.problems.length = 0;
  }

  const shot = (name: string) => {
    mkdirSync(ARTIFACTS, { recursive: true });
    return browser.page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  };

  it.each(PAGES)(
    "$name loads with no error and no request leaving 127.0.0.1",
    async ({ name, path, ready }) => {
      const { page, problems, external } = browser;
      await leavePage();
      await open(path, ready);
      expect(await page.locator(".observablehq--error").allTextContents()).toEqual([]);
      await shot(name);
      expect(problems).toEqual([]);
      expect(external).toEqual([]);
    },
    120_000,
  );

  it("overview: headline, the paper table and the ω chart", async () => {
    const { page } = browser;
    await open("/", readyOf("overview"));
    const [latest] = await db.query("SELECT run_id FROM runs ORDER BY started_at DESC, run_id LIMIT 1");
    const [expected] = await db.query(
      "SELECT count(DISTINCT upstream) FILTER (WHERE upstream NOT IN ('all', 'mean'))::INTEGER AS n, max(omega) FILTER (WHERE upstream = 'mean' AND dimension = 'helpful') AS helpful FROM summary WHERE run_id = ? AND method = 'aligner' AND category = 'all' AND shift = 'iid'",
      [latest!.run_id as string],
    );
    const helpful = (expected!.helpful as number) * 100;
    const text = (await page.locator("#headline").textContent())!.replace(/\s+/g, " ");
    expect(text).toMatch(
      new RegExp(
        `The Aligner \\(the paper's method, greedy decoding\\), averaged over ${expected!.n} upstream models on new questions like the training ones: helpfulness [+−]?${Math.abs(helpful).toFixed(1)}%`,
      ),
    );
    expect(text).toMatch(/With our copy rule \(an extension, not the paper's method\)/);
    expect(await page.locator("table.paper-table tbody tr").count()).toBe(expected!.n);
    expect(await page.locator("#run-facts").textContent()).toMatch(/preset\s*tiny.*seed\s*\d+.*backend/s);
  }, 60_000);

  it(`residuals: a filter change gives native DuckDB's row count; latency on the ${SOURCE} tables`, async () => {
    const { page, problems } = browser;
    await leavePage();
    await open("/residuals", readyOf("residuals"));
    const rowsShown = async () => Number(await page.locator("#row-count").getAttribute("data-rows"));
    const dlMax = Number(await page.locator("#filter-dl-max input[type=number]").inputValue());
    const defaults = {
      upstream: "all",
      category: "all",
      intent: "all",
      questions: "all",
      verdictHelpful: "any",
      verdictHarmless: "any",
      edit: "all",
      dlMin: 0,
      dlMax,
      search: "",
      method: "aligner",
    };
    const expected = async (values: Record<string, string | number>) =>
      (
        await db.query(
          matches.sql,
          matches.params.map((p) => values[p]!),
        )
      ).length;
    const [{ n: total } = { n: 0 }] = await db.query("SELECT count(*)::INTEGER AS n FROM corrections WHERE method = 'aligner'");
    expect(await expected(defaults)).toBe(total);
    expect(await rowsShown()).toBe(total);

    // performance.now() from the select's input event until the row count shows the new result.
    const categories = (await page.locator("#filter-category option").allTextContents()).filter((c) => c !== "all categories");
    const latencies: { category: string; rows: number; ms: number }[] = [];
    for (const category of categories.slice(0, 3).flatMap((c) => [c, "all"])) {
      const ms = await page.evaluate(async (label) => {
        const select = document.querySelector<HTMLSelectElement>("#filter-category select")!;
        const before = document.querySelector("#row-count");
        const option = Array.from(select.options).find((o) => o.textContent === (label === "all" ? "all categories" : label))!;
        return new Promise<number>((resolve) => {
          const observer = new MutationObserver(() => {
            const now = document.querySelector("#row-count");
            if (now && now !== before && document.querySelector("#corrections-table")?.isConnected) {
              observer.disconnect();
              resolve(performance.now() - t0);
            }
          });
          observer.observe(document.body, { childList: true, subtree: true });
          const t0 = performance.now();
          select.value = option.value;
          select.dispatchEvent(new Event("input", { bubbles: true }));
        });
      }, category);
      const rows = await rowsShown();
      expect(rows, `category ${category}`).toBe(await expected({ ...defaults, category }));
      latencies.push({ category, rows, ms: Math.round(ms) });
    }
    // A text search (ILIKE over question, answer and correction) on top of a category.
    await page.locator("#filter-category select").selectOption({ label: categories[0]! });
    await page.locator("#filter-search input").fill("the");
    const searched = await expected({ ...defaults, category: categories[0]!, search: "the" });
    await expect.poll(rowsShown, { timeout: 10_000 }).toBe(searched);
    const sorted = latencies.map((l) => l.ms).sort((a, b) => a - b);
    const report = {
      rows: total,
      method: "performance.now() from the category select's input event to the MutationObserver seeing the new #row-count",
      latencies,
      median_ms: sorted[Math.floor(sorted.length / 2)],
      max_ms: sorted.at(-1),
    };
    writeFileSync(join(ARTIFACTS, "filter-latency.json"), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`filter latency on ${total} rows: ${latencies.map((l) => `${l.category} ${l.ms} ms`).join(", ")}`);
    expect(problems).toEqual([]);
  }, 120_000);

  it("residuals: selecting a row shows the answer and correction, the diff and every upstream's answer", async () => {
    const { page, problems } = browser;
    await leavePage();
    await open("/residuals", readyOf("residuals"));
    // Only edited rows; wait for the table to re-render before picking one.
    const [edited] = await db.query("SELECT count(*)::INTEGER AS n FROM corrections WHERE NOT copy AND method = 'aligner'");
    await page.locator("#filter-edit label", { hasText: "edited" }).click();
    await expect.poll(() => page.locator("#row-count").getAttribute("data-rows"), { timeout: 30_000 }).toBe(String(edited!.n));
    await page.locator("#corrections-table tbody tr").first().locator("input").click();
    await page.locator("#detail .diff-side-by-side").waitFor({ timeout: 30_000 });
    expect(await page.locator("#detail .diff-inline").locator("ins, del").count()).toBeGreaterThan(0);
    expect(await page.locator("#detail .reasons").textContent()).toMatch(/Oracle on the answer.*Oracle on the correction/s);
    const id = (await page.locator("#detail").getAttribute("data-id"))!;
    const expected = await db.query(
      siblings.sql,
      siblings.params.map((p) => (p === "method" ? "aligner" : id)),
    );
    expect(expected.length).toBeGreaterThan(1);
    await page.locator("#siblings .sibling").first().waitFor({ timeout: 30_000 });
    expect(await page.locator("#siblings .sibling").count()).toBe(expected.length);
    await page.locator("#detail").scrollIntoViewIfNeeded();
    await shot("residuals-selected");
    expect(problems).toEqual([]);
  }, 120_000);

  it("residuals?id=ROW opens that row; the API judge page links its disagreements there (or says the run has no judge)", async () => {
    const { page, problems } = browser;
    await leavePage();
    const [row] = await db.query("SELECT id FROM corrections ORDER BY id DESC LIMIT 1");
    await open(`/residuals?id=${encodeURIComponent(row!.id as string)}`, readyOf("residuals"));
    await page.locator("#detail .diff-side-by-side").waitFor({ timeout: 30_000 });
    expect(await page.locator("#detail").getAttribute("data-id")).toBe(row!.id);
    const [judged] = await db.query("SELECT count(*) FILTER (WHERE agree = false)::INTEGER AS n FROM judgements");
    await open("/judge", readyOf("judge"));
    if (judged!.n === 0) {
      expect(await page.locator("#judge-empty").textContent()).toMatch(/no API judge/);
    } else {
      const link = page.locator("a.open-residual").first();
      const href = (await link.getAttribute("href"))!;
      await link.click();
      await page.locator("#detail .diff-side-by-side").waitFor({ timeout: 60_000 });
      expect(await page.locator("#detail").getAttribute("data-id")).toBe(decodeURIComponent(href.replace(/^.*\?id=/, "")));
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it("imported residuals: the explorer shows an imported dataset's rows, its filters and the same diff", async () => {
    const { page: tab, problems } = browser;
    await leavePage();
    await open("/imported-residuals", readyOf("imported-residuals"));
    expect(await tab.locator("#filter-dataset option").allTextContents()).toEqual([`synthetic (${IMPORTED_ROWS.length} rows)`]);
    expect(await tab.locator("#row-count").getAttribute("data-dataset")).toBe("synthetic");
    expect(await tab.locator("#row-count").getAttribute("data-rows")).toBe(String(IMPORTED_ROWS.length));
    for (const absent of ["category", "intent", "shift", "helpful", "harmless"])
      expect(await tab.locator(`#filter-${absent}`).count(), absent).toBe(0);
    expect(await tab.locator("#filter-generator option").allTextContents()).toEqual(["all generators", "gen-a", "gen-b"]);
    await tab.locator("#filter-generator select").selectOption({ label: "gen-a" });
    await expect.poll(() => tab.locator("#row-count").getAttribute("data-rows"), { timeout: 30_000 }).toBe("2");
    await tab.locator("#filter-edit label", { hasText: "edited" }).click();
    await expect.poll(() => tab.locator("#row-count").getAttribute("data-rows"), { timeout: 30_000 }).toBe("1");
    await tab.locator("#corrections-table tbody tr").first().locator("input").click();
    await tab.locator("#detail .diff-side-by-side").waitFor({ timeout: 30_000 });
    expect(await tab.locator("#detail").getAttribute("data-dataset")).toBe("synthetic");
    expect(await tab.locator("#detail .diff-inline del").allTextContents()).toEqual(["Lyon"]);
    expect(await tab.locator("#detail .diff-inline ins").allTextContents()).toEqual(["Paris"]);
    expect(await tab.locator("#detail .detail-meta").textContent()).toMatch(/gen-a.*row 2.*DL\s*0\.14.*edited/s);
    await tab.locator("#detail").scrollIntoViewIfNeeded();
    await shot("imported-residuals-selected");
    expect(await tab.locator(".observablehq--error").count()).toBe(0);
    expect(problems).toEqual([]);
  }, 120_000);

  it("residuals: the run's own corrections only, with every filter shown", async () => {
    const { page: tab, problems } = browser;
    await leavePage();
    await open("/residuals", readyOf("residuals"));
    const [world] = await db.query("SELECT count(*)::INTEGER AS n FROM corrections WHERE method = 'aligner'");
    expect(await tab.locator("#filter-dataset").count()).toBe(0);
    expect(await tab.locator("#row-count").getAttribute("data-rows")).toBe(String(world!.n));
    for (const shown of ["upstream", "category", "intent", "shift", "helpful", "harmless", "edit", "dl-min", "dl-max", "search"])
      expect(await tab.locator(`#filter-${shown}`).isVisible(), shown).toBe(true);
    expect(problems).toEqual([]);
  }, 60_000);

  it("imports: the imported dataset's statistics", async () => {
    const { page: tab, problems } = browser;
    await leavePage();
    await open("/imports", readyOf("imports"));
    const cells = await tab.locator('#imports-stats tr[data-dataset="synthetic"] td').allTextContents();
    // rows, copy rate, D_L mean and median, chars and tokens means, Δ tokens, degenerate
    expect(cells.slice(0, 2)).toEqual(["4", "25.0%"]);
    expect(cells.at(-1)).toBe("1");
    expect(await tab.locator('#imports-degenerate tr[data-dataset="synthetic"] td').first().textContent()).toBe("1");
    expect(await tab.locator("figure svg").count()).toBeGreaterThanOrEqual(2);
    expect(problems).toEqual([]);
  }, 60_000);

  it("weak-to-strong: the picked run's DPO objective, read from its config", async () => {
    const { page: tab, problems } = browser;
    await leavePage();
    await open("/weak-to-strong", readyOf("weak-to-strong"));
    const text = (await tab.locator("#dpo-objective").textContent()) ?? "";
    // The fixture's runs alternate plain DPO and DPO + NLL; a real run's merged config has one of the two.
    expect(text).toMatch(/were trained with plain DPO \(the paper's\), β [\d.]+(; DPO \+ [\d.]+ × NLL of the chosen \(ours\))?\./);
    expect(problems).toEqual([]);
  }, 60_000);

  it("residuals: the SQL box shows a result, then an error message (not a console error)", async () => {
    const { page, problems } = browser;
    await leavePage();
    await open("/residuals", readyOf("residuals"));
    const box = page.locator("textarea");
    await box.fill("SELECT upstream_kind, count(*) AS n FROM corrections GROUP BY upstream_kind ORDER BY upstream_kind");
    await page.getByRole("button", { name: "Run" }).click();
    await expect.poll(async () => page.locator("#sql-output").textContent(), { timeout: 30_000 }).toMatch(/2 rows/);
    const expected = await db.query(
      "SELECT upstream_kind, count(*)::INTEGER AS n FROM corrections GROUP BY upstream_kind ORDER BY upstream_kind",
    );
    const cells = await page.locator("#sql-output tbody tr td:nth-child(3)").allTextContents();
    expect(cells.map((c) => Number(c.replaceAll(",", "")))).toEqual(expected.map((r) => r.n));
    await box.fill("SELECT no_such_column FROM corrections");
    await page.getByRole("button", { name: "Run" }).click();
    await page.locator("#sql-error").waitFor({ timeout: 30_000 });
    expect(await page.locator("#sql-error").textContent()).toMatch(/no_such_column/);
    expect(await page.locator(".observablehq--error").count()).toBe(0);
    await page.locator("#sql-error").scrollIntoViewIfNeeded();
    await shot("residuals-sql-error");
    expect(problems).toEqual([]);
  }, 120_000);

  it("data: every download is served, and the Parquet export reads back in DuckDB", async () => {
    const { page } = browser;
    await open("/data", readyOf("data"));
    const hrefs = await page.locator("#downloads a, #dataset a").evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toHaveLength(27); // 13 tables as Parquet and Arrow, and dataset.jsonl
    for (const href of hrefs) expect(new URL(href).hostname).toBe("127.0.0.1");
    const parquet = hrefs.find((h) => /corrections\.[0-9a-f]+\.parquet$/.test(h))!;
    const bytes = new Uint8Array(await (await fetch(parquet)).arrayBuffer());
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("PAR1");
    const file = join(mkdtempSync(join(tmpdir(), "aligner-download-")), "corrections.parquet");
    writeFileSync(file, bytes);
    expect(await db.query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${file}')`)).toEqual(
      await db.query("SELECT count(*)::INTEGER AS n FROM corrections"),
    );
    const jsonl = await (await fetch(hrefs.find((h) => /dataset\.[0-9a-f]+\.jsonl$/.test(h))!)).text();
    const first = JSON.parse(jsonl.split("\n")[0]!);
    expect(Object.keys(first)).toEqual(["question", "answer", "correction"]);
  }, 60_000);

  it("dark theme (near-midnight) renders the overview and the explorer", async () => {
    const { page, problems } = browser;
    await leavePage();
    await page.emulateMedia({ colorScheme: "dark" });
    try {
      await open("/", readyOf("overview"));
      await shot("overview-dark");
      await open("/residuals", readyOf("residuals"));
      await page.locator("#corrections-table tbody tr", { hasText: "edited" }).first().locator("input").click();
      await page.locator("#detail .diff-side-by-side").waitFor({ timeout: 30_000 });
      await page.locator("#detail").scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(ARTIFACTS, "residuals-dark.png") });
    } finally {
      await page.emulateMedia({ colorScheme: "light" });
    }
    expect(problems.join("\n")).toBe("");
  }, 120_000);
});
