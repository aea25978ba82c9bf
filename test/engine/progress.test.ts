import { describe, expect, it } from "vitest";
import { createLogger, progressEveryMs, silentLogger } from "../../loaders/engine/log.js";
import { formatDuration, Meter, ProgressBoard } from "../../loaders/engine/progress.js";
import { knownCosts, runEta, RUN_PARTS } from "../../loaders/experiment/pipeline/eta.js";

/** A stream that records what is written, and a clock the test moves. */
function fake(tty: boolean, columns = 200) {
  const chunks: string[] = [];
  let t = 0;
  const stream = { write: (s: string) => chunks.push(s), isTTY: tty, columns };
  return { chunks, stream, now: () => t, tick: (ms: number) => (t += ms), text: () => chunks.join("") };
}

describe("Meter", () => {
  it("gives the plain average rate at first and the ETA that follows from it", () => {
    const m = new Meter(100, 0);
    expect(m.etaS()).toBeNull();
    m.update(10, 1000);
    expect(m.perSecond()).toBeCloseTo(10);
    expect(m.etaS()).toBeCloseTo(9);
    m.update(30, 2000); // 20/s in the last second: the average over 2 s is 15/s
    expect(m.perSecond()).toBeCloseTo(15);
    expect(m.etaS()).toBeCloseTo(70 / 15);
  });

  it("follows a change of pace within about ten seconds, smoothing single slow steps", () => {
    const m = new Meter(10_000, 0);
    let done = 0;
    for (let t = 1; t <= 60; t++) m.update((done += 10), t * 1000); // 10/s for a minute
    m.update((done += 1), 61_000); // one slow second
    expect(m.perSecond()!).toBeGreaterThan(8);
    for (let t = 62; t <= 100; t++) m.update((done += 40), t * 1000); // then 40/s
    expect(m.perSecond()!).toBeGreaterThan(38);
    expect(m.etaS()).toBeCloseTo((10_000 - done) / m.perSecond()!);
  });
});

describe("formatDuration", () => {
  it.each([
    [7.4, "7s"],
    [185, "3m05s"],
    [3720, "1h02m"],
    [-3, "0s"],
  ])("%d s → %s", (s, text) => expect(formatDuration(s)).toBe(text));
});

describe("ProgressBoard, plain lines (not a TTY)", () => {
  it("writes at most one line per interval, never \\r, with the counts and an ETA", () => {
    const f = fake(false);
    const board = new ProgressBoard(f.stream, { now: f.now, plainEveryMs: 5000 });
    for (let step = 1; step <= 100; step++) {
      f.tick(200); // 5 steps a second: 20 s in all
      board.update("aligner main", step, 100, { detail: "loss 4.5" }, "[run] ");
    }
    const lines = f.text().trimEnd().split("\n");
    expect(lines).toHaveLength(3); // at 5 s, 10 s and 15 s; at 20 s the task ended
    expect(lines[0]).toBe("[run] aligner main 25/100 (25%), loss 4.5, 5s elapsed, ETA 15s");
    expect(lines[2]).toBe("[run] aligner main 75/100 (75%), loss 4.5, 15s elapsed, ETA 5s");
    expect(f.text()).not.toContain("\r");
  });

  it("puts every task in flight on the line, a caller's ETA counting down", () => {
    const f = fake(false);
    const board = new ProgressBoard(f.stream, { now: f.now, plainEveryMs: 2000 });
    board.update("run", 1, 7, { detail: "aligner", etaS: 100 });
    f.tick(1000);
    board.update("train", 0, 10);
    f.tick(1200);
    board.update("train", 5, 10);
    expect(f.text()).toBe("run 1/7 (14%), aligner, 2s elapsed, ETA 1m38s · train 5/10 (50%), 1s elapsed, ETA 1s\n");
  });

  it("passes log lines through untouched", () => {
    const f = fake(false);
    const board = new ProgressBoard(f.stream, { now: f.now });
    board.update("train", 1, 10);
    board.line("[run] hello");
    expect(f.chunks).toEqual(["[run] hello\n"]);
  });
});

