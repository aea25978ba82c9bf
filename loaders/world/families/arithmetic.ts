/**
 * Arithmetic: add, subtract, multiply. The "entities" are operand ranges; the held-out range is only
 * drawn for test, as are the last two templates of each family. Results never equal an operand, so the
 * oracle can ignore numbers copied from the question.
 */
import type { WorldRng } from "../rng.js";
import { fill } from "../text.js";
import { choose, countSpace, makeTemplates, sayExact, type Entity, type Family, type Template } from "./_shared.js";

interface Range extends Entity {
  lo: number;
  hi: number;
}

interface Operation {
  op: "add" | "subtract" | "multiply";
  symbol: string;
  texts: string[];
  ranges: Range[];
  apply(a: number, b: number): number;
  /** Second operand for a first operand a, inside the train range. */
  second(rng: WorldRng, a: number): number;
  /** How many second operands `second` can return for a. */
  seconds(a: number): number;
}

const OPERATIONS: Operation[] = [
  {
    op: "add",
    symbol: "+",
    texts: [
      "What is {a} plus {b}?",
      "Add {a} and {b}.",
      "What do you get if you add {a} to {b}?",
      "Compute {a} + {b}.",
      "What's the sum of {a} and {b}?",
      "If I have {a} marbles and find {b} more, how many marbles do I have?",
      "Work out {a} + {b} for me.",
    ],
    ranges: [
      { key: "2-59", lo: 2, hi: 59 },
      { key: "60-99", lo: 60, hi: 99, heldout: true },
    ],
    apply: (a, b) => a + b,
    second: (rng) => rng.int(2, 59),
    seconds: () => 58,
  },
  {
    op: "subtract",
    symbol: "-",
    texts: [
      "What is {a} minus {b}?",
      "Subtract {b} from {a}.",
      "Compute {a} - {b}.",
      "What do you get when you take {b} away from {a}?",
      "What is the difference between {a} and {b}?",
      "If I have {a} dollars and spend {b}, how many dollars are left?",
      "Work out {a} - {b} for me.",
    ],
    ranges: [
      { key: "20-59", lo: 20, hi: 59 },
      { key: "60-99", lo: 60, hi: 99, heldout: true },
    ],
    apply: (a, b) => a - b,
    second(rng, a) {
      for (;;) {
        const b = rng.int(2, Math.min(a - 2, 59));
        if (a !== 2 * b) return b;
      }
    },
    seconds: (a) => Math.min(a - 2, 59) - 1 - (a % 2 === 0 && a / 2 <= Math.min(a - 2, 59) ? 1 : 0),
  },
  {
    op: "multiply",
    symbol: "×",
    texts: [
      "What is {a} times {b}?",
      "Multiply {a} by {b}.",
      "Compute {a} × {b}.",
      "What's the product of {a} and {b}?",
      "What is {a} multiplied by {b}?",
      "If a box holds {a} eggs, how many eggs are in {b} boxes?",
      "Work out {a} × {b} for me.",
    ],
    ranges: [
      { key: "2-49", lo: 2, hi: 49 },
      { key: "50-99", lo: 50, hi: 99, heldout: true },
    ],
    apply: (a, b) => a * b,
    second: (rng) => rng.int(2, 19),
    seconds: () => 18,
  },
];

const _sum = (lo: number, hi: number, f: (a: number) => number) => {
  let total = 0;
  for (let a = lo; a <= hi; a++) total += f(a);
  return total;
};

function _family(operation: Operation): Family {
  const name = `arithmetic.${operation.op}`;
  const templates: Template[] = makeTemplates(name, operation.texts, 2);
  return {
    name,
    category: "arithmetic",
    intent: "answer",
    templates,
    entities: operation.ranges,
    count: (side) => countSpace(side, templates, operation.ranges, (r) => _sum(r.lo, r.hi, operation.seconds)),
    draw(rng, split) {
      const { template, entity } = choose(rng, split, templates, operation.ranges);
      const a = rng.int(entity.lo, entity.hi);
      const b = operation.second(rng, a);
      const value = operation.apply(a, b);
      const lead = `${a} ${operation.symbol} ${b} =`;
      return {
        question: fill(template.text, { a, b }),
        category: "arithmetic",
        intent: "answer",
        family: name,
        template: template.id,
        entity: entity.key,
        harm: null,
        gold: sayExact(lead, String(value)),
        facts: { kind: "number", value, lead, unit: "" },
      };
    },
  };
}

export const ARITHMETIC: Family[] = OPERATIONS.map(_family);
