import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../../loaders/cli/main.js";
import { describeFile, ImportError, writeImport } from "../../loaders/tables/import.js";
import { importedRows, importedTable, importsDir, listImports, siteHint } from "../../loaders/tables/imported.js";
import { describeCorrection, describeCorrections, mean, median } from "../../loaders/experiment/metrics.js";
import { fromArrow } from "../../loaders/tables/format.js";
import { IMPORTED, type ImportedTableRow } from "../../loaders/experiment/schemas.js";
import { readPage } from "../fixtures/pages.js";
import { openFixtureDb } from "../fixtures/tables.js";

/** Five rows: a copy, an edit, non-BMP text, a refusal and an empty correction (degenerate). */
const FIVE = [
  { question: "What is 2+2?", answer: "It is 4.", correction: "It is 4.", generator: "gen-a" },
  { question: "Say hi", answer: "hi,\nthere", correction: "Hello, there!", generator: "gen-a" },
  { question: "Emoji?", answer: "👋 héllo", correction: "hello 👋", generator: "gen-b" },
  { question: "Steps?", answer: "Sure: steps.", correction: "I can't help with that.", generator: "gen-b" },
  { question: "Empty correction?", answer: "Something.", correction: "", generator: "gen-b" },
];
const toJsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

let root: string;
let dir: string;
let rows: ImportedTableRow[];
beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "aligner-imports-test-"));
  dir = join(root, "imports");
  const input = join(root, "outputs.jsonl");
  writeFileSync(input, toJsonl(FIVE));
  const plain = join(root, "plain.csv");
  writeFileSync(plain, "question,answer,correction\nq1,one two three,one two three four\nq2,same,same\n");
  await writeImport(input, join(dir, "synthetic.parquet"));
  await writeImport(plain, join(dir, "plain.parquet"));
  writeFileSync(join(dir, "notes.txt"), "not a dataset");
  writeFileSync(join(dir, ".partial.parquet.123.tmp"), "half a file");
  rows = await importedRows(dir);
});

const pick = (dataset: string) => rows.filter((r) => r.dataset === dataset);

