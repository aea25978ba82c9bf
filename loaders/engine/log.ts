/**
 * One small logger. Progress goes to stderr, never stdout: a data loader's stdout is its data.
 * Silent under vitest (VITEST is set) unless ALIGNER_LOG=debug|info asks for it.
 */
export type Level = "silent" | "error" | "warn" | "info" | "debug";

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

const ORDER: Record<Level, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

function defaultLevel(): Level {
  const asked = process.env.ALIGNER_LOG as Level | undefined;
  if (asked && asked in ORDER) return asked;
  return process.env.VITEST ? "silent" : "info";
}

/** A logger writing `[scope] message` lines to stderr at or below `level`. */
export function createLogger(scope: string, level: Level = defaultLevel()): Logger {
  const write = (at: Level, message: string) => {
    if (ORDER[at] <= ORDER[level]) process.stderr.write(`[${scope}] ${message}\n`);
  };
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
    debug: (m) => write("debug", m),
  };
}

/** A logger that drops everything (mosaic's voidLogger). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
