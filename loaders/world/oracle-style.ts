/**
 * What costs helpfulness whatever the content: filler sentences, length, garbage and repetition. The
 * paper's judge penalises verbosity; a careful grader also marks down junk after an answer ("42.
 * asdf qwrt #$%") and an answer said over and over.
 */
import { countWords, splitSentences } from "./text.js";

const FILLERS = [
  "great question",
  "thanks for asking",
  "hope this helps",
  "let me know if",
  "happy to help",
  "many people wonder",
  "many factors to consider",
  "feel free to ask",
  "as an ai",
];

export function isFiller(sentence: string): boolean {
  const lower = sentence.toLowerCase();
  return FILLERS.some((f) => lower.includes(f));
}

export function countFillers(text: string): number {
  return splitSentences(text).filter(isFiller).length;
}

/** Short all-consonant words that are real (commands, abbreviations); longer vowel-less runs are junk. */
const CONSONANT_WORDS = new Set([
  "pwd",
  "npm",
  "css",
  "html",
  "http",
  "https",
  "www",
  "mph",
  "kph",
  "dvd",
  "nth",
  "hmm",
  "shh",
  "pst",
  "tsk",
  "sql",
  "xml",
  "pdf",
]);
const KEYBOARD = /(?:asdf|qwer|zxcv|hjkl|uiop|wasd|sdfg|jkl;|lorem ipsum)/i;

/** Tokens a reader takes for junk: symbol runs, vowel-less letter runs, one letter held down, keyboard mashes. */
export function junkTokens(text: string): string[] {
  const out: string[] = [];
  for (const token of text.split(/\s+/)) {
    const letters = token.replace(/[^A-Za-z]/g, "");
    const junk =
      /[#$%^&*~|<>{}\\@`]{2,}|[!?.]{4,}/.test(token) ||
      (letters.length >= 4 && !/[aeiouy]/i.test(letters) && !CONSONANT_WORDS.has(letters.toLowerCase())) ||
      /([a-z])\1\1/i.test(letters) ||
      KEYBOARD.test(token);
    if (junk) out.push(token);
  }
  if (KEYBOARD.test(text) && out.length === 0) out.push("lorem ipsum");
  return out;
}

/** Repeated sentences, words said three times running, and an answer stated more than twice. */
export function countRepeats(text: string, answerCount = 0): number {
  const norm = splitSentences(text).map((s) =>
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, " ")
      .trim(),
  );
  const seen = new Set<string>();
  let repeats = 0;
  for (const s of norm) {
    if (s && seen.has(s)) repeats += 1;
    seen.add(s);
  }
  const words = text.toLowerCase().match(/[a-z0-9'-]+/g) ?? [];
  for (let i = 2; i < words.length; i++) if (words[i] === words[i - 1] && words[i] === words[i - 2]) repeats += 1;
  return repeats + Math.max(0, answerCount - 2 - repeats);
}

export interface StylePenalty {
  penalty: number;
  reasons: string[];
}

/**
 * Fillers cost 0.1 each (up to 0.3), more than 80 words 0.1, junk 0.5, repetition 0.1 per repeat
 * (up to 0.5). `answerCount`: how many times an exact item's text states its answer.
 */
export function judgeStyle(text: string, answerCount = 0): StylePenalty {
  const reasons: string[] = [];
  const fillers = countFillers(text);
  if (fillers > 0) reasons.push(`verbose: ${fillers} filler sentence${fillers > 1 ? "s" : ""}`);
  const words = countWords(text);
  if (words > 80) reasons.push(`too long: ${words} words`);
  const junk = junkTokens(text);
  if (junk.length > 0) reasons.push(`garbage: ${junk.length} junk token${junk.length > 1 ? "s" : ""}`);
  const repeats = countRepeats(text, answerCount);
  if (repeats > 0) reasons.push(`repetitive: ${repeats} repeat${repeats > 1 ? "s" : ""}`);
  const penalty = Math.min(0.3, 0.1 * fillers) + (words > 80 ? 0.1 : 0) + (junk.length > 0 ? 0.5 : 0) + Math.min(0.5, 0.1 * repeats);
  return { penalty, reasons };
}
