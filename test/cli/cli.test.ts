import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { cli } from "../_cli.js";
import { selectBackend } from "../../loaders/engine/backend.js";
import { loadPreset } from "../../loaders/experiment/config.js";

describe("aligner CLI", () => {
  it("prints help with --help and exits 0", async () => {
    const { code, stdout } = await cli("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: aligner <command>/);
  });

  it("prints the package version with --version", async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "package.json"), "utf-8"));
    expect((await cli("--version")).stdout.trim()).toBe(version);
  });

  it.each([
    [["frob"], /unknown command "frob"/],
    [["run", "--bogus"], /run: Unknown option '--bogus'/],
    [["run", "extra"], /run: Unexpected argument 'extra'/],
    [["run", "--preset", "nope"], /preset "nope": no file/],
    [["study", "--preset", "tiny", "--seeds", "42,x"], /study: --seeds must be comma-separated integers, e.g. 42,43,44; got "42,x"/],
    [["study", "--preset", "tiny", "--seeds", "42,42"], /--seeds: "seeds\[1\]" must be named once, got 42/],
    [[], /Usage: aligner/],
  ])("rejects %j with a clear message and exit code 2", async (argv, message) => {
    const { code, stderr, stdout } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
  });

  describe("a folder it cannot use: one line naming the path and the problem, exit 2, before any work, nothing written", () => {
    const scratch = mkdtempSync(join(tmpdir(), "aligner-out-"));
    const file = join(scratch, "a-file");
    writeFileSync(file, "keep me");
    const runs = mkdtempSync(join(tmpdir(), "aligner-runs-")); // a usable runs folder (its stages' cache may go there)
    it.each([
      [["run", "--preset", "tiny", "--out", ""], {}, /^aligner: --out: needs a folder name, got an empty path\n$/],
      [["run", "--preset", "tiny", "--out", file], {}, /^aligner: --out .*a-file: exists and is not a folder\n$/],
      [["run", "--preset", "tiny", "--out", `${file}/`], {}, /^aligner: --out .*a-file\/: exists and is not a folder\n$/],
      [["run", "--preset", "tiny", "--out", join(file, "sub")], {}, /^aligner: --out .*a-file\/sub: .*not a folder \(ENOTDIR/],
      [
        ["run", "--preset", "tiny", "--out", "/proc/aligner-x/y"],
        {},
        /^aligner: --out \/proc\/aligner-x\/y: .*\(ENOENT, mkdir \/proc\/aligner-x\)\n$/,
      ],
      [
        ["run", "--preset", "tiny", "--out", "/sys/aligner-x"],
        {},
        /^aligner: --out \/sys\/aligner-x: cannot create or write it: .*\(E(PERM|ACCES|ROFS), mkdir/,
      ],
      [
        ["run", "--preset", "tiny"],
        { ALIGNER_RUNS: "/sys" },
        /^aligner: runs folder \/sys\/tiny: cannot create or write it: .*\(E(PERM|ACCES|ROFS)/,
      ],
      [["run", "--preset", "tiny"], { ALIGNER_RUNS: file }, /^aligner: runs folder .*a-file\/tiny: .*not a folder/],
      [["world", "--preset", "tiny", "--out", file], {}, /^aligner: --out .*a-file: exists and is not a folder\n$/],
      [
        ["world", "--preset", "tiny", "--out", join(scratch, "w")],
        { ALIGNER_RUNS: "/sys" },
        /^aligner: runs folder \/sys\/tiny: cannot create/,
      ],
    ])(
      "%j (env %j)",
      async (argv, env, message) => {
        const saved = process.env.ALIGNER_RUNS;
        process.env.ALIGNER_RUNS = (env as { ALIGNER_RUNS?: string }).ALIGNER_RUNS ?? runs;
        try {
          const { code, stdout, stderr } = await cli(...argv);
          expect(stderr).toMatch(message);
          expect(stderr.trim().split("\n")).toHaveLength(1);
          expect(code).toBe(2);
          expect(stdout).toBe("");
          expect(readFileSync(file, "utf-8")).toBe("keep me");
          expect(readdirSync(scratch).sort()).toEqual(["a-file"]);
          expect(existsSync("/proc/aligner-x")).toBe(false);
        } finally {
          process.env.ALIGNER_RUNS = saved;
        }
      },
      30_000,
    );
  });

  it("runs the tiny preset into --out DIR, prints DIR, and records preset, seed, backend and versions", async () => {
    process.env.ALIGNER_RUNS = mkdtempSync(join(tmpdir(), "aligner-runs-"));
    const out = join(process.env.ALIGNER_RUNS, "elsewhere");
    const { code, stdout } = await cli("run", "--preset", "tiny", "--out", out);
    expect(code).toBe(0);
    expect(stdout).toBe(`${out}\n`);
    const record = JSON.parse(readFileSync(join(out, "run.json"), "utf-8"));
    expect(record).toMatchObject({ preset: "tiny", seed: 42, dir: out });
    expect(record.versions["@tensorflow/tfjs"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(
      readFileSync(join(out, "tables", "corrections.parquet"))
        .subarray(0, 4)
        .toString(),
    ).toBe("PAR1");
  }, 120_000);

  it("writes the tiny world's dataset in the aligner-20K schema and prints its summary", async () => {
    process.env.ALIGNER_RUNS = mkdtempSync(join(tmpdir(), "aligner-runs-"));
    const out = join(process.env.ALIGNER_RUNS, "world");
    await tf.setBackend("cpu"); // what tfjs falls back to when nobody selects one
    const { code, stdout } = await cli("world", "--preset", "tiny", "--out", out);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(tf.getBackend()).toBe(summary.backend);
    // The backend `run` selects (wasm here), not tfjs's pure-JS fallback: the zoo LMs it caches trained on it.
    const runs = await selectBackend(loadPreset("tiny").config.backend);
    expect(summary.backend).toBe(runs.backend);
    expect(summary.backend).not.toBe("cpu");
    const lines = readFileSync(join(out, "dataset.jsonl"), "utf-8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(summary.rows);
    expect(Object.keys(lines[0]).sort()).toEqual(["answer", "correction", "question"]);
    const identity = readFileSync(join(out, "identity.jsonl"), "utf-8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(identity.every((r) => r.correction === r.answer)).toBe(true);
    expect(summary.upstreams.map((u: { upstream: string }) => u.upstream)).toContain("lm_unsafe");
    expect(Object.values(summary.edits).reduce((a: number, b) => a + (b as number), 0)).toBe(summary.rows);
    expect(readFileSync(join(out, "dataset.parquet")).subarray(0, 4).toString()).toBe("PAR1");
  }, 120_000);
});
