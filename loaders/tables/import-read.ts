/**
 * Reads a user's file for `aligner import`: JSON array, JSONL, CSV or Parquet, plain or .gz/.xz, into
 * rows of raw values with the columns they have. Every error is an `ImportError` naming the file and,
 * where it applies, the row and line.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { gunzipSync } from "node:zlib";

export type ImportFormat = "json" | "jsonl" | "csv" | "parquet";

/** Bad input: the message names the file and, where it applies, the row, line and field. */
export class ImportError extends Error {
  override name = "ImportError";
}

const EXTENSIONS: Record<string, ImportFormat> = {
  ".json": "json",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".csv": "csv",
  ".parquet": "parquet",
  ".pq": "parquet",
};

/** One row of a user's file before its columns are resolved. */
export interface RawRow {
  values: Record<string, unknown>;
  row: number;
  line?: number;
}
/** A user's file as rows of values, with the columns it has. */
export interface RawTable {
  format: ImportFormat;
  columns: string[];
  rows: RawRow[];
}

export function formatOf(file: string, name: string): ImportFormat {
  const ext = extname(name).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format)
    throw new ImportError(
      `${file}: cannot tell the format from the extension "${ext}" (known: ${Object.keys(EXTENSIONS).join(" ")}, optionally + .gz/.xz); pass --format`,
    );
  return format;
}

/** Strips .gz (node:zlib) or .xz (the system `xz`), recognised by extension or magic bytes. */
export function decompress(file: string, bytes: Uint8Array): { name: string; bytes: Uint8Array } {
  const ext = extname(file).toLowerCase();
  const name = ext === ".gz" || ext === ".xz" ? file.slice(0, -3) : file;
  const gz = ext === ".gz" || (bytes[0] === 0x1f && bytes[1] === 0x8b);
  const xz = ext === ".xz" || [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((b, i) => bytes[i] === b);
  if (gz) {
    try {
      return { name, bytes: gunzipSync(bytes) };
    } catch (error) {
      throw new ImportError(`${file}: not a readable gzip file (${(error as Error).message})`);
    }
  }
  if (xz) {
    const result = spawnSync("xz", ["-dc", "--", file], { maxBuffer: 2 ** 31 - 1 });
    if ((result.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      throw new ImportError(
        `${file}: reading .xz needs the "xz" program, which is not installed (apt-get install xz-utils), or decompress the file first`,
      );
    }
    if (result.error || result.status !== 0) {
      throw new ImportError(`${file}: not a readable xz file (${result.error?.message ?? result.stderr.toString().trim()})`);
    }
    return { name, bytes: result.stdout };
  }
  return { name, bytes };
}

export async function readTable(file: string, bytes: Uint8Array, format: ImportFormat, auto: boolean): Promise<RawTable> {
  if (format === "parquet") return _parquet(file, bytes);
  let text = _decode(file, bytes, format);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark is accepted and dropped
  if (text.trim() === "") throw new ImportError(`${file}: empty file (no rows)`);
  if (auto && format === "json" && _isJsonLines(text)) format = "jsonl"; // HF-style .json with one object per line
  const table = format === "csv" ? _csv(file, text) : format === "jsonl" ? _jsonl(file, text) : _jsonArray(file, text);
  if (table.rows.length === 0) throw new ImportError(`${file}: no rows`);
  return table;
}

/** Strict UTF-8; on a bad byte, says where (line, and row for JSONL). */
function _decode(file: string, bytes: Uint8Array, format: ImportFormat): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    const text = new TextDecoder("utf-8").decode(bytes);
    let offset = 0;
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0xfffd && !(bytes[offset] === 0xef && bytes[offset + 1] === 0xbf && bytes[offset + 2] === 0xbd)) break;
      offset += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    }
    const before = new TextDecoder("utf-8").decode(bytes.subarray(0, offset)).split("\n");
    const line = before.length;
    const where = format === "jsonl" ? whereIs(before.slice(0, -1).filter((l) => l.trim() !== "").length + 1, line) : `line ${line}`;
    throw new ImportError(`${file}: ${where}: invalid UTF-8 at byte ${offset} (0x${(bytes[offset] ?? 0).toString(16)})`);
  }
}

/** True when the first non-blank line is a whole JSON object (so the text is JSON lines, not an array). */
function _isJsonLines(text: string): boolean {
  const first = text.trimStart().split("\n", 1)[0]!;
  if (!first.startsWith("{")) return false;
  try {
    return typeof JSON.parse(first) === "object";
  } catch {
    return false;
  }
}

export const whereIs = (row: number, line?: number) => `row ${row}${line === undefined ? "" : ` (line ${line})`}`;
export const kindOf = (v: unknown) =>
  v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;

