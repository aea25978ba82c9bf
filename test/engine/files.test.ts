import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readJson, writeFileAtomic, writeJson } from "../../loaders/engine/files.js";

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
