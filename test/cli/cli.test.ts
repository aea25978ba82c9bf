import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../loaders/cli/main.js";

/** Runs the CLI in-process, capturing stdout and stderr. */
async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(
    argv,
    { write: (s: string) => ((stdout += s), true) } as never,
    { write: (s: string) => ((stderr += s), true) } as never,
  );
  return { code, stdout, stderr };
}

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
    [[], /Usage: aligner/],
  ])("rejects %j with a clear message and exit code 2", async (argv, message) => {
    const { code, stderr, stdout } = await cli(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe("");
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
    const { code, stdout } = await cli("world", "--preset", "tiny", "--out", out);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
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
