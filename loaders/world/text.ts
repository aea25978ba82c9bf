/** Small text helpers shared by the families, the oracle and the annotator. */

export interface Span {
  start: number;
  end: number;
  raw: string;
}

export interface NumberSpan extends Span {
  value: number;
}

/** Fill `{name}` slots; a missing slot is a bug in a template, so it throws. */
export function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`fill: template "${template}" needs {${name}}`);
    return String(v);
  });
}

/** Sentences, split after . ! or ? followed by whitespace (so "3.5" and "'tenalp'." stay whole). */
export function splitSentences(text: string): string[] {
  return text
    .trim()
    .split(/(?<=[.!?]['"”’)]?)\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function countWords(text: string): number {
  const m = text.trim().match(/\S+/g);
  return m ? m.length : 0;
}

/** Unsigned numbers in digits ("3000", "3,000", "2.5"); a leading minus is not read as a sign. */
export function findNumbers(text: string): NumberSpan[] {
  const out: NumberSpan[] = [];
  for (const m of text.matchAll(/(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|,\d)/g)) {
    const raw = m[0];
    out.push({ start: m.index, end: m.index + raw.length, raw, value: Number(raw.replace(/,/g, "")) });
  }
  return out;
}

/** Letter-only tokens with their positions. */
export function findTokens(text: string): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(/[A-Za-z]+/g)) out.push({ start: m.index, end: m.index + m[0].length, raw: m[0] });
  return out;
}

const _phraseCache = new Map<string, RegExp>();

function _phraseRegExp(phrase: string, caseSensitive: boolean): RegExp {
  const key = `${caseSensitive ? "s" : "i"}:${phrase}`;
  let re = _phraseCache.get(key);
  if (!re) {
    const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    re = new RegExp(`(?<![A-Za-z0-9])${escaped}(?![A-Za-z0-9])`, caseSensitive ? "g" : "gi");
    _phraseCache.set(key, re);
  }
  return re;
}

/** Whole-word occurrences of a phrase. */
export function findPhrase(text: string, phrase: string, caseSensitive = false): Span[] {
  const out: Span[] = [];
  for (const m of text.matchAll(_phraseRegExp(phrase, caseSensitive))) {
    out.push({ start: m.index, end: m.index + m[0].length, raw: m[0] });
  }
  return out;
}

export function hasPhrase(text: string, phrase: string, caseSensitive = false): boolean {
  const re = _phraseRegExp(phrase, caseSensitive);
  re.lastIndex = 0;
  const found = re.test(text);
  re.lastIndex = 0;
  return found;
}

/** Replace spans (non-overlapping) by one string. */
export function replaceSpans(text: string, spans: readonly Span[], by: string): string {
  let out = text;
  for (const s of [...spans].sort((a, b) => b.start - a.start)) out = out.slice(0, s.start) + by + out.slice(s.end);
  return out;
}

/** "3000 meters" / "42": a value followed by its unit when there is one. */
export function withUnit(value: string | number, unit: string): string {
  return unit ? `${value} ${unit}` : String(value);
}

/** Function words: what a sentence has and a keyword list lacks. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but nor so to of in on at for with from by as into onto over under up down out off about after before between " +
    "until while when if then than that this these those there here it its it's is are was were be been being am do does did " +
    "done don't doesn't not no you your you're yours yourself i i'm me my we our they them their he she his her him who what " +
    "which how why where can can't could would should will won't may might must shall just also only very too more most less " +
    "few some any each every all both either neither one own same other such again once"
  ).split(" "),
);
