import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashOf, runStage, timeStages } from "../../loaders/experiment/cache.js";

const worker = join(import.meta.dirname, "..", "fixtures", "stage-worker.ts");
const runWorker = (runDir: string, mode = "ok") =>
  new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", worker, runDir, mode], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.on("close", (code) => resolve({ code, stdout }));
  });
const computed = (runDir: string) => readFileSync(join(runDir, "computed.txt"), "utf-8").trim().split("\n").length;

describe("runStage", () => {
  it("computes once and reuses the result on the second call", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "aligner-cache-"));
    let calls = 0;
    const compute = async () => ({ n: ++calls });
    expect(await runStage(runDir, "s", { a: 1 }, compute)).toEqual({ n: 1 });
    expect(await runStage(runDir, "s", { a: 1 }, compute)).toEqual({ n: 1 });
    expect(calls).toBe(1);
    expect(await runStage(runDir, "s", { a: 2 }, compute)).toEqual({ n: 2 }); // another key, another stage
  });

  it("timeStages lists the stages a piece of work used, with the time each took when it was computed, cached or not", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "aligner-cache-"));
    const slow = async () => {
      await new Promise((r) => setTimeout(r, 60));
      return { ok: true };
    };
    const first = await timeStages(async () => {
      await runStage(runDir, "a", 1, slow);
      await runStage(runDir, "b", 1, async () => ({ ok: true }));
      return "done";
    });
    expect(first.result).toBe("done");
    expect(first.stages.map((s) => [s.name, s.cached])).toEqual([
      ["a", false],
      ["b", false],
    ]);
    expect(first.stages[0]!.seconds).toBeGreaterThanOrEqual(0.05);
    const again = await timeStages(() => runStage(runDir, "a", 1, slow));
    expect(again.stages).toEqual([{ name: "a", folder: `a-${hashOf(1)}`, seconds: first.stages[0]!.seconds, cached: true }]);
    expect((await timeStages(async () => 1)).stages).toEqual([]); // outside a stage, nothing
  });

  it("does not mark a failed stage done", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "aligner-cache-"));
    await expect(
      runStage(runDir, "s", 1, async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(existsSync(join(runDir, "stages", `s-${hashOf(1)}`, "done.json"))).toBe(false);
    expect(await runStage(runDir, "s", 1, async () => "second try")).toBe("second try");
  });

  it("lets two concurrent processes compute a stage once", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "aligner-cache-"));
    const [a, b] = await Promise.all([runWorker(runDir), runWorker(runDir)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(computed(runDir)).toBe(1);
    expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
  }, 30_000);

  it("takes over the lock of a process that died and finishes the stage", async () => {
    const runDir = mkdtempSync(join(tmpdir(), "aligner-cache-"));
    expect((await runWorker(runDir, "die")).code).toBe(9);
    expect(existsSync(join(runDir, "stages", `count-${hashOf({ v: 1 })}.lock`))).toBe(true);
    const again = await runWorker(runDir);
    expect(again.code).toBe(0);
    expect(computed(runDir)).toBe(2);
  }, 30_000);
});
