// The run's helper process: how many processes a run uses, and a two-process run that matches a one-process run.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPreset } from "../../../loaders/experiment/config.js";
import { runJobs } from "../../../loaders/experiment/pipeline/helper.js";
import { materializeRun } from "../../../loaders/tables/materialize.js";

describe("runJobs", () => {
  it("reads ALIGNER_JOBS, stays at 1 under vitest and rejects nonsense", () => {
    expect(runJobs({ ALIGNER_JOBS: "2" })).toBe(2);
    expect(runJobs({ ALIGNER_JOBS: "1", VITEST: "true" })).toBe(1);
    expect(runJobs({ VITEST: "true" })).toBe(1);
    expect(runJobs({})).toBeGreaterThanOrEqual(1);
    expect(runJobs({})).toBeLessThanOrEqual(2);
    expect(() => runJobs({ ALIGNER_JOBS: "two" })).toThrow(/ALIGNER_JOBS must be a positive integer, got "two"/);
    expect(() => runJobs({ ALIGNER_JOBS: "0" })).toThrow(/ALIGNER_JOBS/);
  });
});

describe("a run with its helper", () => {
  const saved = process.env.ALIGNER_JOBS;
  afterAll(() => {
    if (saved === undefined) delete process.env.ALIGNER_JOBS;
    else process.env.ALIGNER_JOBS = saved;
  });

  it("computes part of the stages in a second process and writes the same tables as one process", async () => {
    const root = mkdtempSync(join(tmpdir(), "aligner-helper-"));
    const preset = loadPreset("tiny");
    process.env.ALIGNER_JOBS = "1";
    const alone = await materializeRun(preset, { dir: join(root, "alone") });
    process.env.ALIGNER_JOBS = "2";
    const paired = await materializeRun(preset, { dir: join(root, "paired") });
    expect(alone.jobs).toBe(1);
    expect(paired.jobs).toBe(2);
    expect(paired.run_id).toBe(alone.run_id);
    for (const name of ["corrections", "summary", "warmup_sweep", "residual_ops", "w2s"]) {
      const bytes = (dir: string) => readFileSync(join(dir, "tables", `${name}.arrow`));
      expect(bytes(paired.dir).equals(bytes(alone.dir)), `${name}.arrow`).toBe(true);
    }
    // Every stage was computed once, some of them by the helper (its pid is in the stage's timing.json).
    const stages = join(paired.dir, "stages");
    const pids = readdirSync(stages)
      .filter((d) => !d.endsWith(".lock"))
      .map((d) => JSON.parse(readFileSync(join(stages, d, "timing.json"), "utf-8")).pid as number);
    expect(pids.length).toBe(paired.stages!.length);
    const byHelper = pids.filter((pid) => pid !== process.pid).length;
    expect(byHelper).toBeGreaterThan(0);
    expect(byHelper).toBeLessThan(pids.length);
    expect(paired.compute_s).toBeGreaterThan(0);
    expect(readdirSync(stages).some((d) => d.endsWith(".lock"))).toBe(false);
  }, 240_000);
});
