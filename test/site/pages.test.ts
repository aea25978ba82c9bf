// Every query in the site's pages, run by native DuckDB over fixture tables with the real column types
// (loaders/experiment/schemas.ts), so a renamed column or an unregistered table fails here, not on the site; and
// the pages' layout: title and prose first, each query just above the code that reads it, Markdown
// headings.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flattenConfig, listPresets } from "../../loaders/experiment/config.js";
import { describeCorrections } from "../../loaders/experiment/metrics.js";
import { describeTables } from "../../loaders/tables/columns.js";
import { toArrowStream, type Row, type Schema } from "../../loaders/tables/format.js";
import { outlinePage, PAGES_DIR, readPages, type Page, type PageQuery } from "../fixtures/pages.js";
import {
  fixtureTables,
  openFixtureDb,
  readArrowRows,
  SITE_TABLES,
  type FixtureDb,
  type FixtureTables,
  type SiteTableName,
} from "../fixtures/tables.js";

const PRESETS: Schema = { preset: "string", key: "string", value: "string", number: "float" };
const presetRows: Row[] = listPresets().flatMap(({ name, config }) =>
  Object.entries(flattenConfig(config)).map(([key, value]) => ({
    preset: name,
    key,
    value: String(value),
    number: typeof value === "number" ? value : null,
  })),
);

// Through Arrow and back, as the site gets them.
const tables = fixtureTables({ corrections: 600 });
for (const name of Object.keys(SITE_TABLES) as SiteTableName[])
  tables[name] = readArrowRows(toArrowStream(name, tables[name], SITE_TABLES[name]));
const empty: FixtureTables = {
  runs: [],
  corrections: [],
  summary: [],
  training: [],
  warmup_sweep: [],
  residual_ops: [],
  w2s: [],
  w2s_categories: [],
  memorization: [],
  judgements: [],
  imported: [],
  study: [],
  study_summary: [],
};

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
  rowId: { defaults: "", narrow: someRow.id as string },
  questions: { defaults: "all", narrow: "iid" },
  method: { defaults: "aligner", narrow: "aligner" }, // the fixture corrections are the plain Aligner's
  // Imported residuals: the Dataset selector starts on the first dataset.
  dataset: { defaults: "alpaca-like", narrow: "plain" },
  generator: { defaults: "all", narrow: "aligner_llama-mini" },
  // API judge: disagreements on both dimensions, or the malformed replies on one.
  listed: { defaults: "disagree", narrow: "malformed" },
  judgeDimension: { defaults: "all", narrow: "harmless" },
};

const RUN_FACTS = ["run_id", "preset", "seed", "backend", "threads", "template", "started_at", "duration_s"];
/**
 * The columns each page's JavaScript (and the components it hands the rows to) reads from the rows of
 * each ```sql query: a query must return them all.
 */
