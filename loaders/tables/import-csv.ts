/**
 * RFC 4180 CSV with a header, streamed: quoted fields, "" escapes, embedded newlines, CRLF; blank
 * lines skipped. Lines are gathered until their quotes balance (a record never ends inside a quoted
 * field), then parsed as before, so memory is bounded by the longest record.
 */
import { ImportError, whereIs } from "./import-source.js";
import type { RawRow, RowParser } from "./import-read.js";

export function csvParser(file: string): RowParser {
  let header: { fields: string[]; line: number } | undefined;
  let records = 0; // the header counts as one
  let held: string[] = [];
  let heldLine = 0;
  let quotes = 0;
  const where = (startLine: number) => (records === 0 ? `header (line ${startLine})` : whereIs(records, startLine));

  const flush = (out: RawRow[], final: boolean) => {
    const text = held.join("\n") + (final ? "" : "\n");
    for (const { fields, line } of _records(file, text, heldLine, where)) {
      if (fields.length === 1 && fields[0] === "") continue;
      records++;
      if (!header) {
        header = { fields, line };
        const dup = fields.find((c, k) => fields.indexOf(c) !== k);
        if (dup !== undefined) throw new ImportError(`${file}: line ${line}: duplicate column "${dup}" in the header`);
        continue;
      }
      const columns = header.fields;
      const row = records - 1;
      if (fields.length !== columns.length)
        throw new ImportError(`${file}: ${whereIs(row, line)}: ${fields.length} fields, but the header has ${columns.length}`);
      const values: Record<string, unknown> = {};
      columns.forEach((c, j) => (values[c] = fields[j]));
      out.push({ values, row, line });
    }
    held = [];
    quotes = 0;
  };

  return {
    push({ lines, first, last }) {
      const out: RawRow[] = [];
      lines.forEach((text, k) => {
        if (held.length === 0) heldLine = first + k;
        held.push(text);
        for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) quotes++;
        const final = last && k === lines.length - 1;
        if (quotes % 2 === 0 && !final) flush(out, false);
      });
      if (last && held.length) flush(out, true);
      return out;
    },
    end() {
      if (!header) throw new ImportError(`${file}: empty file (no rows)`);
    },
  };
}

/** The records of `text` (whole records only), each with its first line. */
function* _records(
  file: string,
  text: string,
  firstLine: number,
  where: (line: number) => string,
): Generator<{ fields: string[]; line: number }> {
  const n = text.length;
  let i = 0;
  let line = firstLine;
  const delimiter = /[,\r\n]/g;
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
    yield { fields, line: startLine };
  }
}
