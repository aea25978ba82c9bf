/** File helpers shared by every stage. */
import { mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/**
 * Why `makeDirs` failed: `at` is the path it stopped at; `cause` is the failed mkdir's error, or
 * undefined when `at` exists and is not a folder.
 */
export class MakeDirsError extends Error {
  override name = "MakeDirsError";
  constructor(
    message: string,
    readonly at: string,
    override readonly cause?: NodeJS.ErrnoException,
  ) {
    super(message);
  }
}

/**
 * `mkdir -p` that always returns: Node's `mkdirSync(dir, { recursive: true })` loops forever where a
 * folder cannot be created but its parent exists (e.g. under /proc). Creates the missing folders from
 * the top down and returns them; on the first failure removes the ones it made and throws a one-line
 * `MakeDirsError` naming the folder and the reason.
 */
export function makeDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    let kind: "dir" | "other" | "none";
    try {
      kind = statSync(at).isDirectory() ? "dir" : "other";
    } catch {
      kind = "none";
    }
    if (kind === "other") throw new MakeDirsError(`cannot create folder ${dir}: ${at} exists and is not a folder`, at);
    if (kind === "dir") break;
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  const made: string[] = [];
  for (const at of missing) {
    try {
      mkdirSync(at);
      made.push(at);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === "EEXIST" && statSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
      removeDirs(made);
      throw new MakeDirsError(`cannot create folder ${dir} (${e.code ?? e.message}${at === resolve(dir) ? "" : ` at ${at}`})`, at, e);
    }
  }
  return made;
}

/** Removes folders `makeDirs` made (deepest first), where they are still empty. */
export function removeDirs(made: readonly string[]): void {
  for (const at of [...made].reverse()) {
    try {
      rmdirSync(at);
    } catch {
      // not empty any more, or already gone: leave it
    }
  }
}

/** Writes bytes to `path` through a temporary name and a rename, so no reader sees half a file. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/** Parses a JSON file. */
export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, "utf-8")) as T;
}

/** Writes `value` as JSON, atomically. */
export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value));
}
