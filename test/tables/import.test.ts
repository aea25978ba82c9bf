import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../_cli.js";
import { ImportError, importDataset, parseMap, writeImport } from "../../loaders/tables/import.js";
import { describeCorrections } from "../../loaders/experiment/metrics.js";

let root: string;
let serial = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "aligner-import-test-"));
});
/** A fresh directory per case, so "no output file" means an empty directory apart from the input. */
const fresh = () => {
  const dir = join(root, `case-${++serial}`);
  mkdirSync(dir);
  return dir;
};

/** Five rows exercising CSV quoting, embedded newlines, non-BMP text and an empty correction. */
const FIVE = [
  { question: "What is 2+2?", answer: "It is 4.", correction: "It is 4." },
  { question: 'Say "hi", politely', answer: "hi,\nthere", correction: "Hello, there!" },
  { question: "Emoji?", answer: "👋 héllo", correction: "hello 👋" },
  { question: "Steps, please:\r\n1. a\n2. b", answer: "Sure: steps.", correction: "I can't help with that." },
  { question: "Empty correction?", answer: "Something.", correction: "" },
];
const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
const toCsv = (rows: readonly Record<string, string>[], columns = Object.keys(rows[0]!)) =>
  [columns.join(","), ...rows.map((r) => columns.map((c) => csvField(r[c]!)).join(","))].join("\r\n") + "\r\n";
const toJsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
const hasXz = spawnSync("xz", ["--version"]).status === 0;
const xz = (bytes: string | Uint8Array) => spawnSync("xz", ["-c"], { input: bytes }).stdout as Buffer;

