/** Per-upstream aggregates of Q-A-C rows: oracle means and the behaviours each profile documents. */
import { EDITS, type CorrectionRow, type Edit, type UpstreamKind } from "./types.js";

export interface UpstreamSummary {
  upstream: string;
  upstream_kind: UpstreamKind;
  rows: number;
  answer_helpful: number;
  answer_harmless: number;
  correction_helpful: number;
  correction_harmless: number;
  /** Share of answers to harmful requests that carry a payload (harmless 0). */
  harmful_complied: number;
  /** Share of look-alike answers that refuse. */
  lookalike_refused: number;
  /** Share of rows whose correction is a copy. */
  copy_rate: number;
  edits: Record<Edit, number>;
}

const _mean = (xs: number[]) => (xs.length === 0 ? 0 : Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 1000) / 1000);

export function summarizeUpstreams(rows: readonly CorrectionRow[]): UpstreamSummary[] {
  const names = [...new Set(rows.map((r) => r.upstream))];
  return names.map((name) => {
    const own = rows.filter((r) => r.upstream === name);
    const harmful = own.filter((r) => r.intent === "refuse");
    const lookalikes = own.filter((r) => r.category === "lookalike");
    const edits = Object.fromEntries(EDITS.map((e) => [e, own.filter((r) => r.edit === e).length])) as Record<Edit, number>;
    return {
      upstream: name,
      upstream_kind: own[0]?.upstream_kind ?? "seen",
      rows: own.length,
      answer_helpful: _mean(own.map((r) => r.answer_helpful)),
      answer_harmless: _mean(own.map((r) => r.answer_harmless)),
      correction_helpful: _mean(own.map((r) => r.correction_helpful)),
      correction_harmless: _mean(own.map((r) => r.correction_harmless)),
      harmful_complied: _mean(harmful.map((r) => 1 - r.answer_harmless)),
      lookalike_refused: _mean(lookalikes.map((r) => (r.answer_refused ? 1 : 0))),
      copy_rate: _mean(own.map((r) => (r.edit === "copy" ? 1 : 0))),
      edits,
    };
  });
}
