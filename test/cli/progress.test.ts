// `aligner run` as a user runs it, with stderr a pipe (not a TTY): progress comes as plain lines with an
// ETA on stderr, never `\r`, and stdout carries only the run's folder.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "loaders", "cli", "bin.js"), ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("aligner run's progress", () => {
  it("prints throttled progress lines with an ETA on stderr and nothing but the folder on stdout", async () => {
    const runs = mkdtempSync(join(tmpdir(), "aligner-progress-"));
    const out = join(runs, "tiny");
    const env: NodeJS.ProcessEnv = { ...process.env, ALIGNER_RUNS: runs, ALIGNER_JOBS: "1", ALIGNER_PROGRESS: "2", ALIGNER_LOG: "info" };
    delete env.VITEST; // the child logs as a user's run does
    const { code, stdout, stderr } = await runCli(["run", "--preset", "tiny", "--out", out], env);
    expect(code, stderr).toBe(0);
    expect(stdout).toBe(`${out}\n`);
    expect(stderr).not.toContain("\r");
    const progress = stderr.split("\n").filter((l) => / \d+\/\d+ \(\d+%\)/.test(l));
    expect(progress.length).toBeGreaterThan(0);
    // elapsed and ETA read "42s" or, past a minute (a loaded machine), "1m01s"
    for (const line of progress) expect(line).toMatch(/^\[run\] run \d\/7 \(\d+%\), \w+, (\d+m\d\d|\d+)s elapsed, ETA (\?|\d+s|\d+m\d\ds)/);
    expect(progress.some((l) => /· \S.* \d+\/\d+ \(\d+%\).*ETA \d/.test(l))).toBe(true); // a stage's line with its own ETA
  }, 180_000);
});