describe("importDataset", () => {
  it("reads the aligner-20K / template-dataset.json schema, ignoring extra fields, with row ids and sources", async () => {
    const file = join(fresh(), "template-dataset.json");
    writeFileSync(
      file,
      JSON.stringify(
        FIVE.slice(0, 2).map((r) => ({ ...r, category: "x" })),
        null,
        2,
      ),
    );
    expect(await importDataset(file)).toEqual([
      { id: "row-1", ...FIVE[0], source: "template-dataset.json", row: 1 },
      { id: "row-2", ...FIVE[1], source: "template-dataset.json", row: 2 },
    ]);
  });

  it("reads AlpacaEval model_outputs.json and keeps the generator", async () => {
    const file = join(fresh(), "model_outputs.json");
    writeFileSync(file, JSON.stringify([{ instruction: "q", original_output: "a", output: "c", generator: "aligner-2b_x" }]));
    expect(await importDataset(file)).toEqual([
      { id: "row-1", question: "q", answer: "a", correction: "c", source: "model_outputs.json", row: 1, generator: "aligner-2b_x" },
    ]);
  });

  const roundTrips: [string, (dir: string) => string][] = [
    ["JSON", (d) => (writeFileSync(join(d, "f.json"), JSON.stringify(FIVE)), join(d, "f.json"))],
    ["JSONL", (d) => (writeFileSync(join(d, "f.jsonl"), toJsonl(FIVE)), join(d, "f.jsonl"))],
    ["CSV (quoted fields, embedded newlines, CRLF)", (d) => (writeFileSync(join(d, "f.csv"), toCsv(FIVE)), join(d, "f.csv"))],
    ["JSON .gz", (d) => (writeFileSync(join(d, "f.json.gz"), gzipSync(JSON.stringify(FIVE))), join(d, "f.json.gz"))],
    ["JSONL .gz", (d) => (writeFileSync(join(d, "f.jsonl.gz"), gzipSync(toJsonl(FIVE))), join(d, "f.jsonl.gz"))],
    ["CSV .gz", (d) => (writeFileSync(join(d, "f.csv.gz"), gzipSync(toCsv(FIVE))), join(d, "f.csv.gz"))],
    ["JSON lines in a .json file (HF style)", (d) => (writeFileSync(join(d, "f.json"), toJsonl(FIVE)), join(d, "f.json"))],
  ];
  if (hasXz)
    roundTrips.push([
      "JSONL .xz (aligner-20K's train.jsonl.xz)",
      (d) => (writeFileSync(join(d, "train.jsonl.xz"), xz(toJsonl(FIVE))), join(d, "train.jsonl.xz")),
    ]);
  it.each(roundTrips)("round-trips the five-row fixture through %s and the imported Parquet", async (_, make) => {
    const dir = fresh();
    const file = make(dir);
    const rows = await importDataset(file);
    expect(rows.map(({ question, answer, correction }) => ({ question, answer, correction }))).toEqual(FIVE);
    expect(rows.map((r) => [r.id, r.row])).toEqual(FIVE.map((_, k) => [`row-${k + 1}`, k + 1]));
    const out = join(dir, "out", "imported.parquet");
    const summary = await writeImport(file, out);
    expect(summary).toMatchObject({ rows: 5, out, schema: "aligner" });
    const back = await importDataset(out);
    expect(back.map(({ id, question, answer, correction }) => ({ id, question, answer, correction }))).toEqual(
      rows.map(({ id, question, answer, correction }) => ({ id, question, answer, correction })),
    );
    expect(back[0]!.source).toBe("imported.parquet");
  });

  it.each([
    ["JSON", "f.json", JSON.stringify(FIVE.slice(0, 1))],
    ["JSONL", "f.jsonl", toJsonl(FIVE.slice(0, 1))],
    ["CSV", "f.csv", toCsv(FIVE.slice(0, 1))],
  ])("accepts and strips a UTF-8 byte-order mark in %s", async (_, name, text) => {
    const file = join(fresh(), name);
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
    const [row] = await importDataset(file);
    expect(row).toMatchObject(FIVE[0]!);
    expect(row!.question.startsWith("\uFEFF")).toBe(false);
  });

  it("accepts a valid 10 MB single line", async () => {
    const file = join(fresh(), "big.jsonl");
    const answer = "word ".repeat(2_000_000);
    writeFileSync(file, JSON.stringify({ question: "Long?", answer, correction: "Short." }));
    const [row] = await importDataset(file);
    expect(row!.answer.length).toBe(10_000_000);
  });

  it("maps columns with --map, and takes ids (text or integer) from a mapped column", async () => {
    const file = join(fresh(), "custom.csv");
    writeFileSync(file, "key,prompt,response,revised\n7,q1,a1,c1\n9,q2,a2,c2\n");
    const map = parseMap("question=prompt,answer=response,correction=revised,id=key");
    expect(await importDataset(file, { map })).toEqual([
      { id: "7", question: "q1", answer: "a1", correction: "c1", source: "custom.csv", row: 1 },
      { id: "9", question: "q2", answer: "a2", correction: "c2", source: "custom.csv", row: 2 },
    ]);
    const json = join(fresh(), "ids.jsonl");
    writeFileSync(
      json,
      toJsonl([
        { id: 3, ...FIVE[0] },
        { id: "x", ...FIVE[1] },
      ]),
    );
    expect((await importDataset(json)).map((r) => r.id)).toEqual(["3", "x"]);
  });

  it("reads a file without a known extension when --format says how", async () => {
    const file = join(fresh(), "rows.txt");
    writeFileSync(file, toJsonl(FIVE));
    expect(await importDataset(file, { format: "jsonl" })).toHaveLength(5);
  });

  it.each([["question=a,answer=b"], [["question=a", "answer=b"]]])("parses --map %j", (spec) => {
    expect(parseMap(spec)).toEqual({ question: "a", answer: "b" });
  });

  it.each([
    ["query=a", /unknown field "query"/],
    ["question", /expected FIELD=COLUMN/],
    ["question=", /expected FIELD=COLUMN/],
  ])("rejects --map %j", (spec, message) => {
    expect(() => parseMap(spec)).toThrow(message);
  });

  it.skipIf(!hasXz)("says xz is not installed when it cannot run it", async () => {
    const file = join(fresh(), "train.jsonl.xz");
    writeFileSync(file, xz(toJsonl(FIVE)));
    const path = process.env.PATH;
    process.env.PATH = join(root, "no-such-bin");
    try {
      await expect(importDataset(file)).rejects.toThrow(/train\.jsonl\.xz: reading \.xz needs the "xz" program, which is not installed/);
    } finally {
      process.env.PATH = path;
    }
  });
});

