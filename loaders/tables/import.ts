/**
 * Import: (question, answer, correction) rows from the files people have — aligner-20K's
 * `train.jsonl.xz`, `template-dataset.json`, AlpacaEval's `model_outputs.json`, or any JSON array,
 * JSONL, CSV or Parquet, plain or .gz/.xz — into one row type. A bad file fails with an `ImportError`
 * naming the file, the 1-based row (and line, for text formats) and the field, and nothing is written.
 *
 * Value rules: question and answer must be non-empty text; the correction may be empty (an empty
 * correction is a real, degenerate corrector output that `describeCorrections` counts as "empty");
 * no text may contain a NUL character; ids (a mapped or `id` column, else `row-N`) must be unique.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, extname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describeCorrections, type DatasetMetrics } from "../experiment/metrics.js";
import { writeParquet, type Schema } from "./format.js";

export type ImportFormat = "json" | "jsonl" | "csv" | "parquet";
export type ImportField = "question" | "answer" | "correction" | "id" | "generator";
/** Which input column feeds each field; unmapped fields come from the detected schema. */
export type ImportMap = Partial<Record<ImportField, string>>;

export interface ImportOptions {
  format?: "auto" | ImportFormat; // default "auto": from the extension after stripping .gz/.xz
  map?: ImportMap;
}

export interface ImportedRow {
  id: string;
  question: string;
  answer: string;
  correction: string;
  /** The input file's basename. */
  source: string;
  /** 1-based row in the input (data rows only: a CSV header is not a row). */
  row: number;
  /** The run that produced the row, when the input has a generator column (AlpacaEval does). */
  generator?: string;
}

export interface ImportSummary {
  rows: number;
  out: string;
  format: ImportFormat;
  schema: string;
  columns: ImportMap;
}

/** Bad input: the message names the file and, where it applies, the row, line and field. */
export class ImportError extends Error {
  override name = "ImportError";
}

