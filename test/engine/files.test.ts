import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { makeDirs, MakeDirsError, readJson, writeFileAtomic, writeJson } from "../../loaders/engine/files.js";

it("writeFileAtomic replaces a file whole", () => {
  const dir = mkdtempSync(join(tmpdir(), "aligner-atomic-"));
  writeFileAtomic(join(dir, "a.txt"), "one");
  writeFileAtomic(join(dir, "a.txt"), "two");
  expect(readdirSync(dir)).toEqual(["a.txt"]);
  expect(readFileSync(join(dir, "a.txt"), "utf-8")).toBe("two");
});

it("writeJson and readJson round-trip a value", () => {
  const file = join(mkdtempSync(join(tmpdir(), "aligner-json-")), "v.json");
  writeJson(file, { a: [1, "b"], c: null });
  expect(readJson(file)).toEqual({ a: [1, "b"], c: null });
});

it("makeDirs returns the folders it made, and removes them when a deeper one cannot be made", () => {
  const dir = mkdtempSync(join(tmpdir(), "aligner-dirs-"));
  expect(makeDirs(join(dir, "a", "b"))).toEqual([join(dir, "a"), join(dir, "a", "b")]);
  expect(makeDirs(join(dir, "a", "b"))).toEqual([]);
  const tooLong = join(dir, "x", "y", "z".repeat(300)); // x and y are made, then ENAMETOOLONG
  let error: unknown;
  try {
    makeDirs(tooLong);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MakeDirsError);
  expect((error as MakeDirsError).cause?.code).toBe("ENAMETOOLONG");
  expect(readdirSync(dir)).toEqual(["a"]);
});
