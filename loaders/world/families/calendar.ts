/** Calendar facts: days in a month (not February), the weekday after a day, the month after a month. */
import { fill } from "../text.js";
import { choose, makeTemplates, sayExact, type Entity, type Family } from "./_shared.js";

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
}

function _successor(spec: Successor): Family {
  const templates = makeTemplates(spec.name, spec.texts, 1);
  return {
    name: spec.name,
    category: "calendar",
    intent: "answer",
    templates,
    entities: spec.entities,
    draw(rng, split) {
      const { template, entity } = choose(rng, split, templates, spec.entities);
      const value = _at(spec.names, entity.index + 1);
      // the usual slip is two ahead or the one before
      const confusion = rng.chance(0.5) ? _at(spec.names, entity.index + 2) : _at(spec.names, entity.index - 1);
      const rivals = [confusion, ...spec.names.filter((n) => n !== confusion && n !== value)];
      const lead = `The ${spec.what} after ${entity.key} is`;
      return {
        question: fill(template.text, { x: entity.key }),
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
  }),
  _successor({
    name: "calendar.month_after",
    texts: ["Which month comes after {x}?", "What month follows {x}?", "What is the month after {x}?", "Name the month right after {x}."],
    names: MONTHS,
    entities: MONTH_ENTITIES,
    what: "month",
  }),
];
