// The pages' pure helpers (src/components/*.ts): the word diff, number formats, run config diffs.
import { describe, expect, it } from "vitest";
import { configDiff, flatten, parseJsonColumn } from "../../src/components/config.js";
import { diffStats, diffTokens, wordDiff, type DiffPart } from "../../src/components/diff.js";
import { bytes, detokenize, duration, gsb, interval, omega, percent, signed } from "../../src/components/format.js";
import { fixtureTables } from "../fixtures/tables.js";

const side = (parts: DiffPart[], keep: "delete" | "insert") =>
  parts
    .filter((p) => p.op === "equal" || p.op === keep)
    .map((p) => p.text)
    .join("");

describe("wordDiff", () => {
  it.each([
    [
      "27 + 10 = 27.",
      "27 + 10 = 37.",
      [
        { op: "equal", text: "27 + 10 = " },
        { op: "delete", text: "27" },
        { op: "insert", text: "37" },
        { op: "equal", text: "." },
      ],
    ],
    ["same text", "same text", [{ op: "equal", text: "same text" }]],
    ["", "new words", [{ op: "insert", text: "new words" }]],
    ["old words", "", [{ op: "delete", text: "old words" }]],
    [
      "a b c",
      "x y c",
      [
        { op: "delete", text: "a b" },
        { op: "insert", text: "x y" },
        { op: "equal", text: " c" },
      ],
    ],
    [
      "Paris. I hope this helps!",
      "Paris.",
      [
        { op: "equal", text: "Paris." },
        { op: "delete", text: " I hope this helps!" },
      ],
    ],
  ])("%j → %j", (a, b, parts) => {
    expect(wordDiff(a, b)).toEqual(parts);
  });

  it("rebuilds the answer from equal+delete parts and the correction from equal+insert parts", () => {
    for (const r of fixtureTables({ corrections: 300 }).corrections) {
      const parts = wordDiff(String(r.answer), String(r.correction));
      expect(side(parts, "delete")).toBe(r.answer);
      expect(side(parts, "insert")).toBe(r.correction);
      for (let k = 1; k < parts.length; k++) expect(parts[k]!.op === parts[k - 1]!.op).toBe(false);
    }
  });

  it("counts words, not whitespace", () => {
    expect(diffStats(wordDiff("I can't help.", "I can help you."))).toEqual({ deleted: 2, inserted: 1, kept: 4 });
    expect(diffTokens("a  b,c")).toEqual(["a", "  ", "b", ",", "c"]);
  });
});

describe("formats", () => {
  it.each([
    [omega(0.1234), "+12.3%"],
    [omega(-0.05), "−5.0%"],
    [omega(0), "0.0%"],
    [omega(null), "—"],
    [percent(0.34), "34.0%"],
    [interval(0.081, 0.16), "[+8.1, +16.0]"],
    [signed(1.25, 1, "tokens"), "+1.3 tokens"],
    [signed(-3, 0), "−3"],
    [gsb(412, 300, 88), "412 / 300 / 88"],
    [duration(4.2), "4.2 s"],
    [duration(185), "3 min 05 s"],
    [duration(3725), "1 h 02 min"],
    [bytes(812), "812 B"],
    [bytes(23_437_856), "23 MB"],
    [detokenize("I can ' t help you ."), "I can't help you."],
    [detokenize("' kitten ' in capitals ( 7 letters )"), "' kitten ' in capitals (7 letters)"],
  ])("%s", (got, want) => {
    expect(got).toBe(want);
  });
});

describe("run configs", () => {
  it("flattens nested JSON to dotted keys and drops comments", () => {
    expect(flatten({ seed: 1, world: { trainQuestions: 120 }, list: [1, 2], _why: "x" })).toEqual({
      seed: 1,
      "world.trainQuestions": 120,
      list: "[1,2]",
    });
  });

  it("lists changed, added and removed settings", () => {
    expect(configDiff({ a: 1, b: 2, c: 3 }, { a: 1, b: 5, d: 4 })).toEqual([
      { key: "b", reference: 2, run: 5, change: "changed" },
      { key: "c", reference: 3, run: null, change: "removed" },
      { key: "d", reference: null, run: 4, change: "added" },
    ]);
  });

  it("reports malformed JSON instead of throwing", () => {
    expect(parseJsonColumn("{nope").error).toMatch(/JSON/);
    expect(parseJsonColumn("[1]")).toEqual({ value: {}, error: "not a JSON object" });
    expect(parseJsonColumn(null)).toEqual({ value: {}, error: null });
  });
});
