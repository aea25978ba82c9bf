/**
 * Tables: rows of plain objects to Arrow IPC stream bytes (what the site's DuckDB-WASM reads) and, for
 * export, to Parquet through native DuckDB. Column types are declared, never guessed from a sample.
 */
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Bool, Float64, Int32, Table, Utf8, Vector, tableFromIPC, tableToIPC, vectorFromArray } from "apache-arrow";

import type { ColumnType, Row, Schema } from "../experiment/schemas.js";

export type { ColumnType, Row, Schema };

const ARROW_TYPES = { string: () => new Utf8(), int: () => new Int32(), float: () => new Float64(), bool: () => new Bool() };

function _checkValue(table: string, row: number, column: string, type: ColumnType, value: unknown): void {
  if (value === null || value === undefined) return;
  const ok =
    type === "string"
      ? typeof value === "string"
      : type === "bool"
        ? typeof value === "boolean"
        : type === "int"
          ? Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1
          : typeof value === "number";
  if (!ok) throw new TypeError(`table ${table}, row ${row}, column "${column}": expected ${type}, got ${JSON.stringify(value)}`);
}

/** Builds an Arrow table from rows with the declared schema; extra row fields are an error. */
export function toArrowTable(name: string, rows: readonly Row[], schema: Schema): Table {
  const columns = Object.keys(schema);
  rows.forEach((row, i) => {
    for (const key of Object.keys(row))
      if (!(key in schema)) throw new TypeError(`table ${name}, row ${i}: column "${key}" is not in the schema`);
    for (const column of columns) _checkValue(name, i, column, schema[column]!, row[column]);
  });
  const vectors: Record<string, Vector> = {};
  for (const column of columns) {
    const type = ARROW_TYPES[schema[column]!]();
    vectors[column] = vectorFromArray(
      rows.map((r) => r[column] ?? null),
      type as never,
    );
  }
  return new Table(vectors);
}

/** Rows to Arrow IPC **stream** bytes (not the file format: Framework's DuckDB client reads streams). */
export function toArrowStream(name: string, rows: readonly Row[], schema: Schema): Uint8Array {
  return tableToIPC(toArrowTable(name, rows, schema), "stream");
}

/** Reads Arrow IPC bytes (stream or file) back to plain rows. */
export function fromArrow(bytes: Uint8Array): Record<string, unknown>[] {
  return tableFromIPC(bytes)
    .toArray()
    .map((r) => ({ ...r.toJSON() }));
}

/** Writes rows as Parquet (the export format) through native DuckDB, atomically. */
export async function writeParquet(path: string, name: string, rows: readonly Row[], schema: Schema): Promise<void> {
  toArrowTable(name, rows, schema); // validates types with row-level errors
  await writeParquetBatches(path, name, [rows], schema);
}

/**
 * Writes batches of rows as Parquet as they come, so memory stays bounded whatever the row count:
 * rows go through an appender into a disk-backed DuckDB database (memory capped, spilling to its
 * temporary folder), then COPY writes a temporary name beside `path`, renamed into place at the end.
 * A failure (a bad value: TypeError naming the row and column) leaves no file.
 */
export async function writeParquetBatches(
  path: string,
  name: string,
  batches: AsyncIterable<readonly Row[]> | Iterable<readonly Row[]>,
  schema: Schema,
): Promise<number> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const dir = mkdtempSync(join(tmpdir(), "aligner-parquet-"));
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  const instance = await DuckDBInstance.create(join(dir, "t.duckdb"), { memory_limit: "64MB", threads: "1", temp_directory: dir });
  const connection = await instance.connect();
  let n = 0;
  try {
    const sqlType = { string: "VARCHAR", int: "INTEGER", float: "DOUBLE", bool: "BOOLEAN" };
    const columns = Object.entries(schema);
    const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
    await connection.run(`CREATE TABLE t (${columns.map(([c, t]) => `${ident(c)} ${sqlType[t]}`).join(", ")})`);
    const appender = await connection.createAppender("t");
    for await (const rows of batches) {
      for (const row of rows) {
        for (const [column, type] of columns) {
          const v = row[column];
          _checkValue(name, n, column, type, v);
          if (v === null || v === undefined) appender.appendNull();
          else if (type === "string") appender.appendVarchar(v as string);
          else if (type === "int") appender.appendInteger(v as number);
          else if (type === "float") appender.appendDouble(v as number);
          else appender.appendBoolean(v as boolean);
        }
        appender.endRow();
        n++;
      }
    }
    appender.closeSync();
    await connection.run(`COPY t TO '${tmp.replaceAll("'", "''")}' (FORMAT parquet)`);
    renameSync(tmp, path);
    return n;
  } finally {
    rmSync(tmp, { force: true });
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
