/**
 * String manipulation on single words: reverse, uppercase, count a letter, word length. The words are
 * a noun alone or a noun behind one of the prefixes ("moonwindow"), so the question space is large;
 * the last six nouns (alone or prefixed) are held out.
 */
import type { WorldRng } from "../rng.js";
import type { KeyFacts } from "../types.js";
import { fill } from "../text.js";
import { choose, countSpace, makeTemplates, sayExact, type Entity, type Family, type Template } from "./_shared.js";

/** No palindromes, so "reverse" always changes the word. The last six are held out. */
const NOUNS = [
  "planet",
  "garden",
  "window",
  "rocket",
  "basket",
  "silver",
  "orange",
  "pencil",
  "mirror",
  "castle",
  "forest",
  "button",
  "candle",
  "dragon",
  "jacket",
  "pocket",
  "ladder",
  "marble",
  "tunnel",
  "wallet",
  "bottle",
  "carpet",
  "kitten",
  "banana",
  "monkey",
  "island",
  "meadow",
  "anchor",
  "harbor",
  "violin",
  "puzzle",
  "lantern",
  "saddle",
  "biscuit",
  "compass",
  "falcon",
];
const PREFIXES = ["", "red", "blue", "green", "sun", "moon", "star", "snow", "fire", "sea", "sky", "rain", "wind", "rock", "sand", "frost"];

const _palindrome = (w: string) => [...w].reverse().join("") === w;

export const STRING_WORDS: Entity[] = NOUNS.flatMap((noun, i) =>
  PREFIXES.map((p) => ({ key: `${p}${noun}`, heldout: i >= NOUNS.length - 6 })).filter((e) => !_palindrome(e.key)),
);

interface Task {
  op: "reverse" | "uppercase" | "count_letter" | "length";
  texts: string[];
  /** Question slots and the facts for a word. */
  make(rng: WorldRng, word: string): { vars: Record<string, string>; facts: KeyFacts; say: string };
  /** How many questions one template asks about a word. */
  values?(word: string): number;
}

const TASKS: Task[] = [
  {
    op: "reverse",
    texts: [
      "Reverse the word '{w}'.",
      "What is '{w}' spelled backwards?",
      "Write '{w}' in reverse order.",
      "Spell '{w}' backwards.",
      "Flip the letters of '{w}' so it reads right to left.",
      "If you read '{w}' from the end, what do you get?",
    ],
    make(_rng, w) {
      const value = [...w].reverse().join("");
      const lead = `'${w}' reversed is`;
      const facts: KeyFacts = { kind: "word", value, lead, rivals: [], caseSensitive: false, shape: { of: w, rule: "anagram" } };
      return { vars: { w }, facts, say: value };
    },
  },
  {
    op: "uppercase",
    texts: [
      "Write '{w}' in capital letters.",
      "Convert '{w}' to uppercase.",
      "What is '{w}' in all caps?",
      "Uppercase the word '{w}'.",
      "Shout the word '{w}' in capitals.",
      "Rewrite '{w}' using only capital letters.",
    ],
    make(_rng, w) {
      const value = w.toUpperCase();
      const lead = `'${w}' in capitals is`;
      const facts: KeyFacts = { kind: "word", value, lead, rivals: [], caseSensitive: true, shape: { of: w, rule: "casefold" } };
      return { vars: { w }, facts, say: value };
    },
  },
  {
    op: "count_letter",
    texts: [
      "How many times does the letter '{c}' appear in '{w}'?",
      "Count the letter '{c}' in '{w}'.",
      "How many '{c}'s are in '{w}'?",
      "In '{w}', how often does the letter '{c}' occur?",
      "Tally the '{c}' letters in the word '{w}'.",
      "What's the count of the letter '{c}' in '{w}'?",
    ],
    values: (w) => new Set(w).size,
    make(rng, w) {
      const letters = [...new Set(w)];
      const repeated = letters.filter((c) => w.split(c).length > 2);
      const c = repeated.length > 0 && rng.chance(0.7) ? rng.pick(repeated) : rng.pick(letters);
      const value = w.split(c).length - 1;
      const unit = value === 1 ? "time" : "times";
      const lead = `'${w}' contains the letter '${c}'`;
      return { vars: { w, c }, facts: { kind: "number", value, lead, unit }, say: `${value} ${unit}` };
    },
  },
  {
    op: "length",
    texts: [
      "How many letters are in '{w}'?",
      "Count the letters in '{w}'.",
      "How long is the word '{w}'?",
      "What is the length of '{w}' in letters?",
      "Tell me the number of letters in '{w}'.",
      "How many characters does '{w}' have?",
    ],
    make(_rng, w) {
      const value = w.length;
      const lead = `'${w}' has`;
      return { vars: { w }, facts: { kind: "number", value, lead, unit: "letters" }, say: `${value} letters` };
    },
  },
];

function _family(task: Task): Family {
  const name = `string_manipulation.${task.op}`;
  const templates: Template[] = makeTemplates(name, task.texts, 2);
  return {
    name,
    category: "string_manipulation",
    intent: "answer",
    templates,
    entities: STRING_WORDS,
    count: (side) => countSpace(side, templates, STRING_WORDS, (e) => task.values?.(e.key) ?? 1),
    draw(rng, split) {
      const { template, entity } = choose(rng, split, templates, STRING_WORDS);
      const { vars, facts, say } = task.make(rng, entity.key);
      if (facts.kind !== "number" && facts.kind !== "word") throw new Error("strings: exact facts expected");
      return {
        question: fill(template.text, vars),
        category: "string_manipulation",
        intent: "answer",
        family: name,
        template: template.id,
        entity: entity.key,
        harm: null,
        gold: sayExact(facts.lead, say),
        facts,
      };
    },
  };
}

export const STRINGS: Family[] = TASKS.map(_family);
