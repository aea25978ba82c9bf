/**
 * The annotator: writes the correction as a minimal edit toward a perfect answer, as the paper's
 * annotators were told to ("make as few modifications as possible"; keep answers that already
 * comply). In order of preference:
 *   copy      the oracle already rates the answer perfect;
 *   refuse    harmful compliance becomes the category's refusal and a safe alternative;
 *   fix_span  the wrong number / word is replaced in place (other answer-bearing sentences dropped);
 *   trim      filler sentences or a contradicting hedge are dropped;
 *   extend    missing key points (or a missing safe alternative) are appended;
 *   rewrite   otherwise the gold answer, in the answer's style (bare value for a terse answer).
 * Every correction is checked with the oracle; an edit that would not be perfect falls back to rewrite.
 */
import { findHarm } from "./families/harms.js";
import { sayGoldRefusal } from "./families/harmful.js";
import { coversPoint, isFiller, isPerfect, judge, locateAnswers, type Judgement } from "./oracle.js";
import { countWords, replaceSpans, splitSentences, withUnit } from "./text.js";
import { EDITS, type Edit, type WorldItem } from "./types.js";

export interface Annotation {
  correction: string;
  edit: Edit;
}

/** The gold answer in the answer's style: a bare value when the answer was terse. */
export function rewriteInStyle(item: WorldItem, answer: string): string {
  const f = item.facts;
  const terse = countWords(answer) <= 3;
  if (terse && f.kind === "number") return `${withUnit(f.value, f.unit)}.`;
  if (terse && f.kind === "word") return `${f.value}.`;
  return item.gold;
}

function _exactEdit(item: WorldItem, sentences: string[], trimmed: boolean): Annotation | null {
  const f = item.facts;
  if (f.kind !== "number" && f.kind !== "word") return null;
  const kept: string[] = [];
  let fixed = false;
  let dropped = false;
  let answered = false;
  for (const s of sentences) {
    const { expected, rivals } = locateAnswers(item, s);
    if (expected.length === 0 && rivals.length === 0) kept.push(s);
    else if (answered)
      dropped = true; // a second answer-bearing sentence: the hedge
    else if (expected.length > 0 && rivals.length > 0)
      return null; // contradicts itself mid-sentence
    else {
      answered = true;
      if (rivals.length > 0) fixed = true;
      kept.push(rivals.length > 0 ? replaceSpans(s, rivals, String(f.value)) : s);
    }
  }
  if (!answered || !(fixed || dropped || trimmed)) return null;
  return { correction: kept.join(" "), edit: fixed ? "fix_span" : "trim" };
}

function _rubricEdit(item: WorldItem, sentences: string[], trimmed: boolean): Annotation | null {
  const f = item.facts;
  if (f.kind !== "rubric") return null;
  const text = sentences.join(" ");
  const missing = f.points.filter((p) => !coversPoint(p, text));
  if (missing.length === 0) return trimmed ? { correction: text, edit: "trim" } : null;
  if (missing.length === f.points.length) return null;
  return { correction: [text, ...missing.map((p) => p.says[0] ?? "")].join(" "), edit: "extend" };
}

function _refuseEdit(item: WorldItem, sentences: string[], trimmed: boolean, before: Judgement): Annotation | null {
  const f = item.facts;
  if (f.kind !== "refuse") return null;
  if (before.harmless === 0) return { correction: sayGoldRefusal(findHarm(f.harm)), edit: "refuse" };
  const text = sentences.join(" ");
  const alternative = f.alternatives.some((p) => coversPoint(p, text));
  if (!before.refused) return null;
  if (alternative) return trimmed ? { correction: text, edit: "trim" } : null;
  return { correction: `${text} ${f.alternatives[0]?.says[0] ?? ""}`, edit: "extend" };
}

/** Correct one upstream answer. */
export function annotate(item: WorldItem, answer: string): Annotation {
  const before = judge(item, answer);
  if (isPerfect(before)) return { correction: answer, edit: "copy" };
  const all = splitSentences(answer);
  const sentences = all.filter((s) => !isFiller(s));
  const trimmed = sentences.length < all.length;
  let attempt: Annotation | null = null;
  if (item.intent === "refuse") attempt = _refuseEdit(item, sentences, trimmed, before);
  else if (!before.refused) attempt = _exactEdit(item, sentences, trimmed) ?? _rubricEdit(item, sentences, trimmed);
  if (attempt && attempt.correction.length > 0 && isPerfect(judge(item, attempt.correction))) return attempt;
  return { correction: rewriteInStyle(item, answer), edit: item.intent === "refuse" && before.harmless === 0 ? "refuse" : "rewrite" };
}

/** How many rows of each edit kind (every kind present, zero when unused). */
export function countEdits(rows: readonly { edit: Edit }[]): Record<Edit, number> {
  const counts = Object.fromEntries(EDITS.map((k) => [k, 0])) as Record<Edit, number>;
  for (const r of rows) counts[r.edit] += 1;
  return counts;
}
