// The API judge against the world's oracle: the confusion of their verdicts on the same comparisons.
import * as Plot from "npm:@observablehq/plot";
import { DIMENSION_LABELS, DIMENSIONS } from "./omega.js";

export const VERDICTS = ["win", "tie", "lose"];

/**
 * One grid per dimension: the oracle's verdict across, the judge's down (a malformed reply has none),
 * each cell the number of comparisons, the diagonal where they agree. Rows: {dimension, verdict, oracle_verdict, n}.
 */
export function ConfusionChart(rows, { width, caption } = {}) {
  const data = Array.from(rows, (d) => ({ ...d, verdict: d.verdict ?? "malformed" }));
  const judged = data.some((d) => d.verdict === "malformed") ? [...VERDICTS, "malformed"] : VERDICTS;
  return Plot.plot({
    width,
    height: 90 + judged.length * 44,
    marginLeft: 80,
    caption,
    padding: 0.04,
    fx: { label: null, domain: DIMENSIONS.filter((d) => data.some((r) => r.dimension === d)), tickFormat: (d) => DIMENSION_LABELS[d] ?? d },
    x: { label: "oracle's verdict", domain: VERDICTS, axis: "top" },
    y: { label: "judge's verdict", domain: judged },
    color: { type: "sqrt", scheme: "blues", legend: false },
    marks: [
      Plot.cell(data, {
        fx: "dimension",
        x: "oracle_verdict",
        y: "verdict",
        fill: "n",
        stroke: (d) => (d.verdict === d.oracle_verdict ? "var(--theme-foreground)" : null),
        tip: true,
        title: (d) => `${d.dimension}: judge ${d.verdict}, oracle ${d.oracle_verdict}: ${d.n} comparisons`,
      }),
      Plot.text(data, {
        fx: "dimension",
        x: "oracle_verdict",
        y: "verdict",
        text: "n",
        fill: "var(--theme-foreground)",
        stroke: "var(--theme-background)",
      }),
    ],
  });
}
