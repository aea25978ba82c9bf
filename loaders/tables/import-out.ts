/** Checks `aligner import`'s --out before any work: a .parquet name, not the input, in a folder that exists or can be made. */
import { realpathSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { makeDirs } from "../engine/files.js";
import { ImportError } from "./import-source.js";

/** Throws a one-line `ImportError` unless `out` can take the import of `file`; creates its folder. */
export function checkOut(file: string, out: string): void {
  if (out.trim() === "") throw new ImportError(`--out "": expected OUT.parquet`);
  if (!out.toLowerCase().endsWith(".parquet")) {
    throw new ImportError(`${out}: --out must name a .parquet file (the import is written as Parquet), e.g. --out NAME.parquet`);
  }
  const there = statSync(out, { throwIfNoEntry: false });
  if (there?.isDirectory()) throw new ImportError(`${out}: --out names a folder; give a file name, e.g. ${resolve(out, "NAME.parquet")}`);
  const input = statSync(file, { throwIfNoEntry: false });
  if (there && input) {
    const same = (there.dev === input.dev && there.ino === input.ino) || _real(out) === _real(file);
    if (same) throw new ImportError(`${out}: --out is the input file ${file} itself; write the import to another file`);
  }
  try {
    makeDirs(dirname(out));
  } catch (error) {
    throw new ImportError(`${out}: ${(error as Error).message}`);
  }
}

function _real(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