const FORMATS = ["auto", "json", "jsonl", "csv", "parquet"] as const;
const FIELDS: readonly ImportField[] = ["question", "answer", "correction", "id", "generator"];
const EXTENSIONS: Record<string, ImportFormat> = { ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet", ".pq": "parquet" };

/** Known schemas, by column names; the one matching most of question/answer/correction wins. */
const SCHEMAS: { name: string; columns: Record<ImportField, string> }[] = [
  // aligner-20K, the released template-dataset.json, and this workbench's own imports
  { name: "aligner", columns: { question: "question", answer: "answer", correction: "correction", id: "id", generator: "generator" } },
  // AlpacaEval results/<run>/model_outputs.json
  { name: "alpaca_eval", columns: { question: "instruction", answer: "original_output", correction: "output", id: "id", generator: "generator" } },
];

/** The Parquet schema `writeImport` writes. */
export const IMPORT_SCHEMA: Schema = { id: "string", question: "string", answer: "string", correction: "string", source: "string", row: "int", generator: "string" };

interface _Raw { values: Record<string, unknown>; row: number; line?: number }
interface _Table { format: ImportFormat; columns: string[]; rows: _Raw[] }

/** Parses `question=instruction,answer=original_output` (one string or several) into a map. */
export function parseMap(spec: string | readonly string[] | undefined): ImportMap {
  const map: ImportMap = {};
  for (const part of [spec ?? []].flat().flatMap((s) => s.split(","))) {
    const at = part.indexOf("=");
    const field = part.slice(0, at).trim() as ImportField;
    if (at < 1 || at === part.length - 1) throw new ImportError(`--map "${part}": expected FIELD=COLUMN`);
    if (!FIELDS.includes(field)) throw new ImportError(`--map "${part}": unknown field "${field}" (fields: ${FIELDS.join(", ")})`);
    map[field] = part.slice(at + 1).trim();
  }
  return map;
}

/** Reads a dataset file into rows; throws `ImportError` on anything malformed. */
export async function importDataset(file: string, options: ImportOptions = {}): Promise<ImportedRow[]> {
  return (await _import(file, options)).rows;
}

/** Imports `file` and writes the rows to `out` as Parquet (atomically: a failure leaves no file). */
export async function writeImport(file: string, out: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const { rows, format, schema, columns } = await _import(file, options);
  mkdirSync(dirname(out), { recursive: true });
  await writeParquet(out, "import", rows.map((r) => ({ ...r, generator: r.generator ?? null })), IMPORT_SCHEMA);
  return { rows: rows.length, out, format, schema, columns };
}

/**
 * Reads back a Parquet file `writeImport` wrote, keeping each row's `source` and `row` (the input
 * file's name and row) where the file has them; any other Parquet of question/answer/correction
 * columns reads as `importDataset` reads it.
 */
export async function readImport(file: string): Promise<ImportedRow[]> {
  const { rows, table } = await _import(file, { format: "parquet" });
  return rows.map((r, k) => {
    const { source, row } = table.rows[k]!.values;
    return { ...r, ...(typeof source === "string" && source !== "" ? { source } : {}), ...(Number.isInteger(row) ? { row: row as number } : {}) };
  });
}

/** What `aligner metrics FILE` prints: `describeCorrections` over the imported rows. */
export async function describeFile(file: string, options: ImportOptions = {}): Promise<DatasetMetrics> {
  return describeCorrections(await importDataset(file, options));
}

async function _import(file: string, options: ImportOptions) {
  const format = options.format ?? "auto";
  if (!(FORMATS as readonly string[]).includes(format)) throw new ImportError(`${file}: unknown format "${format}" (formats: ${FORMATS.join(", ")})`);
  for (const key of Object.keys(options.map ?? {})) {
    if (!FIELDS.includes(key as ImportField)) throw new ImportError(`${file}: map: unknown field "${key}" (fields: ${FIELDS.join(", ")})`);
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ImportError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const { name, bytes: plain } = _decompress(file, bytes);
  const table = await _read(file, plain, format === "auto" ? _formatOf(file, name) : format, format === "auto");
  const { schema, columns } = _resolveColumns(file, table, options.map ?? {});
  return { rows: _rows(file, table, columns), format: table.format, schema, columns, table };
}

function _formatOf(file: string, name: string): ImportFormat {
  const ext = extname(name).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) throw new ImportError(`${file}: cannot tell the format from the extension "${ext}" (known: ${Object.keys(EXTENSIONS).join(" ")}, optionally + .gz/.xz); pass --format`);
  return format;
}

/** Strips .gz (node:zlib) or .xz (the system `xz`), recognised by extension or magic bytes. */
function _decompress(file: string, bytes: Uint8Array): { name: string; bytes: Uint8Array } {
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
      throw new ImportError(`${file}: reading .xz needs the "xz" program, which is not installed (apt-get install xz-utils), or decompress the file first`);
    }
    if (result.error || result.status !== 0) {
      throw new ImportError(`${file}: not a readable xz file (${result.error?.message ?? result.stderr.toString().trim()})`);
    }
    return { name, bytes: result.stdout };
  }
  return { name, bytes };
}

async function _read(file: string, bytes: Uint8Array, format: ImportFormat, auto: boolean): Promise<_Table> {
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
    const where = format === "jsonl" ? _where(before.slice(0, -1).filter((l) => l.trim() !== "").length + 1, line) : `line ${line}`;
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

const _where = (row: number, line?: number) => `row ${row}${line === undefined ? "" : ` (line ${line})`}`;
const _kind = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`);

function _object(file: string, text: string, row: number, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`${file}: ${_where(row, line)}: invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new ImportError(`${file}: ${_where(row, line)}: expected a JSON object, got ${_kind(value)}`);
  return value as Record<string, unknown>;
}

function _columnsOf(rows: readonly _Raw[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const key of Object.keys(r.values)) seen.add(key);
  return [...seen];
}

function _jsonl(file: string, text: string): _Table {
  const rows: _Raw[] = [];
  text.split("\n").forEach((raw, k) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    const row = rows.length + 1;
    rows.push({ values: _object(file, line, row, k + 1), row, line: k + 1 });
  });
  return { format: "jsonl", columns: _columnsOf(rows), rows };
}

/** A JSON array, split into elements by a string-aware bracket scan so each error gets its row and line. */
function _jsonArray(file: string, text: string): _Table {
  const rows: _Raw[] = [];
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
    if (i >= n) throw new ImportError(`${file}: ${_where(rows.length + 1, line)}: truncated JSON: the file ends inside the array`);
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
    if (i >= n) throw new ImportError(`${file}: ${_where(row, startLine)}: truncated JSON: the file ends inside this row`);
    rows.push({ values: _object(file, text.slice(start, i), row, startLine), row, line: startLine });
    if (text[i++] === "]") break;
  }
  skip();
  if (i < n) throw new ImportError(`${file}: line ${line}: unexpected text after the JSON array`);
  return { format: "json", columns: _columnsOf(rows), rows };
}