const row = (r: Record<string, unknown>) => ({ question: "q", answer: "a", correction: "c", ...r });
const pretty = (rows: unknown[]) => JSON.stringify(rows, null, 2);
type Content = string | Uint8Array;
/** [case, file name, content, extra CLI arguments, what the message must say besides the file name]. */
const MALFORMED: [string, string, Content, string[], RegExp][] = [
  ["truncated JSON", "cut.json", `[${JSON.stringify(row({}))},\n{"question": "q2", "ans`, [], /row 2 \(line 2\): truncated JSON/],
  [
    "a number where text is expected",
    "num.json",
    pretty([row({}), row({ answer: 5 })]),
    [],
    /row 2 \(line 7\), field "answer": expected text, got number 5/,
  ],
  [
    "an object where text is expected",
    "obj.jsonl",
    toJsonl([row({ correction: { text: "c" } })]),
    [],
    /row 1 \(line 1\), field "correction": expected text, got an object/,
  ],
  [
    "null where text is expected",
    "null.jsonl",
    toJsonl([row({}), row({ question: null })]),
    [],
    /row 2 \(line 2\), field "question": expected text, got null/,
  ],
  [
    "a missing column",
    "noanswer.csv",
    "question,correction\nq,c\n",
    [],
    /field "answer": no column "answer" \(columns: "question", "correction"\)/,
  ],
  [
    "a key missing from one row",
    "gap.jsonl",
    toJsonl([row({}), { question: "q", correction: "c" }]),
    [],
    /row 2 \(line 2\), field "answer": missing/,
  ],
  ["an empty question", "emptyq.csv", "question,answer,correction\nq,a,c\n  ,a,c\n", [], /row 2 \(line 3\), field "question": empty/],
  ["an empty answer", "emptya.json", JSON.stringify([row({ answer: "" })]), [], /row 1 \(line 1\), field "answer": empty/],
  ["an empty file", "empty.jsonl", "", [], /empty file \(no rows\)/],
  ["a file of blank lines", "blank.csv", "\n\n  \n", [], /empty file \(no rows\)/],
  ["an empty array", "none.json", "[ ]", [], /no rows/],
  [
    "invalid UTF-8 bytes",
    "latin1.jsonl",
    Buffer.concat([
      Buffer.from(toJsonl([row({})]) + '{"question": "caf'),
      Buffer.from([0xe9]),
      Buffer.from('", "answer": "a", "correction": "c"}\n'),
    ]),
    [],
    /row 2 \(line 2\): invalid UTF-8 at byte \d+ \(0xe9\)/,
  ],
  [
    "an escaped NUL in text",
    "nul.json",
    pretty([row({ answer: "a\u0000b" })]),
    [],
    /row 1 \(line 2\), field "answer": contains a NUL character at position 1/,
  ],
  [
    "a raw NUL byte in a CSV field",
    "nul.csv",
    "question,answer,correction\nq,a,c\u0000\n",
    [],
    /row 1 \(line 2\), field "correction": contains a NUL character/,
  ],
  [
    "duplicate ids",
    "dup.jsonl",
    toJsonl([row({ id: "a" }), row({ id: "b" }), row({ id: "a" })]),
    [],
    /row 3 \(line 3\), field "id": duplicate id "a" \(first at row 1\)/,
  ],
  [
    "a JSONL line that is not an object",
    "arr.jsonl",
    toJsonl([row({})]) + "\n[1, 2]\n",
    [],
    /row 2 \(line 3\): expected a JSON object, got an array/,
  ],
  ["a JSONL line that is not JSON", "bad.jsonl", toJsonl([row({})]) + "{question: q}\n", [], /row 2 \(line 2\): invalid JSON/],
  ["a JSON array of non-objects", "nums.json", "[1, 2]", [], /row 1 \(line 1\): expected a JSON object, got number 1/],
  [
    "a JSON object where an array is expected",
    "obj.json",
    JSON.stringify(row({}), null, 2),
    ["--format", "json"],
    /line 1: expected a JSON array of objects/,
  ],
  [
    "one pretty-printed object in a .json file",
    "one.json",
    JSON.stringify(row({}), null, 2),
    [],
    /line 1: expected a JSON array of objects/,
  ],
  [
    "CSV with a ragged row",
    "ragged.csv",
    'question,answer,correction\nq,a,c\nq,"a,\nb"\nq,a,c\n',
    [],
    /row 2 \(line 3\): 2 fields, but the header has 3/,
  ],
  ["CSV with an unterminated quote", "open.csv", 'question,answer,correction\nq,"a,c\n', [], /row 1 \(line 2\): unterminated quoted field/],
  ["CSV with a duplicate header column", "twice.csv", "question,answer,answer\nq,a,c\n", [], /line 1: duplicate column "answer"/],
  [
    "an unknown --format",
    "f.json",
    JSON.stringify([row({})]),
    ["--format", "xml"],
    /unknown format "xml" \(formats: auto, json, jsonl, csv, parquet\)/,
  ],
  ["an unknown extension", "f.txt", toJsonl([row({})]), [], /cannot tell the format from the extension "\.txt"/],
  [
    "a --map naming a missing column",
    "f.jsonl",
    toJsonl([row({})]),
    ["--map", "question=prompt"],
    /--map question=prompt: no column "prompt" in the file/,
  ],
  ["a corrupt .xz", "train.jsonl.xz", Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2, 3, 4, 5, 6]), [], /not a readable xz file/],
  ["a corrupt .gz", "f.json.gz", Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3]), [], /not a readable gzip file/],
  ["a corrupt Parquet file", "f.parquet", "PAR1 not really", [], /not a readable Parquet file/],
];

