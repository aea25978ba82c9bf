/**
 * One small logger. Progress goes to stderr, never stdout: a data loader's stdout is its data.
 * Silent under vitest (VITEST is set) unless ALIGNER_LOG=debug|info asks for it.
 *
 * `progress(label, done, total)` reports a long loop's progress: every logger of the process shares
 * one ProgressBoard on stderr (progress.ts), a bar with an ETA on a TTY, else a plain line at most every
 * 5 s (ALIGNER_PROGRESS=SECONDS changes that; ALIGNER_PROGRESS=0 turns progress off). It shows at the
 * info level and above, like info lines.
 */
import { ProgressBoard, type ProgressNote } from "./progress.js";

export type Level = "silent" | "error" | "warn" | "info" | "debug";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** `done` of `total` units of `label` are done (the task ends at done ≥ total); absent = not shown. */
  progress?(label: string, done: number, total: number, note?: ProgressNote): void;
}

const ORDER: Record<Level, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

function defaultLevel(): Level {
  const asked = process.env.ALIGNER_LOG as Level | undefined;
  if (asked && asked in ORDER) return asked;
  return process.env.VITEST ? "silent" : "info";
}

/** ALIGNER_PROGRESS: unset = every 5 s (plain lines), 0 or "off" = no progress, else seconds (at least 1). */
export function progressEveryMs(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env.ALIGNER_PROGRESS;
  if (raw === undefined || raw === "") return 5000;
  if (raw === "off" || raw === "0") return null;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds > 0 ? Math.max(1, seconds) * 1000 : 5000;
}

let _stderrBoard: ProgressBoard | undefined;
/** The process's board on stderr (created on first use). */
export const stderrBoard = (): ProgressBoard =>
  (_stderrBoard ??= new ProgressBoard(process.stderr, { plainEveryMs: progressEveryMs() ?? Infinity }));

/** Clears the progress bar, if one is shown, and forgets its tasks (before an error message). */
export function clearProgress(): void {
  _stderrBoard?.reset();
}

/** A logger writing `[scope] message` lines to stderr at or below `level`, with progress on its board. */
export function createLogger(scope: string, level: Level = defaultLevel(), board: () => ProgressBoard = stderrBoard): Logger {
  const shows = (at: Level) => ORDER[at] <= ORDER[level];
  const write = (at: Level, message: string) => {
    if (shows(at)) board().line(`[${scope}] ${message}`);
  };
  const progressOn = shows("info") && progressEveryMs() !== null;
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
    debug: (m) => write("debug", m),
    progress: (label, done, total, note) => {
      if (progressOn) board().update(label, done, total, note, `[${scope}] `);
    },
  };
}

/** A logger that drops everything, progress included (mosaic's voidLogger). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {}, progress() {} };
