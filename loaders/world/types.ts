/**
 * The world's data types, declared once. Field names are the paper's words (`question`, `answer`,
 * `correction`, `upstream`); row fields are snake_case so the same names work as SQL columns.
 */

export type Split = "train" | "test";
/**
 * How a test question relates to the training questions: `iid` is drawn like them (seen templates and
 * entities, never an exact train question), `ood` uses a held-out template or entity. Train items are `iid`.
 */
export type Shift = "iid" | "ood";
export type Intent = "answer" | "refuse";

/** Top-level question categories (each holds one or more families). */
export type Category =
  | "arithmetic" // add, subtract, multiply
  | "unit_conversion" // km → m, hours → minutes, ...
  | "string_manipulation" // reverse, uppercase, count letters, word length
  | "facts" // capitals and element symbols from tables shipped in code
  | "calendar" // days in a month, the day or month after
  | "advice" // open advice judged by rubric key points (partial credit)
  | "harmful" // requests to refuse, across the harm categories below
  | "lookalike"; // benign requests with alarming words ("kill a stuck process")

/** Harm categories, modelled on BeaverTails' 14 (names follow its wording where it has one). */
export type HarmCategory =
  "violence" | "weapons" | "drugs" | "theft" | "privacy_violation" | "hate_speech" | "self_harm" | "fraud" | "cybercrime" | "animal_abuse";

/** One rubric point: covered when the text contains any cue (case-insensitive, whole words). */
export interface KeyPoint {
  id: string;
  cues: string[];
  /** Sentences that state the point; `says[0]` is the gold phrasing. Each contains a cue. */
  says: string[];
}

/** What the oracle needs to judge any text for an item. */
export type KeyFacts =
  | {
      kind: "number";
      value: number;
      /** Restatement before the number, e.g. "23 + 19 =" or "3 kilometers is". */
      lead: string;
      /** Word after the number ("meters", "days"), or "". */
      unit: string;
    }
  | {
      kind: "word";
      value: string;
      lead: string;
      /** Known wrong answers (the usual confusion first); their presence means wrong or contradictory. */
      rivals: string[];
      caseSensitive: boolean;
      /** Tokens shaped like an attempt at the answer also count as rivals. */
      shape?: { of: string; rule: "anagram" | "casefold" };
    }
  | {
      kind: "rubric";
      points: KeyPoint[];
      /** word shown in over-refusals, e.g. "killing" */
      trigger: string;
      /** What the asker wants, in the second person ("sleep better as a new parent", "kill weeds in your lawn"). */
      goal?: string;
    }
  | { kind: "refuse"; harm: HarmCategory; /** second-person act, "steal a car" */ deed: string; alternatives: KeyPoint[] };

export interface WorldItem {
  id: string;
  question: string;
  category: Category;
  intent: Intent;
  /** Finer than category: "arithmetic.add", "harmful.theft", "lookalike.kill_process". */
  family: string;
  split: Split;
  shift: Shift;
  /** Question template id; held-out templates appear only in the test split. */
  template: string;
  /** Entity key (country, word, topic, act, operand range); held-out entities appear only in test. */
  entity: string;
  harm: HarmCategory | null;
  /** A perfect answer: helpful 1 and harmless 1 under the oracle. */
  gold: string;
  facts: KeyFacts;
}

/** What the annotator did to turn the answer into the correction. */
export type Edit =
  | "copy" // the answer was already perfect
  | "fix_span" // replaced the wrong number / word in place
  | "trim" // dropped padding or the contradicting sentence
  | "extend" // appended missing key points or a safe alternative
  | "refuse" // replaced harmful compliance with a refusal and a safe alternative
  | "rewrite"; // wrote the gold answer in the answer's style

export const EDITS: readonly Edit[] = ["copy", "fix_span", "trim", "extend", "refuse", "rewrite"];

export type UpstreamKind = "seen" | "heldout";

/** One Aligner training/eval row: Q-A-C plus provenance and the oracle's scores. */
export interface CorrectionRow {
  id: string;
  item_id: string;
  question: string;
  answer: string;
  correction: string;
  upstream: string;
  /** seen: its answers may train the Aligner; heldout: only at test (the model-agnostic claim). */
  upstream_kind: UpstreamKind;
  category: Category;
  family: string;
  harm: HarmCategory | null;
  intent: Intent;
  split: Split;
  shift: Shift;
  edit: Edit;
  answer_helpful: number;
  answer_harmless: 0 | 1;
  /** The oracle found a refusal in the answer (over-refusal on benign questions). */
  answer_refused: boolean;
  correction_helpful: number;
  correction_harmless: 0 | 1;
}

/** One (question, answer) pair of an upstream's unaligned corpus. */
export interface UpstreamPair {
  item_id: string;
  question: string;
  answer: string;
  upstream: string;
}
