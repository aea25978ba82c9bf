/** Issue 15: --out checks, paths that never return, FIFOs, inflation limits, streaming, and small refusals. */
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { cli } from "../_cli.js";
import { importDataset, writeImport } from "../../loaders/tables/import.js";
import { makeDirs } from "../../loaders/engine/files.js";

let root: string;
let serial = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "aligner-guards-test-"));
});
const fresh = () => {
  const dir = join(root, `case-${++serial}`);
  mkdirSync(dir);
  return dir;
};
const row = (r: Record<string, unknown> = {}) => ({ question: "q", answer: "a", correction: "c", ...r });
const jsonl = (rows: readonly unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** A refusal: exit 2, one line naming what is wrong, nothing on stdout. */
function refused(result: { code: number; stdout: string; stderr: string }, message: RegExp) {
  expect(result.stdout).toBe("");
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trimEnd().split("\n")).toHaveLength(1);
}

describe("import --out", () => {
  it("refuses to write over its own input, under any path or link, and leaves it untouched", async () => {
    const dir = fresh();
    mkdirSync(join(dir, "sub"));
    const input = join(dir, "in.parquet");
    await writeImport(join(dir, mkJsonl(dir)), input);
    const before = readFileSync(input);
    symlinkSync(input, join(dir, "link.parquet"));
    linkSync(input, join(dir, "hard.parquet"));
    for (const out of [input, join(dir, "sub", "..", "in.parquet"), join(dir, "link.parquet"), join(dir, "hard.parquet")]) {
      refused(await cli("import", input, "--out", out), /--out is the input file .* itself/);
    }
    refused(await cli("import", join(dir, "link.parquet"), "--out", input), /--out is the input file/);
    expect(readFileSync(input).equals(before)).toBe(true);
  });

  it.each([["out.csv"], ["in.jsonl"], ["x.parquet.tmp"]])("refuses --out %s (not .parquet), writing nothing", async (name) => {
    const dir = fresh();
    const input = join(dir, mkJsonl(dir));
    refused(await cli("import", input, "--out", join(dir, name)), /--out must name a \.parquet file/);
    expect(readdirSync(dir)).toEqual(["in.jsonl"]);
  });

  it.skipIf(!existsSync("/proc/self"))(
    "returns with one line where the folder cannot be made (/proc/sub/x.parquet)",
    async () => {
      const input = join(fresh(), "in.jsonl");
      writeFileSync(input, jsonl([row()]));
      refused(await cli("import", input, "--out", "/proc/sub/x.parquet"), /\/proc\/sub\/x\.parquet: cannot create folder \/proc\/sub/);
      expect(() => makeDirs("/proc/sub/deeper")).toThrow(/cannot create folder \/proc\/sub\/deeper \(ENOENT at \/proc\/sub\)/);
      const made = join(fresh(), "a", "b", "c");
      makeDirs(made);
      makeDirs(made);
      expect(existsSync(made)).toBe(true);
      writeFileSync(join(made, "file"), "");
      expect(() => makeDirs(join(made, "file", "x"))).toThrow(/exists and is not a folder/);
    },
    10_000,
  );
});

function mkJsonl(dir: string) {
  writeFileSync(join(dir, "in.jsonl"), jsonl([row(), row({ question: "q2" })]));
  return "in.jsonl";
}

