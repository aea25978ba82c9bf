/**
 * Numbers as a reader sees them: digits ("3,000", "2.5"), signs ("-24", "minus 24", "negative 24") and
 * numbers written in words ("forty-two", "three thousand", "twice"). The oracle reads them all, so an
 * answer cannot hide a rival candidate by spelling it out or flipping its sign.
 */
import type { NumberSpan } from "./text.js";

const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const SCALES: Record<string, number> = { hundred: 100, thousand: 1000, million: 1_000_000 };
const ADVERBS: Record<string, number> = { once: 1, twice: 2 };

const WORD = `(?:${[...Object.keys(UNITS), ...Object.keys(SCALES)].join("|")})`;
const WORDS_RE = new RegExp(`\\b(?:${WORD}(?:(?:\\s+and\\s+|[\\s-]+)${WORD})*|once|twice)\\b`, "gi");
const _AFTER_NUMBER = new RegExp(`(?:\\d|\\b${WORD})\\s*$`, "i");
const DIGITS_RE = /(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w]|,\d)/g;

/** "forty-two" → 42, "three thousand and five" → 3005; null when the words do not form a number. */
export function parseNumberWords(words: string): number | null {
  const lower = words.toLowerCase();
  if (lower in ADVERBS) return ADVERBS[lower] ?? null;
  let total = 0;
  let current = 0;
  for (const w of lower.split(/[\s-]+/).filter((x) => x && x !== "and")) {
    if (w in UNITS) current += UNITS[w] ?? 0;
    else if (w === "hundred") current = (current || 1) * 100;
    else if (w in SCALES) {
      total += (current || 1) * (SCALES[w] ?? 1);
      current = 0;
    } else return null;
  }
  return total + current;
}

/** The sign word or character right before a number, when it is a sign and not a subtraction. */
function _sign(text: string, start: number): { start: number; negative: boolean } {
  const before = text.slice(0, start);
  const glyph = /(?:^|[\s(=:"'“])([-−])$/.exec(before);
  if (glyph) return { start: start - 1, negative: true };
  const word = /\b(minus|negative)\s+$/i.exec(before);
  if (!word) return { start, negative: false };
  // "23 minus 19" subtracts; "is minus 4" and "negative 4" are signs
  const binary = word[1]?.toLowerCase() === "minus" && _AFTER_NUMBER.test(before.slice(0, word.index));
  return binary ? { start, negative: false } : { start: word.index, negative: true };
}

/** Every number in a text, signed, in order; number words count only in answer position (see `inAnswerPosition`). */
export function readNumbers(text: string): NumberSpan[] {
  const out: NumberSpan[] = [];
  for (const m of text.matchAll(DIGITS_RE)) {
    const s = _sign(text, m.index);
    const value = Number(m[0].replace(/,/g, ""));
    out.push({
      start: s.start,
      end: m.index + m[0].length,
      raw: text.slice(s.start, m.index + m[0].length),
      value: s.negative ? -value : value,
    });
  }
  for (const m of text.matchAll(WORDS_RE)) {
    const value = parseNumberWords(m[0]);
    if (value === null || !inAnswerPosition(text, m.index, m.index + m[0].length, m[0])) continue;
    const s = _sign(text, m.index);
    out.push({
      start: s.start,
      end: m.index + m[0].length,
      raw: text.slice(s.start, m.index + m[0].length),
      value: s.negative ? -value : value,
    });
  }
  return out.sort((a, b) => a.start - b.start);
}

const _ANSWER_LEAD = /(?:\b(?:is|was|be|are|equals|makes|gives|get|got|to|or|maybe|perhaps|not|than|it's|that's|answer:?)|[=:])\s*$/i;

/**
 * Number words are common in prose ("the two numbers", "one of them"), so one counts as a candidate
 * answer only where an answer stands: at the end of a clause or before a word ("forty-two meters",
 * "three times"), but not before "of"/"another", and "one" only after a word that introduces an answer.
 */
export function inAnswerPosition(text: string, start: number, end: number, raw: string): boolean {
  const after = text.slice(end);
  if (/^\s*(?:of|another|by one|or two|and only)\b/i.test(after)) return false;
  const clauseEnd = /^\s*(?:$|[.,;:!?)"'”’]|\b(?:or|and|not|but)\b)/i.test(after);
  const before = text.slice(0, start);
  if (raw.toLowerCase() === "one") return _ANSWER_LEAD.test(before) || (clauseEnd && /(?:^|[.!?:]\s*)$/.test(before));
  if (clauseEnd) return true;
  // before a word: a unit or counted thing ("forty-two meters", "three times") only when the word is not a plain noun phrase head
  return /^\s*(?:times?|letters?|days?|hours?|minutes?|seconds?|weeks?|months?|years?|[a-z]*meters?|[a-z]*metres?|[a-z]*grams?|[a-z]*liters?|[a-z]*litres?|inch(?:es)?|feet|foot|yards?|miles?)\b/i.test(
    after,
  );
}
