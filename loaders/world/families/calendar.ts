/**
 * Calendar facts: days in a month (not February), the weekday or month after one, and the weekday or
 * month a number of days or months later ("If today is Monday, what day will it be in 45 days?").
 */
import { fill } from "../text.js";
import { choose, countSpace, makeTemplates, sayExact, type Entity, type Family } from "./_shared.js";

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const HELDOUT_MONTHS = new Set(["June", "October"]);
const HELDOUT_DAYS = new Set(["Saturday"]);

interface Named extends Entity {
  index: number;
}
const MONTH_ENTITIES: Named[] = MONTHS.map((key, index) => ({ key, index, heldout: HELDOUT_MONTHS.has(key) }));
const DAY_ENTITIES: Named[] = WEEKDAYS.map((key, index) => ({ key, index, heldout: HELDOUT_DAYS.has(key) }));

const DAYS_NAME = "calendar.days_in_month";
const DAYS_TEMPLATES = makeTemplates(
  DAYS_NAME,
  [
    "How many days are in {month}?",
    "How many days does {month} have?",
    "What is the number of days in {month}?",
    "Count the days in the month of {month}.",
  ],
  1,
);
const DAYS_MONTHS = MONTH_ENTITIES.filter((m) => m.key !== "February");

const _at = <T>(xs: readonly T[], i: number): T => xs[((i % xs.length) + xs.length) % xs.length] as T;

interface Successor {
  name: string;
  texts: string[];
  names: string[];
  entities: Named[];
  what: string;
  /** Offsets asked about ({n} in the template); absent: the next one only. */
  offsets?: { lo: number; hi: number; unit: string };
  /** Relative chance of drawing the family (default 1). */
  weight?: number;
}

function _successor(spec: Successor): Family {
  const templates = makeTemplates(spec.name, spec.texts, 1);
  return {
    name: spec.name,
    category: "calendar",
    intent: "answer",
    templates,
    entities: spec.entities,
    ...(spec.weight !== undefined ? { weight: spec.weight } : {}),
    count: (side) => countSpace(side, templates, spec.entities, () => (spec.offsets ? spec.offsets.hi - spec.offsets.lo + 1 : 1)),
    draw(rng, split) {
      const { template, entity } = choose(rng, split, templates, spec.entities);
      const o = spec.offsets;
      const n = o ? rng.int(o.lo, o.hi) : 1;
      const value = _at(spec.names, entity.index + n);
      // the usual slip is one too far or one short
      const confusion = rng.chance(0.5) ? _at(spec.names, entity.index + n + 1) : _at(spec.names, entity.index + n - 1);
      const rivals = [confusion, ...spec.names.filter((x) => x !== confusion && x !== value)];
      const lead = o ? `${n} ${o.unit} after ${entity.key}, it is` : `The ${spec.what} after ${entity.key} is`;
      return {
        question: fill(template.text, { x: entity.key, n }),
        category: "calendar",
        intent: "answer",
        family: spec.name,
        template: template.id,
        entity: entity.key,
        harm: null,
        gold: sayExact(lead, value),
        facts: { kind: "word", value, lead, rivals, caseSensitive: true },
      };
    },
  };
}

export const CALENDAR: Family[] = [
  {
    name: DAYS_NAME,
    category: "calendar",
    intent: "answer",
    templates: DAYS_TEMPLATES,
    entities: DAYS_MONTHS,
    weight: 0.25,
    count: (side) => countSpace(side, DAYS_TEMPLATES, DAYS_MONTHS),
    draw(rng, split) {
      const { template, entity } = choose(rng, split, DAYS_TEMPLATES, DAYS_MONTHS);
      const value = DAYS_IN[entity.index] ?? 30;
      const lead = `${entity.key} has`;
      return {
        question: fill(template.text, { month: entity.key }),
        category: "calendar",
        intent: "answer",
        family: DAYS_NAME,
        template: template.id,
        entity: entity.key,
        harm: null,
        gold: sayExact(lead, `${value} days`),
        facts: { kind: "number", value, lead, unit: "days" },
      };
    },
  },
  _successor({
    name: "calendar.day_after",
    texts: [
      "What day comes after {x}?",
      "Which day follows {x}?",
      "If today is {x}, what day is tomorrow?",
      "Name the weekday right after {x}.",
    ],
    names: WEEKDAYS,
    entities: DAY_ENTITIES,
    what: "day",
    weight: 0.25, // a few dozen questions: drawn less, so their golds do not dominate the category
  }),
  _successor({
    name: "calendar.month_after",
    texts: ["Which month comes after {x}?", "What month follows {x}?", "What is the month after {x}?", "Name the month right after {x}."],
    names: MONTHS,
    entities: MONTH_ENTITIES,
    what: "month",
    weight: 0.25,
  }),
  _successor({
    name: "calendar.day_in_n",
    texts: [
      "If today is {x}, what day will it be in {n} days?",
      "What day of the week is {n} days after {x}?",
      "Starting on a {x}, which weekday is it {n} days later?",
      "Count {n} days forward from {x}. Which day is it?",
    ],
    names: WEEKDAYS,
    entities: DAY_ENTITIES,
    what: "day",
    offsets: { lo: 2, hi: 100, unit: "days" },
  }),
  _successor({
    name: "calendar.month_in_n",
    texts: [
      "What month is it {n} months after {x}?",
      "If it is {x} now, which month will it be in {n} months?",
      "Which month comes {n} months after {x}?",
      "Count {n} months forward from {x}. Which month is it?",
    ],
    names: MONTHS,
    entities: MONTH_ENTITIES,
    what: "month",
    offsets: { lo: 2, hi: 40, unit: "months" },
  }),
];
