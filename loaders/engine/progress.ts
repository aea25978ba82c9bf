/**
 * Progress with an ETA, for long loops (training steps, merges, generation batches) and the whole run.
 * A `ProgressBoard` owns one stream (stderr): it keeps the tasks in flight by label, each with a
 * smoothed rate, and shows them as one status line. On a TTY that line is a bar redrawn in place with
 * `\r` (at most every `drawEveryMs`), and every log line written through the board clears it first and
 * redraws it after, so lines never land inside the bar. Elsewhere (a pipe, a CI log, the run's helper
 * process) it writes one plain line with every task at most every `plainEveryMs` (5 s by default) and
 * never uses `\r`. A task ends when `done` reaches `total`. Progress is output only: nothing reads it.
 */

/** What the board writes to: process.stderr, or a fake in tests. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressNote {
  /** Shown after the counts, e.g. "loss 4.592" or "6394 tokens/s". */
  detail?: string;
  /** Seconds left as the caller knows them (the run from known stage costs); else from the task's rate. */
  etaS?: number | null;
}

/** Seconds over which the rate forgets: the ETA follows a change of pace within about this long. */
const TAU_S = 10;

/**
 * Rate and ETA of one task from its (time, done) reports. The rate is the average since the first
 * report while that is younger than TAU_S, then an exponential moving average with time constant TAU_S
 * (the update weight is max(dt / elapsed, 1 − e^(−dt/TAU_S)), so it starts as the plain average).
 */
export class Meter {
  readonly startedAt: number;
  private at: number;
  private rate: number | null = null;
  done: number;

  constructor(
    readonly total: number,
    now: number,
    done = 0,
  ) {
    this.startedAt = this.at = now;
    this.done = done;
  }

  update(done: number, now: number): void {
    const dt = (now - this.at) / 1000;
    if (dt <= 0) {
      this.done = done;
      return;
    }
    const instant = (done - this.done) / dt;
    const weight = Math.max(dt / ((now - this.startedAt) / 1000), 1 - Math.exp(-dt / TAU_S));
    this.rate = this.rate === null ? instant : this.rate + weight * (instant - this.rate);
    this.at = now;
    this.done = done;
  }

  /** Units per second (null before two reports). */
  perSecond(): number | null {
    return this.rate;
  }

  /** Seconds left at the current rate (null while unknown). */
  etaS(): number | null {
    return this.rate && this.rate > 0 ? Math.max(0, this.total - this.done) / this.rate : null;
  }

  elapsedS(now: number): number {
    return (now - this.startedAt) / 1000;
  }
}

/** 7s, 3m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

interface Task {
  meter: Meter;
  note: ProgressNote;
  notedAt: number;
}

export interface BoardOptions {
  /** Milliseconds (Date.now by default; tests inject a clock). */
  now?: () => number;
  /** Draw a bar in place (default: the stream is a TTY). */
  tty?: boolean;
  /** Plain mode: at most one progress line per this many ms. */
  plainEveryMs?: number;
  /** TTY mode: redraw the bar at most this often. */
  drawEveryMs?: number;
  /** TTY mode: also redraw this often while tasks are in flight, so ETAs count down while the process waits (0 = never). */
  tickMs?: number;
}

/** The tasks in flight on one stream and how they are shown (see the file's comment). */
export class ProgressBoard {
  private readonly tasks = new Map<string, Task>();
  private readonly now: () => number;
  private readonly tty: boolean;
  private readonly plainEveryMs: number;
  private readonly drawEveryMs: number;
  private shown = false;
  private lastDraw = -Infinity;
  private lastPlain: number;
  private readonly tickMs: number;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: ProgressStream,
    { now = Date.now, tty = stream.isTTY === true, plainEveryMs = 5000, drawEveryMs = 100, tickMs = 1000 }: BoardOptions = {},
  ) {
    this.now = now;
    this.tty = tty;
    this.plainEveryMs = plainEveryMs;
    this.drawEveryMs = drawEveryMs;
    this.tickMs = tickMs;
    this.lastPlain = now();
  }

  /** Writes one log line (without its newline) above the status line. */
  line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    if (this.tasks.size > 0) this.draw();
  }

  /** Reports `done` of `total` for `label`; `prefix` starts plain lines ("[run] "). */
  update(label: string, done: number, total: number, note: ProgressNote = {}, prefix = ""): void {
    const now = this.now();
    let task = this.tasks.get(label);
    if (done >= total) {
      if (task && this.tasks.delete(label) && this.tty) this.tasks.size > 0 ? this.draw() : this.clear();
      return;
    }
    const fresh = !task || task.meter.total !== total || done < task.meter.done;
    if (fresh) this.tasks.set(label, (task = { meter: new Meter(total, now, done), note, notedAt: now }));
    else task!.meter.update(done, now);
    task!.note = note;
    if (note.etaS !== undefined) task!.notedAt = now;
    if (this.tty) {
      if (fresh || now - this.lastDraw >= this.drawEveryMs) this.draw();
    } else if (now - this.lastPlain >= this.plainEveryMs && task!.meter.elapsedS(now) >= 1) {
      this.lastPlain = now;
      this.stream.write(`${prefix}${[...this.tasks].map(([l, t]) => this.render(l, t, now, false)).join(" · ")}\n`);
    }
  }

  /** Removes the status line and forgets every task (before an error message, or at exit). */
  reset(): void {
    this.clear();
    this.tasks.clear();
  }

  private eta(task: Task, now: number): number | null {
    const { etaS } = task.note;
    if (etaS !== undefined) return etaS === null ? null : Math.max(0, etaS - (now - task.notedAt) / 1000);
    return task.meter.etaS();
  }

  private render(label: string, task: Task, now: number, bar: boolean): string {
    const { done, total } = task.meter;
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const eta = this.eta(task, now);
    const parts = [
      bar
        ? `${label} ${_bar(share, 12)} ${Math.floor(share * 100)}% ${done}/${total}`
        : `${label} ${done}/${total} (${Math.floor(share * 100)}%)`,
      ...(task.note.detail ? [task.note.detail] : []),
      ...(bar ? [] : [`${formatDuration(task.meter.elapsedS(now))} elapsed`]),
      `ETA ${eta === null ? "?" : formatDuration(eta)}`,
    ];
    return parts.join(bar ? " " : ", ");
  }

  private draw(): void {
    if (!this.tty) return;
    const now = this.now();
    const width = Math.max(20, (this.stream.columns || 80) - 1);
    let text = [...this.tasks].map(([l, t]) => this.render(l, t, now, true)).join(" │ ");
    if (text.length > width) text = `${text.slice(0, width - 1)}…`;
    this.stream.write(`\r${text}\x1b[K`);
    this.shown = true;
    this.lastDraw = now;
    if (this.tickMs > 0 && !this.ticker) this.ticker = setInterval(() => this.tasks.size > 0 && this.draw(), this.tickMs).unref();
  }

  private clear(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    if (!this.shown) return;
    this.stream.write("\r\x1b[K");
    this.shown = false;
  }
}

const _bar = (share: number, width: number): string => {
  const full = Math.round(share * width);
  return `[${"█".repeat(full)}${"░".repeat(width - full)}]`;
};
