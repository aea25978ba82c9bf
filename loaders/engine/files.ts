/** File helpers shared by every stage. */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";

/**
 * `mkdir -p` that always returns: Node's `mkdirSync(dir, { recursive: true })` loops forever where a
 * folder cannot be created but its parent exists (e.g. under /proc). Creates the missing folders from
 * the top down and throws a one-line Error naming the folder and the reason on the first failure.
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    let kind: "dir" | "other" | "none";
    try {
      kind = statSync(at).isDirectory() ? "dir" : "other";
    } catch {
      kind = "none";
    }
    if (kind === "other") throw new Error(`cannot create folder ${dir}: ${at} exists and is not a folder`);
    if (kind === "dir") break;
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const at of missing) {
    try {
      mkdirSync(at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST" && statSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
      throw new Error(`cannot create folder ${dir} (${code ?? (error as Error).message}${at === resolve(dir) ? "" : ` at ${at}`})`);
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
