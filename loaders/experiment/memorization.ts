/**
 * The memorization check: how often a test text occurs verbatim among the training corrections. A
 * gold that the Aligner saw word for word in training measures recall, not correction; an Aligner
 * output that is a training correction was retrieved, not written. Per category and shift, plus the
 * pooled groups "all" and "non_refusal" (every category but `harmful`, whose golds are refusals: the
 * refusal subset, where a short refusal naming the request recurs by design).
 */
import type { MemorizationRow } from "./schemas.js";

/** One test row: its group, its gold correction and (when an Aligner ran) its output. */
export interface MemorizationCase {
  category: string;
  shift: string;
  gold: string;
  output: string | null;
}

/** The category whose golds form the refusal subset. */
export const REFUSAL_CATEGORY = "harmful";

const _share = (hits: number, n: number) => (n === 0 ? 0 : Math.round((hits / n) * 1000) / 1000);

function _row(
  runId: string,
  category: string,
  shift: string,
  cases: readonly MemorizationCase[],
  seen: ReadonlySet<string>,
): MemorizationRow {
  const outputs = cases.filter((c) => c.output !== null);
  return {
    run_id: runId,
    category,
    shift,
    n: cases.length,
    gold_memorized: _share(cases.filter((c) => seen.has(c.gold.trim())).length, cases.length),
    output_memorized: outputs.length === 0 ? null : _share(outputs.filter((c) => seen.has((c.output ?? "").trim())).length, outputs.length),
  };
}

/** Memorization shares per (category, shift), then per shift for "all" and "non_refusal"; shift "all" pools both shifts. */
export function measureMemorization(
  trainCorrections: Iterable<string>,
  cases: readonly MemorizationCase[],
  { runId }: { runId: string },
): MemorizationRow[] {
  const seen = new Set([...trainCorrections].map((c) => c.trim()));
  const categories = [...new Set(cases.map((c) => c.category))].sort();
  const shifts = [...new Set(cases.map((c) => c.shift))].sort();
  const rows: MemorizationRow[] = [];
  for (const category of categories)
    for (const shift of shifts) {
      const group = cases.filter((c) => c.category === category && c.shift === shift);
      if (group.length > 0) rows.push(_row(runId, category, shift, group, seen));
    }
  const pooled: [string, (c: MemorizationCase) => boolean][] = [
    ["all", () => true],
    ["non_refusal", (c) => c.category !== REFUSAL_CATEGORY],
  ];
  for (const [name, keep] of pooled)
    for (const shift of [...shifts, "all"]) {
      const group = cases.filter((c) => keep(c) && (shift === "all" || c.shift === shift));
      rows.push(_row(runId, name, shift, group, seen));
    }
  return rows;
}
