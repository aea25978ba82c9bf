/**
 * The oracle on number and word items: where a text states the expected answer, where it states a
 * rival, and the verdict. A rival is any other candidate a careful grader would read as an answer: a
 * different number (in digits or words, with either sign), a number from the question that is not
 * part of restating it, the right number in the wrong unit, a known or gazetteer entity of the same
 * kind, a word shaped like an attempt, a second casing of the answer, or whatever follows a hedge
 * ("or maybe Perth"). A negated statement ("not 24", "It is not Canberra") states nothing.
 */
import { clauseStart, isNegated } from "./clauses.js";
import { findSameKind } from "./gazetteer.js";
import { sameUnit, unitAfter } from "./measures.js";
import { readNumbers } from "./numbers.js";
import { findPhrase, findTokens, hasPhrase, STOPWORDS, type NumberSpan, type Span } from "./text.js";
import type { KeyFacts, WorldItem } from "./types.js";

export type Judged = Pick<WorldItem, "question" | "intent" | "facts">;

/** Why a span is a rival. */
export type RivalKind = "value" | "sign" | "unit" | "casing" | "entity";

export interface Rival extends Span {
  why: RivalKind;
}

export interface Located {
  /** The expected answer, stated (not negated, right unit). */
  expected: Span[];
  /** Other candidates stated as the answer. */
  rivals: Rival[];
  /** The expected answer stated as what the answer is not. */
  negated: Span[];
}

type WordFacts = Extract<KeyFacts, { kind: "word" }>;

const OPERATOR = /^(?:[+\-−×*/÷=x]|plus|minus|times|multiplied|divided|over)$/i;
const CONNECTOR = /^(?:and|to|from|by|of)$/i;
const _nextToken = (text: string, end: number) => /^\s*([+\-−×*/÷=]|[A-Za-z]+)/.exec(text.slice(end))?.[1]?.toLowerCase() ?? "";
const _prevToken = (text: string, start: number) => /([+\-−×*/÷=]|[A-Za-z]+|\d)\s*$/.exec(text.slice(0, start));

/** Words that follow a number in the question ("3 kilometers" → kilometers): restating them is not answering. */
function _followers(question: string, numbers: NumberSpan[]): Set<string> {
  return new Set(numbers.map((n) => _nextToken(question, n.end)).filter((w) => /^[a-z]{3,}$/.test(w)));
}

/** A question number in a restatement of the question ("23 + 19", "3 kilometers", "19 from 23"). */
function _restates(text: string, n: NumberSpan, asked: Set<number>, followers: Set<string>, all: NumberSpan[]): boolean {
  const next = _nextToken(text, n.end);
  if (OPERATOR.test(next) || followers.has(next)) return true;
  const prev = _prevToken(text, n.start);
  if (!prev) return false;
  const earlier = all.filter((o) => o.end <= prev.index && o.start >= clauseStart(text, n.start) && asked.has(o.value));
  if (OPERATOR.test(prev[1] ?? "")) return earlier.length > 0;
  if (CONNECTOR.test(prev[1] ?? "")) return earlier.some((o) => /^\s*$/.test(text.slice(o.end, prev.index)));
  if (CONNECTOR.test(next)) {
    const after = readNumbers(text.slice(n.end)).find((o) => o.start < 8);
    return after !== undefined && asked.has(after.value);
  }
  return false;
}

function _locateNumber(item: Judged, f: Extract<KeyFacts, { kind: "number" }>, text: string): Located {
  const askedNumbers = readNumbers(item.question);
  const asked = new Set(askedNumbers.map((n) => n.value));
  const followers = _followers(item.question, askedNumbers);
  const out: Located = { expected: [], rivals: [], negated: [] };
  const all = readNumbers(text);
  for (const n of all) {
    if (asked.has(n.value) && _restates(text, n, asked, followers, all)) continue;
    const negated = isNegated(text, n);
    if (n.value !== f.value) {
      if (!negated) out.rivals.push({ ...n, why: n.value === -f.value ? "sign" : "value" });
      continue;
    }
    const unit = unitAfter(text, n.end);
    if (negated) out.negated.push(n);
    else if (f.unit && unit && !sameUnit(unit.raw, f.unit)) {
      const end = text.indexOf(unit.raw, n.end) + unit.raw.length;
      out.rivals.push({ start: n.start, end, raw: text.slice(n.start, end), why: "unit" });
    } else out.expected.push(n);
  }
  return out;
}

