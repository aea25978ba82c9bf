// Weak-to-strong: the strong model trained on the weak Aligner's corrections against the weak
// supervisor and the ceiling (the strong model trained on gold corrections).
import * as Plot from "npm:@observablehq/plot";
import { fixed } from "./format.js";

export const W2S_METHODS = ["strong", "weak", "w2s", "w2s-dpo", "w2s-dpo-nll", "sft-own", "ceiling"];
export const W2S_LABELS = {
  strong: "strong before fine-tuning",
  weak: "weak Aligner on strong (weak supervision)",
  w2s: "strong SFT on weak corrections",
  "w2s-dpo": "strong DPO on weak corrections",
  "w2s-dpo-nll": "strong DPO + NLL on weak corrections (ours)",
  "sft-own": "strong SFT on its own answers (control)",
  ceiling: "strong SFT on gold (ceiling)",
};

export const W2S_COLORS = {
  strong: "#8c8c8c",
  "sft-own": "#bdbdbd",
  weak: "#4269d0",
  w2s: "#efb118",
  "w2s-dpo": "#ff725c",
  "w2s-dpo-nll": "#a463f2",
  ceiling: "#3ca951",
};

/** Mean oracle score per method (bars) for each dimension and round. Rows: w2s table rows. */
export function W2SChart(rows, { width, caption } = {}) {
  const data = Array.from(rows);
  const methods = W2S_METHODS.filter((m) => data.some((d) => d.method === m)).concat(
    [...new Set(data.map((d) => d.method))].filter((m) => !W2S_METHODS.includes(m)),
  );
  const rounds = [...new Set(data.map((d) => d.round))];
  return Plot.plot({
    width,
    height: 80 + rounds.length * 150,
    marginLeft: 60,
    caption,
    x: { label: null, domain: methods, tickFormat: (m) => m },
    y: { label: "↑ mean oracle score", domain: [0, 1], grid: true },
    fx: { label: null, domain: ["helpful", "harmless"], tickFormat: (d) => ({ helpful: "Helpfulness", harmless: "Harmlessness" })[d] ?? d },
    fy: rounds.length > 1 ? { label: "round", domain: rounds } : undefined,
    // One colour per method: baselines grey, the weak supervisor blue, weakly supervised models orange, the ceiling green.
    color: {
      legend: true,
      domain: methods,
      range: methods.map((m) => W2S_COLORS[m.replace(/@\d+$/, "")] ?? "#9c6ade"),
      tickFormat: (m) => W2S_LABELS[m] ?? m,
    },
    marks: [
      Plot.barY(data, {
        fx: "dimension",
        fy: rounds.length > 1 ? "round" : undefined,
        x: "method",
        y: "score",
        fill: "method",
        tip: true,
        title: (d) => `${W2S_LABELS[d.method] ?? d.method}, ${d.dimension}, round ${d.round}: score ${fixed(d.score, 3)}`,
      }),
      Plot.text(data, {
        fx: "dimension",
        fy: rounds.length > 1 ? "round" : undefined,
        x: "method",
        y: "score",
        text: (d) => fixed(d.score, 2),
        dy: -8,
      }),
      Plot.ruleY([0]),
    ],
  });
}