describe("imported datasets", () => {
  it("names each Parquet file in the imports folder a dataset, skipping other and hidden files", () => {
    expect(listImports(dir).map((d) => d.dataset)).toEqual(["plain", "synthetic"]);
    expect([...new Set(rows.map((r) => r.dataset))]).toEqual(["plain", "synthetic"]);
  });

  it("keeps each row's id, input file, input row and generator through the Parquet", () => {
    expect(pick("synthetic").map((r) => [r.id, r.source, r.row, r.generator])).toEqual(
      FIVE.map((r, k) => [`row-${k + 1}`, "outputs.jsonl", k + 1, r.generator]),
    );
    expect(pick("plain").map((r) => [r.source, r.generator])).toEqual([
      ["plain.csv", null],
      ["plain.csv", null],
    ]);
  });

  it("measures each row as describeCorrection does: copy, D_L, tokens, characters, length change, degenerate flags", () => {
    const synthetic = pick("synthetic");
    FIVE.forEach((r, k) => {
      const m = describeCorrection(r);
      expect(synthetic[k]).toMatchObject({
        question: r.question,
        answer: r.answer,
        correction: r.correction,
        copy: m.copy,
        dl: m.dl,
        answer_tokens: m.answer_tokens,
        correction_tokens: m.correction_tokens,
        answer_chars: m.answer_chars,
        correction_chars: m.correction_chars,
        length_change: m.correction_tokens - m.answer_tokens,
        degenerate: m.degenerate.join(","),
      });
    });
    expect(synthetic.map((r) => r.copy)).toEqual([true, false, false, false, false]);
    expect(synthetic[0]!.dl).toBe(0);
    expect(synthetic[2]).toMatchObject({ answer_chars: 7, correction_chars: 7 }); // code points, not UTF-16 units
    expect(synthetic[4]!.degenerate).toBe("empty");
    expect(pick("plain")[0]).toMatchObject({ dl: 1 / 3, length_change: 1, copy: false });
  });

  it("gives per-dataset means equal to aligner metrics on the dataset's Parquet", async () => {
    for (const dataset of ["synthetic", "plain"]) {
      const got = pick(dataset);
      const metrics = await describeFile(join(dir, `${dataset}.parquet`));
      expect(metrics).toEqual(describeCorrections(got.map((r) => ({ answer: r.answer!, correction: r.correction! }))));
      expect({
        rows: got.length,
        copy_rate: got.filter((r) => r.copy).length / got.length,
        dl_mean: mean(got.map((r) => r.dl!)),
        dl_median: median(got.map((r) => r.dl!)),
        answer_chars_mean: mean(got.map((r) => r.answer_chars!)),
        correction_chars_mean: mean(got.map((r) => r.correction_chars!)),
        answer_tokens_mean: mean(got.map((r) => r.answer_tokens!)),
        correction_tokens_mean: mean(got.map((r) => r.correction_tokens!)),
      }).toEqual({ ...metrics, degenerate: undefined, rows: metrics.rows });
    }
  });

  it("writes an Arrow table with the declared schema, and an empty one (0 rows, same schema) when nothing is imported", async () => {
    const { tableFromIPC } = await import("apache-arrow");
    const full = tableFromIPC(await importedTable(dir));
    expect(full.numRows).toBe(7);
    expect(fromArrow(await importedTable(dir))).toEqual(rows);
    for (const empty of [join(root, "no-such-folder"), mkdtempSync(join(tmpdir(), "aligner-imports-empty-"))]) {
      expect(await importedRows(empty)).toEqual([]);
      const table = tableFromIPC(await importedTable(empty));
      expect(table.numRows).toBe(0);
      expect(table.schema.fields.map((f) => f.name)).toEqual(Object.keys(IMPORTED));
    }
  });

  it("fails with an ImportError naming the file when a Parquet file in the folder is not an import", async () => {
    const bad = join(root, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "broken.parquet"), "PAR1 not really");
    await expect(importedRows(bad)).rejects.toBeInstanceOf(ImportError);
    await expect(importedRows(bad)).rejects.toThrow(/broken\.parquet: not a readable Parquet file/);
  });

  it("reads the imports folder from $ALIGNER_IMPORTS, else runs/imports under the runs root", () => {
    const saved = { imports: process.env.ALIGNER_IMPORTS, runs: process.env.ALIGNER_RUNS };
    try {
      process.env.ALIGNER_IMPORTS = dir;
      expect(importsDir()).toBe(dir);
      delete process.env.ALIGNER_IMPORTS;
      process.env.ALIGNER_RUNS = root;
      expect(importsDir()).toBe(join(root, "imports"));
    } finally {
      for (const [key, value] of [
        ["ALIGNER_IMPORTS", saved.imports],
        ["ALIGNER_RUNS", saved.runs],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("aligner import says on stderr how a dataset reaches the site, or that it will", async () => {
    const run = async (out: string) => {
      let stdout = "";
      let stderr = "";
      const code = await main(
        ["import", join(root, "outputs.jsonl"), "--out", out],
        { write: (s: string) => ((stdout += s), true) } as never,
        { write: (s: string) => ((stderr += s), true) } as never,
      );
      return { code, stdout, stderr };
    };
    const saved = process.env.ALIGNER_IMPORTS;
    process.env.ALIGNER_IMPORTS = join(root, "site-imports");
    try {
      const elsewhere = await run(join(root, "rows.parquet"));
      expect(elsewhere.code).toBe(0);
      expect(JSON.parse(elsewhere.stdout)).toMatchObject({ rows: 5 });
      expect(elsewhere.stderr).toBe(
        `aligner: to browse it on the site, import with --out ${join(root, "site-imports", "NAME.parquet")} (the folder is $ALIGNER_IMPORTS, default runs/imports/)\n`,
      );
      const there = await run(join(root, "site-imports", "alpaca.parquet"));
      expect(there.stderr).toMatch(
        /^aligner: dataset "alpaca" will appear on the site \(Residuals, Imported datasets\) at the next build or preview\n$/,
      );
      expect(listImports().map((d) => d.dataset)).toEqual(["alpaca"]);
    } finally {
      if (saved === undefined) delete process.env.ALIGNER_IMPORTS;
      else process.env.ALIGNER_IMPORTS = saved;
    }
    expect(siteHint("runs/imports/x.parquet", "runs/imports")).toMatch(/dataset "x" will appear/);
  });
});

// Real Aligner-2B corrections (../shared/data, CC BY-NC): read in place, imported to a temp folder,
// never copied into the project.
const SHARED = join(import.meta.dirname, "..", "..", "..", "shared", "data", "alpaca_eval-aligner-2b");
const WHY = "../shared/data (real Aligner-2B rows, CC BY-NC, never copied into the project) is absent on this machine";
const FILES = ["aligner-2b_gpt-4-turbo-2024-04-09", "aligner-2b_claude-3-opus-20240229"];

describe.skipIf(!existsSync(SHARED))(`real AlpacaEval rows in the imported table (skipped where ${WHY})`, () => {
  it("has per-dataset means equal to aligner metrics on each file, in the engine and in the imports page's SQL", async () => {
    const real = join(mkdtempSync(join(tmpdir(), "aligner-imports-real-")), "imports");
    for (const name of FILES) await writeImport(join(SHARED, `${name}.json`), join(real, `${name}.parquet`));
    const table = await importedRows(real);
    expect(table).toHaveLength(2 * 805);
    const stats = readPage(join(import.meta.dirname, "..", "..", "src", "imports.md")).queries.find((q) => q.id === "stats")!;
    const db = await openFixtureDb({ imported: table });
    try {
      const bySql = await db.query(stats.sql);
      for (const name of FILES) {
        const metrics = await describeFile(join(SHARED, `${name}.json`));
        const got = table.filter((r) => r.dataset === name);
        expect(got.every((r) => r.generator === name && r.source === `${name}.json`)).toBe(true);
        expect(describeCorrections(got.map((r) => ({ answer: r.answer!, correction: r.correction! })))).toEqual(metrics);
        expect(mean(got.map((r) => r.answer_chars!))).toBe(metrics.answer_chars_mean);
        expect(mean(got.map((r) => r.correction_chars!))).toBe(metrics.correction_chars_mean);
        expect(mean(got.map((r) => r.dl!))).toBe(metrics.dl_mean);
        expect(median(got.map((r) => r.dl!))).toBe(metrics.dl_median);
        const sql = bySql.find((r) => r.dataset === name)!;
        expect(sql.n).toBe(805);
        for (const key of [
          "copy_rate",
          "dl_mean",
          "dl_median",
          "answer_chars_mean",
          "correction_chars_mean",
          "answer_tokens_mean",
          "correction_tokens_mean",
        ] as const) {
          expect(sql[key] as number, `${name} ${key}`).toBeCloseTo(metrics[key], 9);
        }
        for (const [flag, n] of Object.entries(metrics.degenerate)) expect(sql[flag], `${name} ${flag}`).toBe(n);
        // The leaderboard's avg_length (README of ../shared/data), through the imported table.
        expect(Math.trunc(sql.correction_chars_mean as number)).toBe(name.includes("gpt-4") ? 1370 : 1669);
      }
    } finally {
      db.close();
    }
    expect(
      readFileSync(join(real, `${FILES[0]}.parquet`))
        .subarray(0, 4)
        .toString(),
    ).toBe("PAR1");
  }, 120_000);
});