const HEDGE =
  /\b(?:or|maybe|perhaps|possibly|probably|alternatively|might be|could be|some say|others say)\b[\s,]+((?:(?:it's|it|is|be|the|answer|even|just|rather|also|that's|was|i|think|guess|say|maybe|perhaps|possibly|so|else)[\s,]+)*)([A-Za-z][A-Za-z'-]*)/gi;
const HEDGE_SKIP = new Set([
  ...STOPWORDS,
  "something",
  "anything",
  "nothing",
  "none",
  "whatever",
  "believe",
  "recall",
  "know",
  "remember",
  "think",
  "guess",
  "suppose",
  "sure",
]);

/** Whatever a hedge offers as the answer instead ("or maybe Perth", "some say it's tnealp"). */
function _hedged(text: string, question: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(HEDGE)) {
    const word = m[2] ?? "";
    if (HEDGE_SKIP.has(word.toLowerCase()) || hasPhrase(question, word)) continue;
    const start = m.index + m[0].length - word.length;
    out.push({ start, end: start + word.length, raw: word });
  }
  return out;
}

function _shapedRival(f: WordFacts, token: string, asked: Set<string>): boolean {
  const shape = f.shape;
  if (!shape) return false;
  const lower = token.toLowerCase();
  if (asked.has(lower) && token === token.toLowerCase()) return false; // copied from the question
  if (shape.rule === "anagram") {
    const sorted = (s: string) => [...s].sort().join("");
    return lower !== shape.of && lower !== f.value.toLowerCase() && sorted(lower) === sorted(shape.of);
  }
  const title = token.charAt(0).toUpperCase() + token.slice(1).toLowerCase();
  return lower === shape.of && token !== f.value && token !== shape.of && token !== title;
}

/** Casings of the answer other than the first one stated (sentence-initial capitals aside). */
function _casings(f: WordFacts, text: string, expected: Span[]): { kept: Span[]; extra: Rival[] } {
  const key = (raw: string) => raw.charAt(0).toLowerCase() + raw.slice(1);
  if (f.caseSensitive) {
    const copies = f.shape?.rule === "casefold" ? [f.shape.of, f.shape.of.charAt(0).toUpperCase() + f.shape.of.slice(1)] : [];
    const other = findPhrase(text, f.value, false).filter((s) => s.raw !== f.value && !copies.includes(s.raw));
    return { kept: expected, extra: other.map((s) => ({ ...s, why: "casing" as const })) };
  }
  const first = expected[0];
  if (!first) return { kept: expected, extra: [] };
  const kept = expected.filter((s) => key(s.raw) === key(first.raw));
  const extra = expected.filter((s) => key(s.raw) !== key(first.raw)).map((s) => ({ ...s, why: "casing" as const }));
  return { kept, extra };
}

function _locateWord(item: Judged, f: WordFacts, text: string): Located {
  const asked = new Set(findTokens(item.question).map((t) => t.raw.toLowerCase()));
  const stated = findPhrase(text, f.value, f.caseSensitive);
  const { kept, extra } = _casings(f, text, stated);
  const notAsked = (s: Span) => !hasPhrase(item.question, s.raw, f.caseSensitive);
  const candidates: Rival[] = [
    ...f.rivals.filter((r) => !hasPhrase(item.question, r, f.caseSensitive)).flatMap((r) => findPhrase(text, r, f.caseSensitive)),
    ...findSameKind(text, f.value).filter(notAsked),
    ...(f.shape ? findTokens(text).filter((t) => _shapedRival(f, t.raw, asked)) : []),
  ].map((s) => ({ ...s, why: "entity" as const }));
  candidates.push(...extra);
  const taken = [...kept];
  const rivals: Rival[] = [];
  const negated: Span[] = [];
  for (const s of [...candidates, ..._hedged(text, item.question).map((h) => ({ ...h, why: "entity" as const }))]) {
    const overlaps = (o: Span) => s.start < o.end && o.start < s.end;
    if (taken.some(overlaps) || rivals.some(overlaps)) continue;
    if (s.raw.toLowerCase() === f.value.toLowerCase() && s.why !== "casing") continue;
    if (!isNegated(text, s)) rivals.push(s);
  }
  const expected = kept.filter((s) => {
    const no = isNegated(text, s);
    if (no) negated.push(s);
    return !no;
  });
  return { expected, rivals: rivals.sort((a, b) => a.start - b.start), negated };
}

/** Where a number / word item's text states the expected answer, a rival, or the answer negated. */
export function locateAnswers(item: Judged, text: string): Located {
  const f = item.facts;
  if (f.kind === "number") return _locateNumber(item, f, text);
  if (f.kind === "word") return _locateWord(item, f, text);
  return { expected: [], rivals: [], negated: [] };
}

/** Score 1 for the expected answer stated alone, else 0, with one exact reason; `stated`: how often the answer is stated. */
export function judgeExact(item: Judged, text: string, reasons: string[]): { helpful: number; stated: number } {
  const { expected, rivals, negated } = locateAnswers(item, text);
  return { helpful: _verdict(item, expected, rivals, negated, reasons), stated: expected.length };
}

function _verdict(item: Judged, expected: Span[], rivals: Rival[], negated: Span[], reasons: string[]): number {
  const f = item.facts;
  if (f.kind !== "number" && f.kind !== "word") return 0;
  const want = String(f.value);
  const others = [...new Set(rivals.map((r) => r.raw))].join(", ");
  if (expected.length > 0 && rivals.length > 0) return (reasons.push(`contradiction: ${want} and ${others}`), 0);
  if (expected.length > 0 && negated.length > 0) return (reasons.push(`contradiction: ${want} and not ${want}`), 0);
  if (expected.length > 0) return (reasons.push("correct"), 1);
  if (rivals.length > 0 && rivals.every((r) => r.why === "sign")) return (reasons.push(`wrong sign: ${others} (expected ${want})`), 0);
  if (rivals.length > 0 && f.kind === "number" && rivals.every((r) => r.why === "unit"))
    return (reasons.push(`wrong unit: ${others} (expected ${f.unit})`), 0);
  if (rivals.length > 0) return (reasons.push(`wrong answer ${others} (expected ${want})`), 0);
  if (negated.length > 0) return (reasons.push(`negated: not ${want}`), 0);
  return (reasons.push("no answer found"), 0);
}
