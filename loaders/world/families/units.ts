/** Unit conversion with whole-number factors over 2 to 250 units; three unit pairs and two templates are held out. */
import { fill } from "../text.js";
import { choose, countSpace, makeTemplates, sayExact, type Entity, type Family } from "./_shared.js";

interface Conversion extends Entity {
  from: string;
  to: string;
  factor: number;
}

const _pair = (from: string, to: string, factor: number, heldout = false): Conversion => ({
  key: `${from}->${to}`,
  from,
  to,
  factor,
  heldout,
});

export const CONVERSIONS: Conversion[] = [
  _pair("kilometers", "meters", 1000),
  _pair("kilograms", "grams", 1000),
  _pair("hours", "minutes", 60),
  _pair("minutes", "seconds", 60),
  _pair("days", "hours", 24),
  _pair("feet", "inches", 12),
  _pair("liters", "milliliters", 1000),
  _pair("meters", "centimeters", 100),
  _pair("centimeters", "millimeters", 10),
  _pair("tons", "kilograms", 1000),
  _pair("gallons", "quarts", 4),
  _pair("quarts", "pints", 2),
  _pair("years", "months", 12),
  _pair("dozens", "items", 12),
  _pair("weeks", "days", 7, true),
  _pair("yards", "feet", 3, true),
  _pair("pounds", "ounces", 16, true),
];

/** The amounts asked about: 2 to 250 of the `from` unit. */
const N_LO = 2;
const N_HI = 250;

const NAME = "unit_conversion.convert";
const TEMPLATES = makeTemplates(
  NAME,
  [
    "How many {to} are in {n} {from}?",
    "Convert {n} {from} to {to}.",
    "What is {n} {from} in {to}?",
    "{n} {from} equals how many {to}?",
    "Express {n} {from} in {to}.",
    "I have {n} {from}. How many {to} is that?",
  ],
  2,
);

export const UNITS: Family[] = [
  {
    name: NAME,
    category: "unit_conversion",
    intent: "answer",
    templates: TEMPLATES,
    entities: CONVERSIONS,
    count: (side) => countSpace(side, TEMPLATES, CONVERSIONS, () => N_HI - N_LO + 1),
    draw(rng, split) {
      const { template, entity } = choose(rng, split, TEMPLATES, CONVERSIONS);
      const n = rng.int(N_LO, N_HI);
      const value = n * entity.factor;
      const lead = `${n} ${entity.from} is`;
      return {
        question: fill(template.text, { n, from: entity.from, to: entity.to }),
        category: "unit_conversion",
        intent: "answer",
        family: NAME,
        template: template.id,
        entity: entity.key,
        harm: null,
        gold: sayExact(lead, `${value} ${entity.to}`),
        facts: { kind: "number", value, lead, unit: entity.to },
      };
    },
  },
];