describe("ProgressBoard on a TTY", () => {
  it("draws a bar in place, clears it before a log line and redraws it after, and removes it when the task ends", () => {
    const f = fake(true);
    const board = new ProgressBoard(f.stream, { now: f.now, drawEveryMs: 100 });
    board.update("train", 0, 4);
    f.tick(1000);
    board.update("train", 2, 4, { detail: "loss 3.000" });
    f.tick(10); // too soon to redraw
    board.update("train", 3, 4);
    board.line("[helper] helper: world: cached");
    f.tick(1000);
    board.update("train", 4, 4);
    expect(f.chunks).toEqual([
      "\rtrain [░░░░░░░░░░░░] 0% 0/4 ETA ?\x1b[K",
      "\rtrain [██████░░░░░░] 50% 2/4 loss 3.000 ETA 1s\x1b[K",
      "\r\x1b[K",
      "[helper] helper: world: cached\n",
      "\rtrain [█████████░░░] 75% 3/4 ETA 0s\x1b[K",
      "\r\x1b[K",
    ]);
  });

  it("fits the terminal's width and shows nested tasks on one line", () => {
    const f = fake(true, 50);
    const board = new ProgressBoard(f.stream, { now: f.now });
    board.update("run", 1, 7, { etaS: 60 });
    board.update("aligner main", 10, 100);
    const last = f.chunks.at(-1)!;
    expect(last.startsWith("\rrun [██░░░░░░░░░░] 14% 1/7 ETA 1m00s │ al")).toBe(true);
    expect(last.replace("\r", "").replace("\x1b[K", "")).toHaveLength(49);
    board.reset();
    expect(f.chunks.at(-1)).toBe("\r\x1b[K");
  });
});

describe("loggers and progress", () => {
  it("silentLogger stays silent, progress included", () => {
    const writes: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((s: string) => (writes.push(s), true)) as typeof process.stderr.write;
    try {
      silentLogger.info("x");
      silentLogger.progress!("train", 1, 2);
      silentLogger.progress!("train", 2, 2);
    } finally {
      process.stderr.write = original;
    }
    expect(writes).toEqual([]);
  });

  it("a logger sends lines and progress to its board, progress only at info and above", () => {
    const f = fake(false);
    const board = new ProgressBoard(f.stream, { now: f.now, plainEveryMs: 1000 });
    const log = createLogger("run", "info", () => board);
    log.info("hello");
    log.progress!("train", 1, 10);
    f.tick(2000);
    log.progress!("train", 2, 10);
    createLogger("quiet", "warn", () => board).progress!("other", 1, 2);
    expect(f.text()).toBe("[run] hello\n[run] train 2/10 (20%), 2s elapsed, ETA 16s\n");
  });

  it("reads ALIGNER_PROGRESS", () => {
    expect(progressEveryMs({})).toBe(5000);
    expect(progressEveryMs({ ALIGNER_PROGRESS: "0" })).toBeNull();
    expect(progressEveryMs({ ALIGNER_PROGRESS: "2" })).toBe(2000);
    expect(progressEveryMs({ ALIGNER_PROGRESS: "0.1" })).toBe(1000);
  });
});

describe("the run's ETA", () => {
  const record = {
    stages: [
      { name: "world", seconds: 1, cached: false },
      { name: "zoo-lm_a", seconds: 20, cached: false },
      { name: "aligner", seconds: 30, cached: false },
      { name: "correct", seconds: 5, cached: false },
      { name: "sweep-0", seconds: 10, cached: false },
      { name: "w2s-strong", seconds: 8, cached: false },
    ],
    stages_s: { evaluate: 2 },
  };

  it("adds the known cost of the parts to come, less the time spent in the current one", () => {
    const known = knownCosts(record)!;
    expect(known).toEqual({ dataset: 21, aligner: 30, api_upstreams: 0, correct: 5, evaluate: 2, warmup_sweep: 10, w2s: 8 });
    expect(runEta(0, 0, 0, known)).toBe(76);
    expect(runEta(1, 25, 10, known)).toBe(20 + 5 + 2 + 10 + 8);
    expect(runEta(1, 25, 40, known)).toBe(25); // the Aligner overran: its part counts 0, not less
    expect(runEta(RUN_PARTS.length, 90, 0, known)).toBe(0);
  });

  it("counts the helper's share half (the sweep only beyond the Aligner), and knows nothing without timings", () => {
    expect(knownCosts(record, 2)).toMatchObject({ dataset: 11, warmup_sweep: 0, w2s: 4 });
    expect(knownCosts({ stages: [{ name: "world", seconds: null, cached: true }], stages_s: {} })).toBeNull();
    expect(knownCosts(null)).toBeNull();
  });

  it("without timings, scales the time so far by the share of a run the finished parts stand for", () => {
    expect(runEta(0, 10, 10, null)).toBeNull();
    const shares = { dataset: 1, aligner: 1, api_upstreams: 0, correct: 0, evaluate: 0, warmup_sweep: 1, w2s: 1 };
    expect(runEta(1, 60, 0, null, shares)).toBe(180);
    expect(runEta(2, 60, 0, null, shares)).toBe(60);
  });
});
