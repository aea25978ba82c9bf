/**
 * The annotator: writes the correction as a minimal edit of the answer at hand, as the paper's
 * annotators were told to ("make as few modifications as possible"; keep answers that already
 * comply). What is right stays; only the faulty part changes. In order of preference:
 *   copy      the oracle already rates the answer perfect;
 *   refuse    the harmful part (payload, compliance opener) becomes a refusal naming the request, and
 *             the request's safe alternative is added; the answer's other sentences stay;
 *   fix_span  the wrong number / word is replaced in place (other answer-bearing sentences dropped);
 *   trim      filler sentences or a contradicting hedge are dropped;
 *   extend    missing key points (or a missing safe alternative) are appended, in the phrasing the
 *             answer itself used for the points it covers;
 *   rewrite   otherwise the answer-bearing and refusing sentences give way to the right statement (a
 *             bare value for a terse answer); sentences that were fine stay.
 * Every correction is checked with the oracle; an edit that would not be perfect falls back to the gold.
 */
import { alternativeFor, sayDeedRefusal } from "./families/harmful.js";
import { coversPoint, findPayload, isCompliance, isFiller, isPerfect, isRefusal, judge, locateAnswers, type Judgement } from "./oracle.js";
import { countWords, replaceSpans, splitSentences, withUnit } from "./text.js";
import { EDITS, type Edit, type KeyPoint, type WorldItem } from "./types.js";

export interface Annotation {
  correction: string;
  edit: Edit;
}

const _terse = (answer: string) => countWords(answer) <= 3;

/** The right statement in the answer's style: a bare value when the answer was terse, else the gold. */
export function rewriteInStyle(item: WorldItem, answer: string): string {
  const f = item.facts;
  if (_terse(answer) && f.kind === "number") return `${withUnit(f.value, f.unit)}.`;
  if (_terse(answer) && f.kind === "word") return `${f.value}.`;
  return item.gold;
}

/** Which phrasing (index into `says`) the answer uses most for the points it covers; 0 when none. */
function _voice(points: readonly KeyPoint[], text: string): number {
  const votes = new Map<number, number>();
  for (const p of points) {
    const i = p.says.findIndex((s) => text.includes(s));
    if (i >= 0) votes.set(i, (votes.get(i) ?? 0) + 1);
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

const _say = (p: KeyPoint, voice: number) => p.says[Math.min(voice, p.says.length - 1)] ?? p.says[0] ?? "";

const _lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/**
 * Key points added to `text`, tied to the asker's goal where the text does not restate it yet, as an
 * annotator answering this question (not the topic in general) would: "To kill weeds in your lawn,
 * also pull them out by the root." Kept text comes first; with nothing kept the points follow "To {goal}:".
 */
function _addPoints(text: string, points: readonly string[], goal: string | undefined): string {
  if (points.length === 0) return text;
  if (!goal || text.includes(goal)) return [text, ...points].filter((s) => s.length > 0).join(" ");
  if (text.length === 0) return `To ${goal}: ${points.join(" ")}`;
  const [first = "", ...rest] = points;
  return [text, `To ${goal}, also ${_lowerFirst(first)}`, ...rest].join(" ");
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
  const voice = _voice(f.points, text);
  return {
    correction: _addPoints(
      text,
      missing.map((p) => _say(p, voice)),
      f.goal,
    ),
    edit: "extend",
  };
}

/** Harmful requests: keep what is safe, replace the harmful part by a refusal naming the request, add its alternative. */
function _refuseEdit(item: WorldItem, sentences: string[], trimmed: boolean, before: Judgement): Annotation | null {
  const f = item.facts;
  if (f.kind !== "refuse") return null;
  const alternative = alternativeFor(f);
  if (before.harmless === 0) {
    // Safe sentences stay, except bare interjections of the compliance ("Okay.", "Of course!").
    const safe = sentences.filter((s) => findPayload(s) === null && !isCompliance(s) && countWords(s) > 2);
    const refusal = safe.some(isRefusal) ? [] : [sayDeedRefusal(f.deed)];
    const offered = f.alternatives.some((p) => coversPoint(p, safe.join(" ")));
    const correction = [...refusal, ...safe, ...(offered ? [] : [_say(alternative, 0)])].join(" ");
    return { correction, edit: "refuse" };
  }
  const text = sentences.join(" ");
  if (!before.refused) return null;
  if (f.alternatives.some((p) => coversPoint(p, text))) return trimmed ? { correction: text, edit: "trim" } : null;
  return { correction: `${text} ${_say(alternative, 0)}`, edit: "extend" };
}

/**
 * Benign questions answered wrongly as a whole (refused, no answer, self-contradicting): for a rubric
 * answer the refusing sentences give way to the missing points and the rest stays; an exact answer
 * becomes the right statement in its style.
 */
function _rewriteEdit(item: WorldItem, sentences: string[], answer: string): Annotation | null {
  const f = item.facts;
  if (f.kind === "refuse") return null;
  if (f.kind !== "rubric") return { correction: rewriteInStyle(item, answer), edit: "rewrite" };
  const text = sentences.filter((s) => !isRefusal(s)).join(" ");
  const voice = _voice(f.points, text);
  const missing = f.points.filter((p) => !coversPoint(p, text)).map((p) => _say(p, voice));
  return { correction: _addPoints(text, missing, f.goal), edit: "rewrite" };
}

/** Correct one upstream answer. */
export function annotate(item: WorldItem, answer: string): Annotation {
  const before = judge(item, answer);
  if (isPerfect(before)) return { correction: answer, edit: "copy" };
  const all = splitSentences(answer);
  const sentences = all.filter((s) => !isFiller(s));
  const trimmed = sentences.length < all.length;
  const attempts: (Annotation | null)[] = [];
  if (item.intent === "refuse") attempts.push(_refuseEdit(item, sentences, trimmed, before));
  else if (!before.refused) attempts.push(_exactEdit(item, sentences, trimmed) ?? _rubricEdit(item, sentences, trimmed));
  attempts.push(_rewriteEdit(item, sentences, answer));
  for (const a of attempts) if (a && a.correction.length > 0 && isPerfect(judge(item, a.correction))) return a;
  const edit: Edit = item.intent === "refuse" && before.harmless === 0 ? "refuse" : "rewrite";
  return { correction: item.intent === "refuse" ? item.gold : rewriteInStyle(item, answer), edit };
}

/** How many rows of each edit kind (every kind present, zero when unused). */
export function countEdits(rows: readonly { edit: Edit }[]): Record<Edit, number> {
  const counts = Object.fromEntries(EDITS.map((k) => [k, 0])) as Record<Edit, number>;
  for (const r of rows) counts[r.edit] += 1;
  return counts;
}
