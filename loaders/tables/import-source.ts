/**
 * The bytes and lines of a user's file for `aligner import`, streamed: a regular file only (a FIFO or
 * a device would block or never end), plain or .gz/.xz, with the inflated size capped so a small
 * archive cannot expand without end. Lines are decoded as strict UTF-8; a bad byte is an
 * `ImportError` naming the line (and row, for JSONL) and the byte offset in the decompressed text.
 * Memory is bounded by the longest line, not by the file.
 */
import { spawn } from "node:child_process";
import { closeSync, createReadStream, openSync, readSync, statSync } from "node:fs";
import { extname } from "node:path";
import { createGunzip } from "node:zlib";

/** Bad input: the message names the file and, where it applies, the row, line and field. */
export class ImportError extends Error {
  override name = "ImportError";
}

export const whereIs = (row: number, line?: number) => `row ${row}${line === undefined ? "" : ` (line ${line})`}`;
export const kindOf = (v: unknown) =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "an array"
      : typeof v === "object"
        ? "an object"
        : typeof v === "number" || typeof v === "bigint"
          ? `${typeof v} ${String(v)}` // NaN and Infinity as such (JSON.stringify says null)
          : `${typeof v} ${JSON.stringify(v)}`;

/** The default cap on what a .gz/.xz input may inflate to: 512 MiB. */
export const DEFAULT_MAX_INFLATED = 512 * 2 ** 20;

/** The cap: `option`, else $ALIGNER_MAX_INFLATED (bytes, or with a K/M/G suffix: 2G), else the default. */
export function maxInflated(option?: number): number {
  if (option !== undefined) return option;
  const env = process.env.ALIGNER_MAX_INFLATED?.trim();
  if (!env) return DEFAULT_MAX_INFLATED;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?)?$/i.exec(env);
  if (!m) throw new ImportError(`ALIGNER_MAX_INFLATED="${env}": expected a size in bytes, e.g. 536870912 or 512M or 2G`);
  const unit = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[(m[2] ?? "").charAt(0).toLowerCase()] ?? 1;
  return Math.floor(Number(m[1]) * unit);
}

export interface Source {
  file: string;
  /** The name without .gz/.xz (its extension gives the format). */
  name: string;
  compression: "none" | "gzip" | "xz";
  /** The most bytes a compressed input may inflate to. */
  limit: number;
}

