// loaders/tables/site.ts: the site's copy of a table a run may not write (`judgements`, only with an API
// judge) is empty with the table's schema, and loaders/tables/write.ts writes no file for a table not given.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { tableFromIPC } from "apache-arrow";
import { JUDGEMENTS } from "../../loaders/experiment/schemas.js";
import { siteParquet, siteTable } from "../../loaders/tables/site.js";
import { writeTables } from "../../loaders/tables/write.js";
import { fixtureTables, readArrowRows, writeFixtureTables } from "../fixtures/tables.js";

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "aligner-site-table-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  vi.unstubAllEnvs();
  dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe("siteTable", () => {
  const tables = fixtureTables({ corrections: 60, runs: 1 });

  it("gives 0 rows of the judgements schema for tables without an API judge's", async () => {
    const dir = tempDir();
    writeFixtureTables(dir, tables, ["judgements"]);
    vi.stubEnv("ALIGNER_TABLES_DIR", dir);
    const empty = tableFromIPC(await siteTable("judgements"));
    expect(empty.numRows).toBe(0);
    expect(empty.schema.fields.map((f) => f.name)).toEqual(Object.keys(JUDGEMENTS));
    expect((await siteParquet("judgements")).byteLength).toBeGreaterThan(0);
  });

  it("gives the judge's verdicts when the run has them", async () => {
    const dir = tempDir();
    writeFixtureTables(dir, tables);
    vi.stubEnv("ALIGNER_TABLES_DIR", dir);
    expect(readArrowRows(await siteTable("judgements"))).toHaveLength(tables.judgements.length);
    expect(tables.judgements.length).toBeGreaterThan(0);
  });

  it("still fails for a missing table every run writes", async () => {
    const dir = tempDir();
    writeFixtureTables(dir, tables, ["summary"]);
    vi.stubEnv("ALIGNER_TABLES_DIR", dir);
    await expect(siteTable("summary")).rejects.toThrow(/summary\.arrow/);
  });
});

describe("writeTables", () => {
  it("writes a file only for the tables given: no judgements without an API judge", async () => {
    const dir = tempDir();
    await writeTables(dir, { runs: [], summary: [] });
    expect(readdirSync(dir).sort()).toEqual(["runs.arrow", "runs.parquet", "summary.arrow", "summary.parquet"]);
  });
});
