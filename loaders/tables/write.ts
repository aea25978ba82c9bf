/** A run's tables on disk: each as Arrow IPC stream (what the site reads) and Parquet (the export format). */
import { join } from "node:path";
import { makeDirs, writeFileAtomic } from "../engine/files.js";
import { TABLES, type Row, type TableName } from "../experiment/schemas.js";
import { toArrowStream, writeParquet } from "./format.js";

/**
 * Writes each table given as `<name>.arrow` and `<name>.parquet` in `dir`, each atomically; a table not
 * given gets no file (`judgements` is given only when an API judge ran).
 */
export async function writeTables(dir: string, tables: Partial<Record<TableName, readonly Row[]>>): Promise<void> {
  makeDirs(dir);
  for (const [name, rows] of Object.entries(tables) as [TableName, Row[]][]) {
    writeFileAtomic(join(dir, `${name}.arrow`), toArrowStream(name, rows, TABLES[name]));
    await writeParquet(join(dir, `${name}.parquet`), name, rows, TABLES[name]);
  }
}