function _object(file: string, text: string, row: number, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`${file}: ${whereIs(row, line)}: invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ImportError(`${file}: ${whereIs(row, line)}: expected a JSON object, got ${kindOf(value)}`);
  return value as Record<string, unknown>;
}

function _columnsOf(rows: readonly RawRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const key of Object.keys(r.values)) seen.add(key);
  return [...seen];
}

function _jsonl(file: string, text: string): RawTable {
  const rows: RawRow[] = [];
  text.split("\n").forEach((raw, k) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const row = rows.length + 1;
    rows.push({ values: _object(file, line, row, k + 1), row, line: k + 1 });
  });
  return { format: "jsonl", columns: _columnsOf(rows), rows };
}

/** A JSON array, split into elements by a string-aware bracket scan so each error gets its row and line. */
function _jsonArray(file: string, text: string): RawTable {
  const rows: RawRow[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const skip = () => {
    for (; i < n && /\s/.test(text[i]!); i++) if (text[i] === "\n") line++;
  };
  skip();
  if (text[i] !== "[") throw new ImportError(`${file}: line ${line}: expected a JSON array of objects, found "${text.slice(i, i + 20)}"`);
  i++;
  for (;;) {
    skip();
    if (i >= n) throw new ImportError(`${file}: ${whereIs(rows.length + 1, line)}: truncated JSON: the file ends inside the array`);
    if (text[i] === "]" && rows.length === 0) {
      i++;
      break;
    }
    const start = i;
    const startLine = line;
    let depth = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22 /* " */) {
        for (i++; i < n && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c /* \ */) i++;
      } else if (c === 0x7b || c === 0x5b /* { [ */) depth++;
      else if (c === 0x7d || c === 0x5d /* } ] */) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c /* , */ && depth === 0) break;
      else if (c === 0x0a) line++;
    }
    const row = rows.length + 1;
    if (i >= n) throw new ImportError(`${file}: ${whereIs(row, startLine)}: truncated JSON: the file ends inside this row`);
    rows.push({ values: _object(file, text.slice(start, i), row, startLine), row, line: startLine });
    if (text[i++] === "]") break;
  }
  skip();
  if (i < n) throw new ImportError(`${file}: line ${line}: unexpected text after the JSON array`);
  return { format: "json", columns: _columnsOf(rows), rows };
}

/** RFC 4180 CSV with a header: quoted fields, "" escapes, embedded newlines, CRLF; blank lines skipped. */
function _csv(file: string, text: string): RawTable {
  const records: { fields: string[]; line: number }[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const delimiter = /[,\r\n]/g;
  const where = (startLine: number) => (records.length === 0 ? `header (line ${startLine})` : whereIs(records.length, startLine));
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (text[i] === '"') {
        for (i++; ;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new ImportError(`${file}: ${where(startLine)}: unterminated quoted field`);
          const chunk = text.slice(i, q);
          field += chunk;
          line += chunk.split("\n").length - 1;
          i = q + 1;
          if (text[i] !== '"') break;
          field += '"';
          i++;
        }
        if (i < n && !/[,\r\n]/.test(text[i]!)) throw new ImportError(`${file}: ${where(startLine)}: text after a closing quote`);
      } else {
        delimiter.lastIndex = i;
        const end = delimiter.exec(text)?.index ?? n;
        field = text.slice(i, end);
        i = end;
      }
      fields.push(field);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "\r") i++;
      if (text[i] === "\n") (i++, line++);
      break;
    }
    if (!(fields.length === 1 && fields[0] === "")) records.push({ fields, line: startLine });
  }
  const [header, ...body] = records;
  if (!header) throw new ImportError(`${file}: empty file (no rows)`);
  const columns = header.fields;
  const dup = columns.find((c, k) => columns.indexOf(c) !== k);
  if (dup !== undefined) throw new ImportError(`${file}: line ${header.line}: duplicate column "${dup}" in the header`);
  const rows = body.map(({ fields, line }, k) => {
    if (fields.length !== columns.length)
      throw new ImportError(`${file}: ${whereIs(k + 1, line)}: ${fields.length} fields, but the header has ${columns.length}`);
    return { values: Object.fromEntries(columns.map((c, j) => [c, fields[j]])), row: k + 1, line };
  });
  return { format: "csv", columns, rows };
}

async function _parquet(file: string, bytes: Uint8Array): Promise<RawTable> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const dir = mkdtempSync(join(tmpdir(), "aligner-import-"));
  const path = join(dir, "in.parquet");
  writeFileSync(path, bytes); // also covers decompressed .parquet.gz/.xz
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`);
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJS().map((values, k) => ({ values: values as Record<string, unknown>, row: k + 1 }));
    if (rows.length === 0) throw new ImportError(`${file}: no rows`);
    return { format: "parquet", columns, rows };
  } catch (error) {
    if (error instanceof ImportError) throw error;
    throw new ImportError(`${file}: not a readable Parquet file (${(error as Error).message.split("\n")[0]})`);
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Picks the known schema that fits the columns best, applies --map, and checks every column exists. */
