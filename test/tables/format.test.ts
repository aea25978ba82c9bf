import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromArrow, toArrowStream, writeParquet, type Schema } from "../../loaders/tables/format.js";

const schema: Schema = { question: "string", dl: "float", tokens: "int", copy: "bool" };
const rows = [
  { question: "What is 2+2?", dl: 0.5, tokens: 12, copy: false },
  { question: "Kill a stuck process?", dl: 0, tokens: 7, copy: true },
  { question: "ünïcödé ✓", dl: null, tokens: null, copy: null },
];

describe("toArrowStream", () => {
  it("writes an Arrow IPC stream (0xFFFFFFFF continuation, not the ARROW1 file magic) that reads back", () => {
    const bytes = toArrowStream("t", rows, schema);
    expect([...bytes.slice(0, 4)]).toEqual([255, 255, 255, 255]);
    expect(fromArrow(bytes)).toEqual(rows);
  });

  it.each([
    [{ question: 3 }, /table t, row 0, column "question": expected string, got 3/],
    [{ tokens: 1.5 }, /row 0, column "tokens": expected int, got 1.5/],
    [{ copy: "yes" }, /column "copy": expected bool/],
    [{ extra: 1 }, /row 0: column "extra" is not in the schema/],
  ])("rejects a bad row %j naming table, row and column", (bad, message) => {
    expect(() => toArrowStream("t", [bad as never], schema)).toThrow(message);
  });
});

describe("writeParquet", () => {
  it("writes Parquet (PAR1) that DuckDB reads back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aligner-tables-"));
    const file = join(dir, "t.parquet");
    await writeParquet(file, "t", rows, schema);
    const bytes = readFileSync(file);
    expect(bytes.subarray(0, 4).toString()).toBe("PAR1");
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const reader = await con.runAndReadAll(`SELECT count(*)::INTEGER AS n, sum(tokens)::INTEGER AS t FROM '${file}'`);
    expect(reader.getRowObjects()).toEqual([{ n: 3, t: 19 }]);
    con.closeSync();
    db.closeSync();
    expect(readdirSync(dir)).toEqual(["t.parquet"]);
  });

  it("leaves no file behind when a row is bad", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aligner-tables-"));
    await expect(writeParquet(join(dir, "t.parquet"), "t", [{ question: 1 } as never], schema)).rejects.toThrow(/expected string/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
