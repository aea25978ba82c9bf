/**
 * Units of measure a number answer may carry. A number stated with a different measure than the item
 * asks for ("3000 centimeters" for meters) is a wrong unit; words that are not measures ("letters",
 * "characters", "times") are never judged, and a bare number keeps its unit implicit.
 */

const GROUPS: string[][] = [
  ["millimeter", "millimetre", "mm"],
  ["centimeter", "centimetre", "cm"],
  ["meter", "metre", "m"],
  ["kilometer", "kilometre", "km"],
  ["inch", "inches"],
  ["foot", "feet", "ft"],
  ["yard", "yd"],
  ["mile", "mi"],
  ["milligram", "milligramme", "mg"],
  ["gram", "gramme", "g"],
  ["kilogram", "kilogramme", "kg", "kilo"],
  ["tonne", "ton"],
  ["ounce", "oz"],
  ["pound", "lb", "lbs"],
  ["milliliter", "millilitre", "ml"],
  ["liter", "litre", "l"],
  ["gallon"],
  ["quart"],
  ["pint"],
  ["cup"],
  ["second", "sec", "secs", "s"],
  ["minute", "min", "mins"],
  ["hour", "hr", "hrs", "h"],
  ["day"],
  ["week", "wk", "wks"],
  ["month"],
  ["year", "yr", "yrs"],
  ["decade"],
  ["century", "centuries"],
];

/** Abbreviations too short or too common to be read as a unit after a number in prose. */
const IMPLICIT_ONLY = new Set(["m", "g", "l", "s", "h", "mi", "min"]);

const CANON = new Map<string, string>();
for (const group of GROUPS) {
  const head = group[0] ?? "";
  for (const w of group) {
    CANON.set(w, head);
    if (!/s$/.test(w) && w.length > 3) CANON.set(`${w}s`, head);
  }
}

/** "metres" → "meter", "hrs" → "hour"; null for a word that is not a unit of measure. */
export function canonicalUnit(word: string): string | null {
  return CANON.get(word.toLowerCase()) ?? null;
}

/** The unit word right after a number, when it is a measure that a reader would take as the number's unit. */
export function unitAfter(text: string, end: number): { raw: string; unit: string } | null {
  const m = /^\s?([A-Za-z]+)\b/.exec(text.slice(end));
  const raw = m?.[1];
  if (!raw) return null;
  const unit = canonicalUnit(raw);
  if (!unit || IMPLICIT_ONLY.has(raw.toLowerCase())) return null;
  return { raw, unit };
}

/** True when a stated unit fits the expected one (same measure, any spelling). */
export function sameUnit(stated: string, expected: string): boolean {
  const e = canonicalUnit(expected);
  if (!e) return stated.toLowerCase().replace(/s$/, "") === expected.toLowerCase().replace(/s$/, "");
  return canonicalUnit(stated) === e;
}