/** RFC 4180 CSV with a header: quoted fields, "" escapes, embedded newlines, CRLF; blank lines skipped. */
function _csv(file: string, text: string): _Table {
  const records: { fields: string[]; line: number }[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const delimiter = /[,\r\n]/g;
  const where = (startLine: number) => (records.length === 0 ? `header (line ${startLine})` : _where(records.length, startLine));
  while (i < n) {
    const startLine = line;
    const fields: string[] = [];
    for (;;) {
      let field = "";
      if (text[i] === '"') {
        for (i++; ; ) {
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
    if (fields.length !== columns.length) throw new ImportError(`${file}: ${_where(k + 1, line)}: ${fields.length} fields, but the header has ${columns.length}`);
    return { values: Object.fromEntries(columns.map((c, j) => [c, fields[j]])), row: k + 1, line };
  });
  return { format: "csv", columns, rows };
}

async function _parquet(file: string, bytes: Uint8Array): Promise<_Table> {
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
function _resolveColumns(file: string, table: _Table, map: ImportMap): { schema: string; columns: ImportMap } {
  const has = new Set(table.columns);
  const list = table.columns.map((c) => JSON.stringify(c)).join(", ");
  for (const [field, column] of Object.entries(map)) {
    if (!has.has(column)) throw new ImportError(`${file}: --map ${field}=${column}: no column "${column}" in the file (columns: ${list})`);
  }
  const score = (s: (typeof SCHEMAS)[number]) => (["question", "answer", "correction"] as const).filter((f) => has.has(map[f] ?? s.columns[f])).length;
  const best = SCHEMAS.reduce((a, b) => (score(b) > score(a) ? b : a));
  const columns: ImportMap = {};
  for (const field of FIELDS) {
    const column = map[field] ?? best.columns[field];
    if (has.has(column)) columns[field] = column;
    else if (field !== "id" && field !== "generator") {
      throw new ImportError(
        `${file}: field "${field}": no column "${column}" (columns: ${list}); known schemas: ` +
          `${SCHEMAS.map((s) => `${s.name} (${s.columns.question}, ${s.columns.answer}, ${s.columns.correction})`).join(", ")}; ` +
          `or pass --map ${field}=COLUMN`,
      );
    }
  }
  return { schema: Object.keys(map).length ? `${best.name}+map` : best.name, columns };
}

function _rows(file: string, table: _Table, columns: ImportMap): ImportedRow[] {
  const source = basename(file);
  const firstRow = new Map<string, number>();
  return table.rows.map(({ values, row, line }) => {
    const fail = (field: ImportField, problem: string): never => {
      const column = columns[field] === field ? "" : ` (column "${columns[field]}")`;
      throw new ImportError(`${file}: ${_where(row, line)}, field "${field}"${column}: ${problem}`);
    };
    const text = (field: ImportField, { empty = false, optional = false } = {}): string | undefined => {
      const column = columns[field];
      const v = column === undefined ? undefined : values[column];
      if (optional && (v === undefined || v === null)) return undefined;
      if (v === undefined) return fail(field, "missing");
      if (typeof v !== "string") return fail(field, `expected text, got ${_kind(v)}`);
      if (!empty && v.trim() === "") return fail(field, "empty");
      const nul = v.indexOf("\0");
      if (nul >= 0) return fail(field, `contains a NUL character at position ${nul}`);
      return v;
    };
    let id = `row-${row}`;
    if (columns.id !== undefined) {
      const v = values[columns.id];
      if ((typeof v === "number" && Number.isInteger(v)) || typeof v === "bigint") id = String(v);
      else id = text("id")!;
      const previous = firstRow.get(id);
      if (previous !== undefined) fail("id", `duplicate id ${JSON.stringify(id)} (first at row ${previous})`);
      firstRow.set(id, row);
    }
    const out: ImportedRow = { id, question: text("question")!, answer: text("answer")!, correction: text("correction", { empty: true })!, source, row };
    const generator = text("generator", { optional: true, empty: true });
    if (generator !== undefined) out.generator = generator;
    return out;
  });
}
