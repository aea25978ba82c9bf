/**
 * Clauses and negation, for the oracle's "is this stated?" checks. A clause ends at sentence
 * punctuation, a comma, semicolon, colon, dash or "but", so "Canberra, not Sydney" negates Sydney only.
 */
import type { Span } from "./text.js";

const BOUNDARY = /[.!?;:,\n]\s|[.!?;:,]$|\s[-–—]\s|\bbut\b|\bthough\b|\bhowever\b/gi;

/** Start offset of the clause holding position `at`. */
export function clauseStart(text: string, at: number): number {
  let start = 0;
  for (const m of text.slice(0, at).matchAll(BOUNDARY)) start = m.index + m[0].length;
  return start;
}

/** End offset of the clause holding position `at`. */
export function clauseEnd(text: string, at: number): number {
  BOUNDARY.lastIndex = 0;
  const m = text.slice(at).match(new RegExp(BOUNDARY.source, "i"));
  return m?.index === undefined ? text.length : at + m.index;
}

/** Clauses with their offsets. */
export function splitClauses(text: string): Span[] {
  const out: Span[] = [];
  let start = 0;
  const push = (end: number) => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    if (raw.trim()) out.push({ start: start + lead, end: start + lead + raw.trim().length, raw: raw.trim() });
  };
  for (const m of text.matchAll(BOUNDARY)) {
    push(m.index + (/^[.!?;:,]/.test(m[0]) ? 1 : 0));
    start = m.index + m[0].length;
  }
  push(text.length);
  return out;
}

const NEGATORS =
  /\b(?:not|never|neither|nor|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|shouldn't|wouldn't|couldn't|instead of|rather than|other than|except)\b|\b\w+n['’]t\b/gi;

/** Negators before a span inside its clause (at most `window` words back). */
export function negatorsBefore(text: string, span: Pick<Span, "start">, window = 5): string[] {
  const head = text.slice(clauseStart(text, span.start), span.start);
  const words = head.trim().split(/\s+/).slice(-window).join(" ");
  return [...words.matchAll(NEGATORS)].map((m) => m[0].toLowerCase());
}

const NEGATED_AFTER =
  /^\s*(?:(?:is|are|was|were|'s|’s)\s+(?:not|never|wrong|incorrect|false)\b|(?:isn't|isn’t|aren't|wasn't|is\s+not)\b|(?:would|might)\s+be\s+wrong\b)/i;

/** "not 42", "It is not Canberra", "42 is wrong": the span is stated as what the answer is not. */
export function isNegated(text: string, span: Span): boolean {
  if (negatorsBefore(text, span).length > 0) return true;
  return NEGATED_AFTER.test(text.slice(span.end, clauseEnd(text, span.end)));
}
