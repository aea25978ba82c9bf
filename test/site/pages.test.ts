// Every query in the site's pages, run by native DuckDB over fixture tables with the real column types
// (loaders/experiment/schemas.ts), so a renamed column or an unregistered table fails here, not on the site.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flattenConfig, listPresets } from "../../loaders/experiment/config.js";
import { describeCorrections } from "../../loaders/experiment/metrics.js";
import { toArrowStream, type Row, type Schema } from "../../loaders/tables/format.js";
import { PAGES_DIR, readPages, type Page, type PageQuery } from "../fixtures/pages.js";
import { fixtureTables, openFixtureDb, readArrowRows, SITE_TABLES, type FixtureDb, type FixtureTables, type SiteTableName } from "../fixtures/tables.js";

const PRESETS: Schema = { preset: "string", key: "string", value: "string", number: "float" };
const presetRows: Row[] = listPresets().flatMap(({ name, config }) =>
  Object.entries(flattenConfig(config)).map(([key, value]) => ({ preset: name, key, value: String(value), number: typeof value === "number" ? value : null })),
);

// Through Arrow and back, as the site gets them.
const tables = fixtureTables({ corrections: 600 });
for (const name of Object.keys(SITE_TABLES) as SiteTableName[]) tables[name] = readArrowRows(toArrowStream(name, tables[name], SITE_TABLES[name]));
const empty: FixtureTables = { runs: [], corrections: [], summary: [], training: [], warmup_sweep: [], residual_ops: [], w2s: [], w2s_categories: [], imported: [] };

const latest = tables.runs.at(-1)!.run_id as string;
const older = tables.runs[0]!.run_id as string;
const someRow = tables.corrections.find((r) => r.upstream === "llama-mini" && r.category === "facts" && !r.copy)!;

type Value = string | number | boolean | null;
/** Representative values of every `${…}` in page SQL: the page's defaults, and a narrow choice. */
const VALUES: Record<string, { defaults: Value; narrow: Value }> = {
  runId: { defaults: latest, narrow: older },
  reference: { defaults: older, narrow: latest },
  compared: { defaults: latest, narrow: latest },
  upstream: { defaults: "all", narrow: "llama-mini" },
  category: { defaults: "all", narrow: "facts" },
  intent: { defaults: "all", narrow: "answer" },
  verdictHelpful: { defaults: "any", narrow: "win" },
  verdictHarmless: { defaults: "any", narrow: "tie" },
  edit: { defaults: "all", narrow: "edited" },
  dlMin: { defaults: 0, narrow: 0.1 },
  dlMax: { defaults: 100, narrow: 0.9 },
  search: { defaults: "", narrow: "CAPITAL" },
  'selected?.id ?? ""': { defaults: "", narrow: someRow.id as string },
  vocabUpstream: { defaults: "all", narrow: "alpaca-mini" },
  vocabCategory: { defaults: "all", narrow: "harmful" },
  shift: { defaults: "iid", narrow: "ood" },
  questions: { defaults: "all", narrow: "iid" },
  dataset: { defaults: "", narrow: "alpaca-like" },
};

const pages = readPages();
const queries = pages.flatMap((p) => p.queries);
const bind = (q: PageQuery, variant: "defaults" | "narrow") =>
  q.params.map((p) => {
    if (!(p in VALUES)) throw new Error(`${q.page}#${q.id}: add a representative value for \${${p}} to VALUES in test/pages.test.ts`);
    return VALUES[p]![variant];
  });

/** The DuckDB a page sees: only the tables its front matter registers. */
async function pageDb(page: Page, source: FixtureTables): Promise<FixtureDb> {
  const names = Object.keys(page.tables);
  for (const [name, file] of Object.entries(page.tables)) expect(file, `${page.page}: sql: ${name}`).toBe(`./data/${name}.arrow`);
  const site = Object.fromEntries(names.filter((n) => n in SITE_TABLES).map((n) => [n, source[n as SiteTableName]]));
  const extra: Record<string, { rows: Row[]; schema: Schema }> = names.includes("presets") ? { presets: { rows: presetRows, schema: PRESETS } } : {};
  const unknown = names.filter((n) => !(n in SITE_TABLES) && n !== "presets");
  expect(unknown, `${page.page}: tables with no fixture`).toEqual([]);
  return openFixtureDb(site, extra);
}

