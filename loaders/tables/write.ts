/** A run's tables on disk: each as Arrow IPC stream (what the site reads) and Parquet (the export format). */
import { join } from "node:path";
import { makeDirs, writeFileAtomic } from "../engine/files.js";
import { JUDGEMENTS, TABLES, type Row } from "../experiment/schemas.js";
import { toArrowStream, writeParquet } from "./format.js";

/** What a run may write: the site tables and, when an API judge ran, its judgements. */
export const RUN_TABLES = { ...TABLES, judgements: JUDGEMENTS } as const;

/** Writes each table as `<name>.arrow` and `<name>.parquet` in `dir`, each atomically. */
export async function writeTables(dir: string, tables: Partial<Record<keyof typeof RUN_TABLES, readonly Row[]>>): Promise<void> {
  makeDirs(dir);
  for (const [name, rows] of Object.entries(tables) as [keyof typeof RUN_TABLES, Row[]][]) {
    writeFileAtomic(join(dir, `${name}.arrow`), toArrowStream(name, rows, RUN_TABLES[name]));
    await writeParquet(join(dir, `${name}.parquet`), name, rows, RUN_TABLES[name]);
  }
}
