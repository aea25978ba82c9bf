/** Parquet input for `aligner import`, read in DuckDB's chunks so memory stays bounded. */
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { ImportError, readBytes, type Source } from "./import-source.js";
import type { RawRow } from "./import-read.js";

/** Batches of rows; `found.columns` is set before the first batch. A compressed file is inflated to a temporary file. */
export async function* parquetRows(source: Source, found: { columns?: string[] }): AsyncGenerator<RawRow[]> {
  const { file } = source;
  const { DuckDBInstance, JSDuckDBValueConverter } = await import("@duckdb/node-api");
  const dir = mkdtempSync(join(tmpdir(), "aligner-import-"));
  let path = file;
  if (source.compression !== "none") {
    path = join(dir, "in.parquet");
    await pipeline(readBytes(source), createWriteStream(path));
  }
  const instance = await DuckDBInstance.create(":memory:", { memory_limit: "192MB", threads: "2" });
  const connection = await instance.connect();
  let rows = 0;
  try {
    let result;
    try {
      result = await connection.stream(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`);
      found.columns = result.columnNames();
    } catch (error) {
      throw new ImportError(`${file}: not a readable Parquet file (${(error as Error).message.split("\n")[0]})`);
    }
    for (;;) {
      let chunk;
      try {
        chunk = await result.fetchChunk();
      } catch (error) {
        throw new ImportError(`${file}: not a readable Parquet file (${(error as Error).message.split("\n")[0]})`);
      }
      if (!chunk || chunk.rowCount === 0) break;
      const names = found.columns;
      const batch = chunk.convertRows(JSDuckDBValueConverter).map((values, k) => {
        const row: Record<string, unknown> = {};
        names.forEach((c, j) => (row[c] = values[j]));
        return { values: row, row: rows + k + 1 };
      });
      rows += batch.length;
      yield batch;
    }
    if (rows === 0) throw new ImportError(`${file}: no rows`);
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}