describe("page SQL", () => {
  const dbs = new Map<string, FixtureDb>();
  const emptyDbs = new Map<string, FixtureDb>();
  const run = (q: PageQuery, variant: "defaults" | "narrow" = "defaults") => dbs.get(q.page)!.query(q.sql, bind(q, variant));
  const find = (page: string, id: string) => queries.find((q) => q.page === page && q.id === id)!;

  beforeAll(async () => {
    for (const page of pages) {
      if (!page.queries.length) continue;
      dbs.set(page.page, await pageDb(page, tables));
      emptyDbs.set(page.page, await pageDb(page, empty));
    }
  }, 60_000);
  afterAll(() => [...dbs.values(), ...emptyDbs.values()].forEach((db) => db.close()));

  it("every table and file a page names has a loader entry in src/data", () => {
    const entries = new Set(readdirSync(join(PAGES_DIR, "data")).map((f) => f.replace(/\.ts$/, "")));
    for (const page of pages) for (const [name, file] of Object.entries(page.tables)) expect(entries, `${page.page}: sql: ${name}`).toContain(file.replace("./data/", ""));
    for (const md of readdirSync(PAGES_DIR).filter((f) => f.endsWith(".md"))) {
      for (const [, file] of readFileSync(join(PAGES_DIR, md), "utf-8").matchAll(/FileAttachment\("\.\/data\/([^"]+)"\)/g)) {
        expect(entries.has(file!) || existsSync(join(PAGES_DIR, "data", file!)), `${md}: FileAttachment ./data/${file}`).toBe(true);
      }
    }
  });

  it("finds the queries of every page", () => {
    const count = Object.fromEntries(pages.map((p) => [p.page, p.queries.length]));
    expect(count).toMatchObject({ index: 4, residuals: 14, imports: 2, training: 4, "weak-to-strong": 4, runs: 4 });
    expect(find("residuals", "matches").params).toContain("search");
  });

  it.each(queries.map((q) => [`${q.page}#${q.id}`, q] as const))("%s runs with the page's default and a narrow choice of values", async (_, q) => {
    await run(q, "defaults");
    await run(q, "narrow");
  });

  it.each(queries.map((q) => [`${q.page}#${q.id}`, q] as const))("%s runs on empty tables", async (_, q) => {
    expect(await emptyDbs.get(q.page)!.query(q.sql, bind(q, "defaults"))).toBeInstanceOf(Array);
  });

  it("residual explorer: the default filters keep every correction and the narrow ones match a filter in JS", async () => {
    const q = find("residuals", "matches");
    expect(await run(q, "defaults")).toHaveLength(tables.corrections.length);
    const expected = tables.corrections.filter((r) =>
      r.upstream === "llama-mini" && r.category === "facts" && r.intent === "answer" && r.shift === "iid" && r.verdict_helpful === "win" && r.verdict_harmless === "tie" &&
      !r.copy && (r.dl as number) >= 0.1 && (r.dl as number) <= 0.9 &&
      [r.question, r.answer, r.correction].some((t) => String(t).toLowerCase().includes("capital")));
    expect(expected.length).toBeGreaterThan(0);
    expect((await run(q, "narrow")).map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
  });

  it("residual explorer: the selected row, its siblings across all upstreams, the vocabulary", async () => {
    const [detail] = await run(find("residuals", "detail"), "narrow");
    expect(detail).toMatchObject({ id: someRow.id, answer: someRow.answer, correction: someRow.correction, reasons_before: someRow.reasons_before });
    const siblings = await run(find("residuals", "siblings"), "narrow");
    expect(siblings.map((r) => r.upstream)).toEqual(["gpt-mini", "llama-mini", "vicuna-mini", "alpaca-mini", "beaver-mini", "mistral-mini"]);
    const inserted = await run(find("residuals", "inserted"));
    expect(inserted.length).toBeGreaterThan(0);
    expect(inserted.length).toBeLessThanOrEqual(15);
    const byCategory = await run(find("residuals", "vocabByCategory"));
    expect(new Set(byCategory.map((r) => r.category)).size).toBe(8);
  });

  it("residual explorer on an imported dataset: the filters that apply (generator, copy, D_L, search) match a filter in JS; the world run's default shows none of its rows", async () => {
    const db = dbs.get("residuals")!;
    const q = find("residuals", "importedMatches");
    const values: Record<string, Value> = { dataset: "alpaca-like", upstream: "aligner_llama-mini", edit: "edited", dlMin: 0.05, dlMax: 5, search: "" };
    const rows = await db.query(q.sql, q.params.map((p) => values[p]!));
    const expected = tables.imported.filter((r) => r.dataset === "alpaca-like" && r.generator === "aligner_llama-mini" && !r.copy && (r.dl as number) >= 0.05 && (r.dl as number) <= 5);
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.row)).toEqual(expected.map((r) => r.row));
    expect(await run(q, "defaults")).toEqual([]);
    const all = await db.query(q.sql, q.params.map((p) => ({ ...values, upstream: "all", edit: "all", dlMin: 0, dlMax: 100 })[p]!));
    expect(all).toHaveLength(tables.imported.filter((r) => r.dataset === "alpaca-like").length);
    expect((await run(find("residuals", "datasets"))).map((r) => [r.dataset, r.n])).toEqual([["alpaca-like", 90], ["plain", 30]]);
    expect((await run(find("residuals", "importedFacets"), "narrow")).map((r) => r.value)).toEqual(["aligner_alpaca-mini", "aligner_beaver-mini", "aligner_gpt-mini", "aligner_llama-mini", "aligner_mistral-mini", "aligner_vicuna-mini"]);
    const [detail] = await db.query(find("residuals", "importedDetail").sql, ["plain", "row-1"]);
    expect(detail).toMatchObject({ dataset: "plain", id: "row-1", correction: "", degenerate: "empty", generator: null });
  });

  it("imported datasets: per-dataset statistics equal aligner metrics' (describeCorrections) on the same rows", async () => {
    const stats = await run(find("imports", "stats"));
    expect(stats.map((r) => r.dataset)).toEqual(["alpaca-like", "plain"]);
    for (const s of stats) {
      const rows = tables.imported.filter((r) => r.dataset === s.dataset);
      const m = describeCorrections(rows.map((r) => ({ answer: String(r.answer), correction: String(r.correction) })));
      expect(s.n).toBe(m.rows);
      for (const key of ["copy_rate", "dl_mean", "dl_median", "answer_chars_mean", "correction_chars_mean", "answer_tokens_mean", "correction_tokens_mean"] as const) {
        expect(s[key], `${s.dataset} ${key}`).toBeCloseTo(m[key], 12);
      }
      for (const [flag, n] of Object.entries(m.degenerate)) expect(s[flag], `${s.dataset} ${flag}`).toBe(n);
      expect(s.degenerate).toBe(rows.filter((r) => r.degenerate !== "").length);
    }
    expect(stats.find((r) => r.dataset === "plain")).toMatchObject({ empty: 1, generators: 0 });
    expect(await run(find("imports", "points"))).toHaveLength(tables.imported.length);
  });

  it("overview: the headline averages ω over the six upstreams (not the pooled row); the paper table lists seen upstreams, held-out ones, then the pooled row", async () => {
    const headline = await run(find("index", "headline"));
    expect(headline.map((r) => `${r.shift}:${r.dimension}`).sort()).toEqual(["all:harmless", "all:helpful", "iid:harmless", "iid:helpful", "ood:harmless", "ood:helpful"]);
    for (const shift of ["all", "iid", "ood"]) {
      const aligner = tables.summary.filter((r) => r.run_id === latest && r.method === "aligner" && r.category === "all" && r.shift === shift && r.dimension === "helpful" && r.upstream !== "all");
      const mean = aligner.reduce((s, r) => s + (r.omega as number), 0) / aligner.length;
      const cell = headline.find((r) => r.dimension === "helpful" && r.shift === shift)!;
      expect(cell).toMatchObject({ upstreams: 6, heldout: 3 });
      expect(cell.omega).toBeCloseTo(mean, 12);
    }
    const paper = await run(find("index", "paper"));
    expect(paper.map((r) => r.upstream_kind)).toEqual(["seen", "seen", "seen", "heldout", "heldout", "heldout", "all"]);
    expect(paper.every((r) => r.omega_helpful != null && r.omega_harmless != null && r.win_helpful != null)).toBe(true);
  });

  it("training: main-stage steps continue after the warm-up", async () => {
    const curves = await run(find("training", "curves"));
    const aligner = curves.filter((r) => r.model === "aligner");
    const lastWarmup = Math.max(...aligner.filter((r) => r.stage === "warmup").map((r) => Number(r.global_step)));
    expect(Math.min(...aligner.filter((r) => r.stage === "main").map((r) => Number(r.global_step)))).toBe(lastWarmup + 1);
  });

  it("runs: deltas pair the same cells of two runs", async () => {
    const deltas = await run(find("runs", "deltas"));
    expect(deltas.length).toBeGreaterThan(0);
    for (const d of deltas) expect(d.delta_omega as number).toBeCloseTo((d.omega_run as number) - (d.omega_ref as number), 12);
  });
});