const READS: Record<string, string[]> = {
  "index#runList": RUN_FACTS,
  "index#headline": ["method", "shift", "dimension", "upstreams", "omega", "omega_lo", "omega_hi"],
  "index#seeds": [
    "upstream",
    "upstream_kind",
    "dimension",
    "method",
    "seeds",
    "seed_list",
    "eval_world",
    "omega_mean",
    "omega_sd",
    "omega_min",
    "omega_max",
    "seeds_above_zero",
    "seeds_below_zero",
  ],
  "index#paper": [
    "upstream",
    "upstream_kind",
    "omega_helpful",
    "omega_helpful_lo",
    "omega_helpful_hi",
    "win_helpful",
    "tie_helpful",
    "lose_helpful",
    "omega_harmless",
    "omega_harmless_lo",
    "omega_harmless_hi",
    "win_harmless",
    "tie_harmless",
    "lose_harmless",
    "copy_rate",
    "dl_mean",
    "length_change_mean",
  ],
  "index#ablation": [
    "upstream",
    "upstream_kind",
    "dimension",
    "n",
    "omega_base",
    "omega_base_lo",
    "omega_base_hi",
    "omega_scratch",
    "omega_scratch_lo",
    "omega_scratch_hi",
  ],
  "index#scratchRows": ["n"],
  "index#omegas": ["method", "upstream", "upstream_kind", "dimension", "omega", "omega_lo", "omega_hi"],
  "residuals#facets": ["facet", "value", "kind"],
  "residuals#totals": ["n", "dl_max"],
  "residuals#matches": ["id", "upstream", "category", "verdict_helpful", "verdict_harmless", "copy", "dl", "length_change", "question"],
  "residuals#detail": [
    "id",
    "item_id",
    "upstream",
    "upstream_kind",
    "category",
    "family",
    "intent",
    "harm",
    "verdict_helpful",
    "verdict_harmless",
    "dl",
    "copy",
    "length_change",
    "degenerate",
    "broke_perfect",
    "question",
    "answer",
    "correction",
    "gold_correction",
    "helpful_before",
    "harmless_before",
    "reasons_before",
    "helpful_after",
    "harmless_after",
    "reasons_after",
  ],
  "residuals#siblings": ["id", "upstream", "upstream_kind", "answer", "correction", "verdict_helpful", "verdict_harmless", "copy", "dl"],
  "residuals#inserted": ["phrase", "n"],
  "residuals#deleted": ["phrase", "n"],
  "residuals#vocabByCategory": ["category", "side", "phrase", "n"],
  "imported-residuals#datasets": ["dataset", "n"],
  "imported-residuals#importedFacets": ["value"],
  "imported-residuals#importedTotals": ["n", "dl_max"],
  "imported-residuals#importedMatches": ["id", "row", "generator", "copy", "dl", "length_change", "question"],
  "imported-residuals#importedDetail": [
    "id",
    "row",
    "source",
    "generator",
    "dl",
    "copy",
    "length_change",
    "answer_chars",
    "correction_chars",
    "degenerate",
    "question",
    "answer",
    "correction",
  ],
  "imports#stats": [
    "dataset",
    "n",
    "copy_rate",
    "dl_mean",
    "dl_median",
    "answer_chars_mean",
    "correction_chars_mean",
    "answer_tokens_mean",
    "correction_tokens_mean",
    "length_change_mean",
    "degenerate",
    "empty",
    "truncated",
    "repeated_ngram",
    "run_together",
    "non_ascii_injection",
  ],
  "imports#points": ["dataset", "row", "dl", "answer_chars", "correction_chars", "copy"],
  "training#runList": RUN_FACTS,
  "training#curves": ["model", "stage", "step", "global_step", "loss", "val_loss"],
  "training#bases": ["model", "stage", "step", "global_step", "loss", "val_loss"],
  "training#throughput": ["model", "stage", "backend", "tokens_per_s", "final_loss", "best_val_loss", "peak_lr"],
  "training#sweep": ["warmup_fraction", "upstream_kind", "dimension", "n", "omega", "omega_lo", "omega_hi"],
  "weak-to-strong#runList": [...RUN_FACTS, "config"],
  "weak-to-strong#w2sAll": ["n"],
  "weak-to-strong#results": ["method", "round", "dimension", "score", "omega", "omega_lo", "omega_hi", "pgr", "pgr_note"],
  "weak-to-strong#acrossRuns": [
    "run_id",
    "preset",
    "seed",
    "eval_world",
    "config",
    "dimension",
    "strong",
    "weak",
    "ceiling",
    "w2s",
    "pgr",
    "pgr_note",
    "dpo",
    "dpo_nll",
  ],
  "weak-to-strong#byCategory": ["category", "method", "round", "dimension", "score"],
  "playground#tried": ["id", "upstream", "item_id", "question", "answer"],
  "data#memorized": ["category", "shift", "n", "gold_memorized", "output_memorized"],
  "runs#runList": [...RUN_FACTS, "config", "versions"],
  "runs#deltas": [
    "method",
    "upstream",
    "upstream_kind",
    "dimension",
    "omega_ref",
    "omega_run",
    "delta_omega",
    "delta_score",
    "delta_copy_rate",
    "delta_dl",
  ],
  "runs#averages": ["run_id", "method", "dimension", "omega"],
  "runs#presetSizes": ["preset", "key", "value"],
  "judge#agreement": ["dimension", "n", "agreed", "agreement", "malformed", "judge_model"],
  "judge#confusion": ["dimension", "verdict", "oracle_verdict", "n"],
  "judge#disagreements": ["id", "dimension", "verdict", "oracle_verdict", "upstream", "category", "order", "raw", "question"],
};
/** Queries the page reads with `.get(0)`: one row even on empty tables, with n = 0. */
const ONE_ROW = new Set(["residuals#totals", "imported-residuals#importedTotals", "weak-to-strong#w2sAll", "index#scratchRows"]);

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
  const extra: Record<string, { rows: Row[]; schema: Schema }> = names.includes("presets")
    ? { presets: { rows: presetRows, schema: PRESETS } }
    : {};
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
    for (const page of pages)
      for (const [name, file] of Object.entries(page.tables))
        expect(entries, `${page.page}: sql: ${name}`).toContain(file.replace("./data/", ""));
    for (const md of readdirSync(PAGES_DIR).filter((f) => f.endsWith(".md"))) {
      for (const [, file] of readFileSync(join(PAGES_DIR, md), "utf-8").matchAll(/FileAttachment\("\.\/data\/([^"]+)"\)/g)) {
        const entry = existsSync(join(PAGES_DIR, "data", `${file!}.ts`)) || existsSync(join(PAGES_DIR, "data", file!));
        expect(entries.has(file!) || entry, `${md}: FileAttachment ./data/${file}`).toBe(true);
      }
    }
  });

  it("declares the columns every ```sql query's page reads, and the page's code names each of them", () => {
    const components = readdirSync(join(PAGES_DIR, "components"))
      .map((f) => readFileSync(join(PAGES_DIR, "components", f), "utf-8"))
      .join("\n");
    const blocks = queries.filter((q) => !q.id.startsWith("js:")).map((q) => `${q.page}#${q.id}`);
    expect(blocks.sort()).toEqual(Object.keys(READS).sort());
    for (const [key, columns] of Object.entries(READS)) {
      const page = readFileSync(join(PAGES_DIR, `${key.split("#")[0]}.md`), "utf-8").replace(/^```sql[\s\S]*?^```/gm, "");
      for (const c of columns)
        expect(new RegExp(`\\b${c}\\b`).test(page) || new RegExp(`\\b${c}\\b`).test(components), `${key}: ${c}`).toBe(true);
    }
    expect(find("residuals", "matches").params).toContain("search");
  });

  it.each(queries.map((q) => [`${q.page}#${q.id}`, q] as const))(
    "%s returns the columns its page reads, with the page's default and a narrow choice of values",
    async (key, q) => {
      for (const variant of ["defaults", "narrow"] as const) {
        const columns = await dbs.get(q.page)!.columns(q.sql, bind(q, variant));
        expect(columns, variant).toEqual(expect.arrayContaining(READS[key] ?? []));
        expect(new Set(columns).size, `${variant}: duplicate column names`).toBe(columns.length);
      }
    },
  );

  it.each(queries.map((q) => [`${q.page}#${q.id}`, q] as const))(
    "%s on empty tables: no rows (one row of zero counts where the page reads .get(0)), so the page shows its empty note",
    async (key, q) => {
      const rows = await emptyDbs.get(q.page)!.query(q.sql, bind(q, "defaults"));
      if (ONE_ROW.has(key)) {
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ n: 0 });
      } else if (/\bFROM presets\b/.test(q.sql))
        expect(rows).toHaveLength(presetRows.length); // shipped presets, not a run's table
      else expect(rows).toEqual([]);
      expect(await emptyDbs.get(q.page)!.columns(q.sql, bind(q, "defaults"))).toEqual(
        await dbs.get(q.page)!.columns(q.sql, bind(q, "defaults")),
      );
    },
  );

  it("residual explorer: the default filters keep every correction and the narrow ones match a filter in JS", async () => {
    const q = find("residuals", "matches");
    expect(await run(q, "defaults")).toHaveLength(tables.corrections.length);
    const expected = tables.corrections.filter(
      (r) =>
        r.upstream === "llama-mini" &&
        r.category === "facts" &&
        r.intent === "answer" &&
        r.shift === "iid" &&
        r.verdict_helpful === "win" &&
        r.verdict_harmless === "tie" &&
        !r.copy &&
        (r.dl as number) >= 0.1 &&
        (r.dl as number) <= 0.9 &&
        [r.question, r.answer, r.correction].some((t) => String(t).toLowerCase().includes("capital")),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect((await run(q, "narrow")).map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
  });

  it("residual explorer: the selected row, its siblings across all upstreams, the vocabulary", async () => {
    const [detail] = await run(find("residuals", "detail"), "narrow");
    expect(detail).toMatchObject({
      id: someRow.id,
      answer: someRow.answer,
      correction: someRow.correction,
      reasons_before: someRow.reasons_before,
    });
    const siblings = await run(find("residuals", "siblings"), "narrow");
    expect(siblings.map((r) => r.upstream)).toEqual([
      "gpt-mini",
      "llama-mini",
      "vicuna-mini",
      "alpaca-mini",
      "beaver-mini",
      "mistral-mini",
    ]);
    const inserted = await run(find("residuals", "inserted"));
    expect(inserted.length).toBeGreaterThan(0);
    expect(inserted.length).toBeLessThanOrEqual(15);
    const byCategory = await run(find("residuals", "vocabByCategory"));
    expect(new Set(byCategory.map((r) => r.category)).size).toBe(8);
  });

  it("imported residuals: the Dataset selector starts on the first dataset; the filters that apply (generator, copy, D_L, search) match a filter in JS", async () => {
    const db = dbs.get("imported-residuals")!;
    const q = find("imported-residuals", "importedMatches");
    const values: Record<string, Value> = {
      dataset: "alpaca-like",
      generator: "aligner_llama-mini",
      edit: "edited",
      dlMin: 0.05,
      dlMax: 5,
      search: "",
    };
    const rows = await db.query(
      q.sql,
      q.params.map((p) => values[p]!),
    );
    const expected = tables.imported.filter(
      (r) =>
        r.dataset === "alpaca-like" && r.generator === "aligner_llama-mini" && !r.copy && (r.dl as number) >= 0.05 && (r.dl as number) <= 5,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.row)).toEqual(expected.map((r) => r.row));
    const datasets = await run(find("imported-residuals", "datasets"));
    expect(datasets.map((r) => [r.dataset, r.n])).toEqual([
      ["alpaca-like", 90],
      ["plain", 30],
    ]);
    expect(VALUES.dataset!.defaults).toBe(datasets[0]!.dataset);
    expect(await run(q, "defaults")).toHaveLength(tables.imported.filter((r) => r.dataset === "alpaca-like").length);
    expect(await run(q, "narrow")).toEqual([]); // "plain" has no generator column
    expect((await run(find("imported-residuals", "importedFacets"))).map((r) => r.value)).toEqual([
      "aligner_alpaca-mini",
      "aligner_beaver-mini",
      "aligner_gpt-mini",
      "aligner_llama-mini",
      "aligner_mistral-mini",
      "aligner_vicuna-mini",
    ]);
    expect(await run(find("imported-residuals", "importedFacets"), "narrow")).toEqual([]);
    const [detail] = await db.query(find("imported-residuals", "importedDetail").sql, ["plain", "row-1"]);
    expect(detail).toMatchObject({ dataset: "plain", id: "row-1", correction: "", degenerate: "empty", generator: null });
  });

  it("imported datasets: per-dataset statistics equal aligner metrics' (describeCorrections) on the same rows", async () => {
    const stats = await run(find("imports", "stats"));
    expect(stats.map((r) => r.dataset)).toEqual(["alpaca-like", "plain"]);
    for (const s of stats) {
      const rows = tables.imported.filter((r) => r.dataset === s.dataset);
      const m = describeCorrections(rows.map((r) => ({ answer: String(r.answer), correction: String(r.correction) })));
      expect(s.n).toBe(m.rows);
      for (const key of [
        "copy_rate",
        "dl_mean",
        "dl_median",
        "answer_chars_mean",
        "correction_chars_mean",
        "answer_tokens_mean",
        "correction_tokens_mean",
      ] as const) {
        expect(s[key], `${s.dataset} ${key}`).toBeCloseTo(m[key], 12);
      }
      for (const [flag, n] of Object.entries(m.degenerate)) expect(s[flag], `${s.dataset} ${flag}`).toBe(n);
      expect(s.degenerate).toBe(rows.filter((r) => r.degenerate !== "").length);
    }
    expect(stats.find((r) => r.dataset === "plain")).toMatchObject({ empty: 1, generators: 0 });
    expect(await run(find("imports", "points"))).toHaveLength(tables.imported.length);
  });

  it("overview: the headline reads the mean rows (the paper's Aligner, then the copy rule); the study lists the headline first; the paper table lists seen upstreams, held-out ones, then the pooled row", async () => {
    const headline = await run(find("index", "headline"));
    expect(headline.map((r) => `${r.method}:${r.shift}:${r.dimension}`)).toEqual(
      ["aligner", "aligner+copy-rule"].flatMap((m) => ["all", "iid", "ood"].flatMap((s) => [`${m}:${s}:harmless`, `${m}:${s}:helpful`])),
    );
    for (const shift of ["all", "iid", "ood"]) {
      const row = tables.summary.find(
        (r) =>
          r.run_id === latest &&
          r.method === "aligner" &&
          r.category === "all" &&
          r.shift === shift &&
          r.dimension === "helpful" &&
          r.upstream === "mean",
      )!;
      const cell = headline.find((r) => r.method === "aligner" && r.dimension === "helpful" && r.shift === shift)!;
      expect(cell).toMatchObject({ upstreams: 6, omega: row.omega, omega_lo: row.omega_lo, omega_hi: row.omega_hi });
    }
    const seeds = await run(find("index", "seeds"));
    expect(seeds[0]).toMatchObject({ upstream: "mean", seeds: 3, seed_list: "42,43,44" });
    expect(new Set(seeds.map((r) => r.method))).toEqual(new Set(["aligner", "aligner+copy-rule"]));
    expect(new Set(seeds.map((r) => r.upstream)).size).toBe(8); // the headline, six upstreams, all answers pooled
    const paper = await run(find("index", "paper"));
    expect(paper.map((r) => r.upstream_kind)).toEqual(["seen", "seen", "seen", "heldout", "heldout", "heldout", "all"]);
    expect(paper.every((r) => r.omega_helpful != null && r.omega_harmless != null && r.win_helpful != null)).toBe(true);
  });

  it("API judge: agreement per dimension, the confusion and the disagreements match the judgements in JS", async () => {
    const judgements = tables.judgements;
    const agreement = await run(find("judge", "agreement"));
    expect(agreement.map((r) => r.dimension)).toEqual(["helpful", "harmless"]);
    for (const a of agreement) {
      const own = judgements.filter((j) => j.dimension === a.dimension);
      const valid = own.filter((j) => j.agree !== null);
      expect(a).toMatchObject({
        n: valid.length,
        agreed: valid.filter((j) => j.agree).length,
        malformed: own.filter((j) => j.malformed).length,
      });
      expect(a.agreement).toBeCloseTo(valid.filter((j) => j.agree).length / valid.length, 12);
      expect(a.agreement as number).toBeLessThan(1);
    }
    const confusion = await run(find("judge", "confusion"));
    expect(confusion.reduce((s, r) => s + (r.n as number), 0)).toBe(judgements.length);
    const disagree = await run(find("judge", "disagreements"));
    expect(disagree.map((r) => `${r.id}:${r.dimension}`).sort()).toEqual(
      judgements
        .filter((j) => j.agree === false)
        .map((j) => `${j.id}:${j.dimension}`)
        .sort(),
    );
    expect(disagree.every((r) => typeof r.question === "string" && r.verdict !== r.oracle_verdict)).toBe(true);
    const malformed = await run(find("judge", "disagreements"), "narrow");
    expect(malformed.map((r) => r.id).sort()).toEqual(
      judgements
        .filter((j) => j.malformed && j.dimension === "harmless")
        .map((j) => j.id)
        .sort(),
    );
    expect(malformed.length).toBeGreaterThan(0);
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

describe("page layout", () => {
  const files = readdirSync(PAGES_DIR)
    .filter((f) => f.endsWith(".md"))
    .sort();
  const outlines = files.map((f) => [f, outlinePage(join(PAGES_DIR, f))] as const);
  const isStylesheet = (p: { kind: string; text?: string }) => p.kind === "prose" && /^<link rel="stylesheet"[^>]*>$/.test(p.text!);

  it("every page is in the sidebar, and every sidebar page has a file", async () => {
    const config = (await import("../../observablehq.config.js")).default as { pages: { path: string }[] };
    const paths = config.pages.map((p) => (p.path === "/" ? "index" : p.path.slice(1)));
    expect([...paths].sort()).toEqual(files.map((f) => f.replace(/\.md$/, "")));
  });

  it.each(outlines)("%s opens with its title and a paragraph, before any code", (_, parts) => {
    const body = parts.filter((p) => !isStylesheet(p));
    expect(body[0]).toMatchObject({ kind: "heading", level: 1 });
    expect(body[1]?.kind).toBe("prose");
    expect(parts.filter((p) => p.kind === "heading" && p.level === 1)).toHaveLength(1);
  });

  it.each(outlines)("%s: each query sits in the section of the code that reads it, with a sentence between", (_, parts) => {
    parts.forEach((part, i) => {
      if (part.kind !== "code" || part.lang !== "sql") return;
      const j = parts.findIndex((p, k) => k > i && p.kind === "code" && p.lang === "js");
      expect(j, `${part.id}: no code after it`).toBeGreaterThan(i);
      const between = parts.slice(i + 1, j);
      expect(
        between.filter((p) => p.kind === "heading"),
        `${part.id}: a heading between the query and its code`,
      ).toEqual([]);
      expect(
        between.some((p) => p.kind === "prose"),
        `${part.id}: no sentence between the query and its code`,
      ).toBe(true);
      expect((parts[j] as { text: string }).text, `${part.id}: the code below does not read it`).toMatch(new RegExp(`\\b${part.id}\\b`));
    });
  });

  it.each(outlines)("%s renders no heading from JavaScript", (_, parts) => {
    for (const p of parts) if (p.kind === "code" && p.lang === "js") expect(p.text).not.toMatch(/<h[1-6][\s>]/);
  });

  it("data: a columns heading for every site table, in the order the engine declares them", () => {
    const headings = outlinePage(join(PAGES_DIR, "data.md"))
      .filter((p) => p.kind === "heading" && p.level === 3)
      .map((p) => (p as { text: string }).text);
    expect(headings).toEqual(describeTables().map((t) => `\`${t.table}\``));
  });
});