/** Checks the input is a readable regular file and tells its compression (extension or magic bytes). */
export function openSource(file: string, limit: number): Source {
  let stat;
  try {
    stat = statSync(file);
  } catch (error) {
    throw new ImportError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!stat.isFile()) {
    const what = stat.isDirectory() ? "a folder" : stat.isFIFO() ? "a FIFO (named pipe)" : stat.isSocket() ? "a socket" : "a device";
    throw new ImportError(`${file}: not a regular file (${what}); import reads files only`);
  }
  const head = Buffer.alloc(6);
  try {
    const fd = openSync(file, "r");
    try {
      readSync(fd, head, 0, 6, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new ImportError(`${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  const ext = extname(file).toLowerCase();
  const name = ext === ".gz" || ext === ".xz" ? file.slice(0, -3) : file;
  const gz = ext === ".gz" || (head[0] === 0x1f && head[1] === 0x8b);
  const xz = ext === ".xz" || [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00].every((b, i) => head[i] === b);
  return { file, name, compression: gz ? "gzip" : xz ? "xz" : "none", limit };
}

/** The file's (decompressed) bytes, in chunks. */
export async function* readBytes({ file, compression, limit }: Source): AsyncGenerator<Buffer> {
  if (compression === "xz") return yield* _xz(file, limit);
  const stream = createReadStream(file, { highWaterMark: 1 << 18 });
  const source = compression === "gzip" ? stream.pipe(createGunzip()) : stream;
  if (compression === "gzip") stream.on("error", (error) => source.destroy(error));
  let total = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (compression !== "none" && total > limit) throw _tooBig(file, limit);
      yield chunk;
    }
  } catch (error) {
    if (error instanceof ImportError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (compression === "gzip" && !/^E[A-Z]+$/.test(code ?? ""))
      throw new ImportError(`${file}: not a readable gzip file (${(error as Error).message})`);
    throw new ImportError(`${file}: cannot read it (${code ?? (error as Error).message})`);
  } finally {
    stream.destroy();
    source.destroy();
  }
}

const _tooBig = (file: string, limit: number) =>
  new ImportError(
    `${file}: inflates to more than ${limit} bytes, the limit for compressed input; ` +
      `raise it with ALIGNER_MAX_INFLATED (e.g. 2G) or decompress the file first`,
  );

async function* _xz(file: string, limit: number): AsyncGenerator<Buffer> {
  const child = spawn("xz", ["-dc", "--", file], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  let failed: NodeJS.ErrnoException | undefined;
  child.on("error", (error) => (failed = error));
  const exited = new Promise<number | null>((done) => child.on("close", (code) => done(code)));
  let total = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > limit) throw _tooBig(file, limit);
      yield chunk;
    }
    const status = await exited;
    if ((failed as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
      throw new ImportError(
        `${file}: reading .xz needs the "xz" program, which is not installed (apt-get install xz-utils), or decompress the file first`,
      );
    }
    if (failed || status !== 0) throw new ImportError(`${file}: not a readable xz file (${failed?.message ?? stderr.trim()})`);
  } finally {
    if (child.exitCode === null) child.kill();
  }
}

/** The longest line `readLines` holds (256 MiB): past it a file is refused rather than held in memory. */
export const MAX_LINE_BYTES = 256 * 2 ** 20;

/** A run of consecutive lines of the text; `first` is the 1-based number of `lines[0]`. */
export interface Lines {
  lines: string[];
  first: number;
  /** True on the last batch: its last line is the text after the final newline (often ""). */
  last: boolean;
}

/**
 * The text's lines, as `text.split("\n")` would give them, in batches; a leading byte-order mark is
 * dropped. `jsonl`: name the row (non-blank lines so far + 1) in a UTF-8 error, as JSONL rows are lines.
 */
export async function* readLines(file: string, chunks: AsyncIterable<Buffer>, jsonl: boolean): AsyncGenerator<Lines> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let pending: Buffer[] = [];
  let line = 1;
  let offset = 0; // bytes before the current line
  let rows = 0; // non-blank lines before the current line
  let first = true;
  let held = 0; // bytes of the line not yet ended
  const decode = (bytes: Buffer, last: boolean): Lines => {
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw _badUtf8(file, bytes, line, offset, rows, jsonl);
    }
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    const lines = text.split("\n");
    if (!last) lines.pop(); // "" after the block's final newline
    const batch = { lines, first: line, last };
    line += lines.length;
    offset += bytes.length;
    for (const l of lines) if (l.trim() !== "") rows++;
    return batch;
  };
  for await (const chunk of chunks) {
    const nl = chunk.lastIndexOf(0x0a);
    if (nl < 0) {
      pending.push(chunk);
      held += chunk.length;
      if (held > MAX_LINE_BYTES) {
        throw new ImportError(
          `${file}: line ${line}: longer than ${MAX_LINE_BYTES / 2 ** 20} MiB (the most one line may hold; a row, or a JSON array, must break lines)`,
        );
      }
      continue;
    }
    held = nl + 1 < chunk.length ? chunk.length - nl - 1 : 0;
    yield decode(Buffer.concat([...pending, chunk.subarray(0, nl + 1)]), false);
    pending = nl + 1 < chunk.length ? [chunk.subarray(nl + 1)] : [];
  }
  yield decode(Buffer.concat(pending), true);
}

/** Finds the first bad byte of a block that failed to decode, and says where it is. */
function _badUtf8(file: string, bytes: Buffer, line: number, offset: number, rows: number, jsonl: boolean): ImportError {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end < 0 ? bytes.length : end + 1;
    const lineBytes = bytes.subarray(start, stop);
    try {
      const text = decoder.decode(lineBytes);
      if (text.trim() !== "") rows++;
    } catch {
      const text = new TextDecoder("utf-8").decode(lineBytes);
      let at = 0;
      for (const ch of text) {
        const cp = ch.codePointAt(0)!;
        if (cp === 0xfffd && !(lineBytes[at] === 0xef && lineBytes[at + 1] === 0xbf && lineBytes[at + 2] === 0xbd)) break;
        at += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      }
      const where = jsonl ? whereIs(rows + 1, line) : `line ${line}`;
      return new ImportError(`${file}: ${where}: invalid UTF-8 at byte ${offset + start + at} (0x${(lineBytes[at] ?? 0).toString(16)})`);
    }
    line++;
    start = stop;
  }
  return new ImportError(`${file}: line ${line}: invalid UTF-8 (a sequence cut at the end of the file)`);
}
