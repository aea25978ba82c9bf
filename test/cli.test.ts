import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../loaders/cli.js";

/** Runs the CLI in-process, capturing stdout and stderr. */
async function cli(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { write: (s: string) => ((stdout += s), true) } as never, { write: (s: string) => ((stderr += s), true) } as never);
  return { code, stdout, stderr };
}

describe("aligner CLI", () => {
  it("prints help with --help and exits 0", async () => {
    const { code, stdout } = await cli("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/Usage: aligner <command>/);
  });

  it("prints the package version with --version", async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, "..", "package.json"), "utf-8"));
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

  it("runs the tiny preset and records preset, seed, backend and versions", async () => {
    process.env.ALIGNER_RUNS = mkdtempSync(join(tmpdir(), "aligner-runs-"));
    const { code, stdout } = await cli("run", "--preset", "tiny");
    expect(code).toBe(0);
    const record = JSON.parse(stdout);
    expect(record).toMatchObject({ preset: "tiny", seed: 42 });
    expect(record.versions["@tensorflow/tfjs"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(JSON.parse(readFileSync(join(process.env.ALIGNER_RUNS, "tiny", "run.json"), "utf-8"))).toEqual(record);
  });
});
