/**
 * Reads a user's file for `aligner import`: JSON array, JSONL or CSV, streamed line by line into
 * batches of rows of raw values (Parquet: import-parquet.ts). Every error is an `ImportError` naming
 * the file and, where it applies, the row and line. A JSON object may not repeat a key.
 */
import { extname } from "node:path";
import { ImportError, kindOf, whereIs, type Lines } from "./import-source.js";
import { csvParser } from "./import-csv.js";

export { ImportError, kindOf, whereIs };

export type ImportFormat = "json" | "jsonl" | "csv" | "parquet";

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

export function formatOf(file: string, name: string): ImportFormat {
  const ext = extname(name).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format)
    throw new ImportError(
      `${file}: cannot tell the format from the extension "${ext}" (known: ${Object.keys(EXTENSIONS).join(" ")}, optionally + .gz/.xz); pass --format`,
    );
  return format;
}

/** Turns batches of lines into batches of rows; `end` flushes and checks the text ended well. */
export interface RowParser {
  push(batch: Lines): RawRow[];
  end(): void;
}

/**
 * Batches of rows of a text format. `auto`: a .json file whose first non-blank line is a whole JSON
 * object is read as JSON lines (HF style). Reports the format it read in `found.format`.
 */
export async function* textRows(
  file: string,
  format: Exclude<ImportFormat, "parquet">,
  auto: boolean,
  batches: AsyncIterable<Lines>,
  found: { format?: ImportFormat } = {},
): AsyncGenerator<RawRow[]> {
  const held: Lines[] = [];
  let parser: RowParser | undefined;
  let rows = 0;
  const start = () => {
    if (auto && format === "json" && _isJsonLines(held)) format = "jsonl";
    found.format = format;
    return format === "csv" ? csvParser(file) : format === "jsonl" ? _jsonl(file) : _jsonArray(file);
  };
  for await (const batch of batches) {
    if (!parser) {
      if (!batch.last && !batch.lines.some((l) => l.trim() !== "")) continue; // blank lines before the first row: nothing to keep
      held.push(batch);
      if (!held.some((b) => b.lines.some((l) => l.trim() !== ""))) throw new ImportError(`${file}: empty file (no rows)`);
      parser = start();
      for (const b of held.splice(0)) {
        const out = parser.push(b);
        rows += out.length;
        if (out.length) yield out;
      }
      continue;
    }
    const out = parser.push(batch);
    rows += out.length;
    if (out.length) yield out;
  }
  if (!parser) throw new ImportError(`${file}: empty file (no rows)`);
  parser.end();
  if (rows === 0) throw new ImportError(`${file}: no rows`);
}

/** True when the first non-blank line is a whole JSON object (so the text is JSON lines, not an array). */
function _isJsonLines(held: readonly Lines[]): boolean {
  const first = held.flatMap((b) => b.lines).find((l) => l.trim() !== "")!;
  if (!first.trimStart().startsWith("{")) return false;
  try {
    return typeof JSON.parse(first) === "object";
  } catch {
    return false;
  }
}

/** Parses one row's JSON text into an object, refusing a repeated key. */
function _object(file: string, text: string, row: number, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`${file}: ${whereIs(row, line)}: invalid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new ImportError(`${file}: ${whereIs(row, line)}: expected a JSON object, got ${kindOf(value)}`);
  const dup = _repeatedKey(text, Object.keys(value).length);
  if (dup !== undefined) throw new ImportError(`${file}: ${whereIs(row, line)}: duplicate key ${JSON.stringify(dup)} in the object`);
  return value as Record<string, unknown>;
}

/**
 * The first top-level key that `text` (valid JSON, one object with `distinct` keys) repeats, if any.
 * Counts the keys first, so an object without repeats costs one scan and no key parsing.
 */
function _repeatedKey(text: string, distinct: number): string | undefined {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      if (depth === 1 && expectKey) keys.push(text.slice(start, i + 1));
      expectKey = false;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
      expectKey = c === 0x7b && depth === 1;
    } else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x2c /* , */ && depth === 1) expectKey = true;
  }
  if (keys.length === distinct) return undefined;
  const seen = new Set<string>();
  for (const raw of keys) {
    const key = JSON.parse(raw) as string;
    if (seen.has(key)) return key;
    seen.add(key);
  }
  return undefined;
}

function _jsonl(file: string): RowParser {
  let row = 0;
  return {
    push({ lines, first }) {
      const out: RawRow[] = [];
      lines.forEach((raw, k) => {
        const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
        if (line.trim() === "") return;
        row++;
        out.push({ values: _object(file, line, row, first + k), row, line: first + k });
      });
      return out;
    },
    end() {},
  };
}

/** A JSON array, split into elements by a string-aware bracket scan so each error gets its row and line. */
function _jsonArray(file: string): RowParser {
  let state: "before" | "gap" | "element" | "after" = "before";
  let rows = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let startLine = 0;
  let line = 0;
  return {
    push({ lines, first }) {
      const out: RawRow[] = [];
      lines.forEach((text, k) => {
        line = first + k;
        const n = text.length;
        let from = 0; // where this line's part of the current element starts
        for (let i = 0; i < n; i++) {
          const c = text.charCodeAt(i);
          if (state === "element") {
            if (inString) {
              if (escaped) escaped = false;
              else if (c === 0x5c) escaped = true;
              else if (c === 0x22) inString = false;
            } else if (c === 0x22) inString = true;
            else if (c === 0x7b || c === 0x5b) depth++;
            else if ((c === 0x7d || c === 0x5d) && depth > 0) depth--;
            else if (depth === 0 && (c === 0x7d || c === 0x5d || c === 0x2c)) {
              parts.push(text.slice(from, i));
              rows++;
              out.push({ values: _object(file, parts.join("\n"), rows, startLine), row: rows, line: startLine });
              parts = [];
              state = c === 0x5d ? "after" : "gap";
            }
            continue;
          }
          if (c === 0x20 || c === 0x09 || c === 0x0d || /\s/.test(text[i]!)) continue;
          if (state === "before") {
            if (c !== 0x5b) {
              const rest = [text.slice(i), ...lines.slice(k + 1)].join("\n").slice(0, 20);
              throw new ImportError(`${file}: line ${line}: expected a JSON array of objects, found "${rest}"`);
            }
            state = "gap";
          } else if (state === "after") throw new ImportError(`${file}: line ${line}: unexpected text after the JSON array`);
          else if (c === 0x5d && rows === 0) state = "after";
          else {
            state = "element";
            startLine = line;
            from = i;
            depth = 0;
            inString = escaped = false;
            i--; // scan this character as the element's first
          }
        }
        if (state === "element") parts.push(text.slice(from));
      });
      return out;
    },
    end() {
      if (state === "element")
        throw new ImportError(`${file}: ${whereIs(rows + 1, startLine)}: truncated JSON: the file ends inside this row`);
      if (state === "gap") throw new ImportError(`${file}: ${whereIs(rows + 1, line)}: truncated JSON: the file ends inside the array`);
      if (state === "before") throw new ImportError(`${file}: empty file (no rows)`);
    },
  };
}