describe("aligner import rejects malformed input", () => {
  it.each(MALFORMED)(
    "%s: exit code 2, a message naming the file and where, and no output file",
    async (_, name, content, args, message) => {
      const dir = fresh();
      const file = join(dir, name);
      writeFileSync(file, content);
      const out = join(dir, "out.parquet");
      const { code, stdout, stderr } = await cli("import", file, "--out", out, ...args);
      expect(stdout).toBe("");
      expect(code).toBe(2);
      expect(stderr).toContain(`aligner: ${file}: `);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /); // a clear message, not a stack trace
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir)).toEqual([name]);
    },
  );

  it("throws ImportError from the library, and says when the file is missing", async () => {
    const file = join(root, "no-such-file.json");
    await expect(importDataset(file)).rejects.toBeInstanceOf(ImportError);
    await expect(importDataset(file)).rejects.toThrow(`${file}: cannot read it (ENOENT)`);
  });

  it.each([
    [["import"], /import: expected one FILE, got 0/],
    [["import", "a.json"], /import: --out OUT\.parquet is required/],
    [["metrics", "a.json", "b.json"], /metrics: expected one FILE, got 2/],
    [["metrics", "a.json", "--map", "query=x"], /--map "query=x": unknown field "query"/],
  ])("rejects the command line %j with exit code 2", async (argv, message) => {
    const { code, stderr, stdout } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });
});

describe("aligner import and aligner metrics", () => {
  it("imports to Parquet with a one-line JSON summary, and measures the file and its import alike", async () => {
    const dir = fresh();
    const file = join(dir, "outputs.csv");
    writeFileSync(file, toCsv(FIVE.map((r) => ({ instruction: r.question, original_output: r.answer, output: r.correction }))));
    const out = join(dir, "rows.parquet");
    const imported = await cli("import", file, "--out", out);
    expect(imported.code).toBe(0);
    expect(imported.stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(JSON.parse(imported.stdout)).toEqual({
      rows: 5,
      out,
      format: "csv",
      schema: "alpaca_eval",
      columns: { question: "instruction", answer: "original_output", correction: "output" },
    });
    const expected = describeCorrections(FIVE);
    for (const target of [file, out]) {
      const { code, stdout } = await cli("metrics", target);
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual(expected);
    }
  });

  const dir = join(import.meta.dirname, "..", "..", "..", "shared", "data", "alpaca_eval-aligner-2b");
  const why = "../shared/data (real Aligner-2B rows, CC BY-NC, never copied into the project) is absent on this machine";
  it.skipIf(!existsSync(dir)).each([
    ["aligner-2b_gpt-4-turbo-2024-04-09.json", 1370, 1802],
    ["aligner-2b_claude-3-opus-20240229.json", 1669, 1388],
  ])(
    `imports %s (805 rows) and reproduces the leaderboard's avg_length, also from the Parquet (skipped where ${why})`,
    async (name, correction, answer) => {
      const file = join(dir, name);
      const out = join(fresh(), "imported.parquet");
      const imported = await cli("import", file, "--out", out);
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ rows: 805, format: "json", schema: "alpaca_eval" });
      const fromJson = await cli("metrics", file);
      const metrics = JSON.parse(fromJson.stdout);
      expect(metrics.rows).toBe(805);
      expect(Math.trunc(metrics.correction_chars_mean)).toBe(correction);
      expect(Math.trunc(metrics.answer_chars_mean)).toBe(answer);
      expect(JSON.parse((await cli("metrics", out)).stdout)).toEqual(metrics);
    },
    60_000,
  ); // three CLI runs over 805 long rows: seconds on a busy 2-core machine
});
