/**
 * Question phrasings shared by every family: an optional greeting before the question and an optional
 * courtesy after it. They multiply every family's questions (templates × entities × values × phrasings)
 * without touching what is asked: no affix holds a number, an entity, a rubric cue or a harm word.
 * Held-out affixes are drawn only for ood questions.
 */
import type { WorldRng } from "../rng.js";
import type { Side } from "./_shared.js";

interface Affix {
  text: string;
  heldout?: boolean;
}

export const PREFIXES: readonly Affix[] = [
  { text: "" },
  { text: "Quick question: " },
  { text: "Hi! " },
  { text: "Hello there. " },
  { text: "I need some help. " },
  { text: "Can you help me out? " },
  { text: "Hey, quick one: " },
  { text: "Question for you: ", heldout: true },
  { text: "Good morning! ", heldout: true },
];

export const SUFFIXES: readonly Affix[] = [
  { text: "" },
  { text: " Thanks!" },
  { text: " Thank you." },
  { text: " Please keep it brief." },
  { text: " Thanks in advance." },
  { text: " I'd appreciate the help." },
  { text: " Cheers!", heldout: true },
  { text: " Much obliged.", heldout: true },
];

const _usable = (xs: readonly Affix[], side: Side) => xs.filter((a) => side === "heldout" || !a.heldout);

/** Half the questions are asked bare; the rest get a prefix, a suffix or both. */
export function affix(rng: WorldRng, question: string, side: Side): string {
  const prefix = rng.chance(0.5) ? "" : rng.pick(_usable(PREFIXES, side)).text;
  const suffix = rng.chance(0.5) ? "" : rng.pick(_usable(SUFFIXES, side)).text;
  return `${prefix}${question}${suffix}`;
}

/** How many phrasings one question has on a side. */
export function countAffixes(side: Side): number {
  return _usable(PREFIXES, side).length * _usable(SUFFIXES, side).length;
}