describe("import input", () => {
  it.skipIf(spawnSync("mkfifo", ["--version"]).status !== 0)(
    "refuses a FIFO instead of hanging",
    async () => {
      const dir = fresh();
      const fifo = join(dir, "in.jsonl");
      spawnSync("mkfifo", [fifo]);
      refused(await cli("import", fifo, "--out", join(dir, "out.parquet")), /in\.jsonl: not a regular file \(a FIFO \(named pipe\)\)/);
      refused(await cli("metrics", dir), /not a regular file \(a folder\)/);
      expect(readdirSync(dir)).toEqual(["in.jsonl"]);
    },
    10_000,
  );

  it("refuses a .gz that inflates past ALIGNER_MAX_INFLATED, with one line", async () => {
    const dir = fresh();
    const file = join(dir, "bomb.jsonl.gz");
    writeFileSync(file, gzipSync(jsonl(Array.from({ length: 20_000 }, (_, k) => row({ question: `q${k}`, answer: "x".repeat(100) })))));
    const saved = process.env.ALIGNER_MAX_INFLATED;
    process.env.ALIGNER_MAX_INFLATED = "1M";
    try {
      refused(
        await cli("import", file, "--out", join(dir, "out.parquet")),
        /bomb\.jsonl\.gz: inflates to more than 1048576 bytes.*ALIGNER_MAX_INFLATED/,
      );
      await expect(importDataset(file, { maxInflated: 10 * 2 ** 20 })).resolves.toHaveLength(20_000);
    } finally {
      if (saved === undefined) delete process.env.ALIGNER_MAX_INFLATED;
      else process.env.ALIGNER_MAX_INFLATED = saved;
    }
    expect(readdirSync(dir)).toEqual(["bomb.jsonl.gz"]);
  }, 30_000);

  it("streams JSON arrays and CSV records across read chunks (several MB), exactly", async () => {
    const dir = fresh();
    const rows = Array.from({ length: 8_000 }, (_, k) =>
      row({ question: `q${k}, "quoted"\nline`, answer: `a${k} `.repeat(20), correction: "" }),
    );
    writeFileSync(join(dir, "big.json"), JSON.stringify(rows, null, 2));
    const csv = [
      "question,answer,correction",
      ...rows.map((r) => [r.question, r.answer, r.correction].map((f) => `"${String(f).replaceAll('"', '""')}"`).join(",")),
    ];
    writeFileSync(join(dir, "big.csv"), csv.join("\r\n") + "\r\n");
    for (const name of ["big.json", "big.csv"]) {
      const got = await importDataset(join(dir, name));
      expect(got).toHaveLength(8_000);
      expect(got.map(({ question, answer, correction }) => ({ question, answer, correction }))).toEqual(rows);
    }
    const json = await importDataset(join(dir, "big.json"));
    expect(json[7_999]!.row).toBe(8_000);
    const out = join(dir, "big.parquet");
    expect(await writeImport(join(dir, "big.csv"), out)).toMatchObject({ rows: 8_000 });
    expect((await importDataset(out)).map((r) => r.question)).toEqual(rows.map((r) => r.question));
  }, 60_000);
});

describe("small refusals", () => {
  it("says NaN for a Parquet NaN, not null", async () => {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const dir = fresh();
    const file = join(dir, "nan.parquet");
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    await c.run(`COPY (SELECT 'q' AS question, 'NaN'::DOUBLE AS answer, 'c' AS correction) TO '${file}' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    refused(await cli("import", file, "--out", join(dir, "out.parquet")), /row 1, field "answer": expected text, got number NaN/);
  });

  it.each([
    [
      "in.jsonl",
      `{"question":"q","answer":"a","correction":"c"}\n{"question":"q","answer":"a","correction":"c","answer":"b"}\n`,
      /row 2 \(line 2\): duplicate key "answer"/,
    ],
    ["in.json", `[\n{"question":"q","answer":"a","correction":"c","q\\u0075estion":"x"}\n]`, /row 1 \(line 2\): duplicate key "question"/],
  ])("refuses a repeated JSON key in %s, naming row and key", async (name, text, message) => {
    const dir = fresh();
    writeFileSync(join(dir, name), text);
    refused(await cli("import", join(dir, name), "--out", join(dir, "out.parquet")), message);
    expect(readdirSync(dir)).toEqual([name]);
    writeFileSync(join(dir, "nested.jsonl"), `{"question":"q","answer":"a","correction":"c","meta":{"k":1},"more":{"k":2}}\n`);
    await expect(importDataset(join(dir, "nested.jsonl"))).resolves.toHaveLength(1);
  });

  it("refuses a lone surrogate in text, naming row and field", async () => {
    const dir = fresh();
    writeFileSync(
      join(dir, "s.jsonl"),
      `{"question":"q","answer":"ok \\ud83d\\udc4b","correction":"c"}\n{"question":"q","answer":"a","correction":"x\\ud800y"}\n`,
    );
    refused(
      await cli("import", join(dir, "s.jsonl"), "--out", join(dir, "out.parquet")),
      /row 2 \(line 2\), field "correction": contains a lone surrogate \\ud800 at position 1/,
    );
    expect(readdirSync(dir)).toEqual(["s.jsonl"]);
  });
});
