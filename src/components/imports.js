// Imported datasets: one row of statistics per dataset, the D_L distribution per dataset and the
// answer's length against the correction's.
import * as Plot from "npm:@observablehq/plot";
import { html } from "npm:htl";
import { count, fixed, percent, signed } from "./format.js";

export const DEGENERATE = ["empty", "truncated", "repeated_ngram", "run_together", "non_ascii_injection"];

/** D_L values above this are drawn in the last bin (a correction far longer than its answer). */
export const DL_CLIP = 2;

/** One row per dataset: rows, copy rate, D_L, lengths and degenerate counts. `rows`: the page's `stats`. */
export function StatsTable(rows) {
  const data = Array.from(rows);
  const num = (text, title) => html`<td class="num" title=${title ?? ""}>${text}</td>`;
  return html`<div class="paper-wrap">
    <table class="paper-table" id="imports-stats">
      <caption>
        Means per row; characters are Unicode code points, tokens word tokens (as
        <code>aligner metrics</code>
        counts them).
      </caption>
      <thead>
        <tr>
          <th>dataset</th>
          <th>rows</th>
          <th>copy rate</th>
          <th>D<sub>L</sub> mean</th>
          <th>D<sub>L</sub> median</th>
          <th>answer chars</th>
          <th>correction chars</th>
          <th>answer tokens</th>
          <th>correction tokens</th>
          <th>Δ tokens</th>
          <th>degenerate</th>
        </tr>
      </thead>
      <tbody>
        ${data.map(
          (d) =>
            html`<tr data-dataset=${d.dataset}>
              <th scope="row">${d.dataset}</th>
              ${num(count(d.n))}${num(percent(d.copy_rate))}${num(fixed(d.dl_mean, 3))}${num(fixed(d.dl_median, 3))}
              ${num(fixed(d.answer_chars_mean, 1))}${num(fixed(d.correction_chars_mean, 1))}${num(fixed(d.answer_tokens_mean, 1))}${num(fixed(d.correction_tokens_mean, 1))}
              ${num(signed(d.length_change_mean, 1))} ${num(count(d.degenerate), DEGENERATE.map((k) => `${k}: ${count(d[k])}`).join("\n"))}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Degenerate corrections per dataset and flag (a correction may have several). `rows`: `stats`. */
export function DegenerateTable(rows) {
  const data = Array.from(rows);
  return html`<div class="paper-wrap">
    <table class="paper-table" id="imports-degenerate">
      <thead>
        <tr>
          <th>dataset</th>
          ${DEGENERATE.map((k) => html`<th>${k.replaceAll("_", " ")}</th>`)}
          <th>any</th>
        </tr>
      </thead>
      <tbody>
        ${data.map(
          (d) =>
            html`<tr data-dataset=${d.dataset}>
              <th scope="row">${d.dataset}</th>
              ${DEGENERATE.map((k) => html`<td class="num">${count(d[k])}</td>`)}
              <td class="num">${count(d.degenerate)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

/** Share of each dataset's rows per D_L bin (copies at 0). `rows`: dataset, dl. */
export function DlChart(rows, { width, caption } = {}) {
  const data = Array.from(rows, (d) => ({ dataset: d.dataset, dl: Math.min(d.dl, DL_CLIP) }));
  const datasets = [...new Set(data.map((d) => d.dataset))];
  return Plot.plot({
    width,
    height: 40 + datasets.length * 110,
    marginLeft: 50,
    marginRight: 140,
    caption,
    x: { label: `D_L → (values above ${DL_CLIP} in the last bin)`, domain: [0, DL_CLIP] },
    y: { label: "↑ share of rows", percent: true, grid: true },
    fy: { label: null, domain: datasets },
    marks: [
      Plot.frame({ strokeOpacity: 0.15 }),
      Plot.rectY(
        data,
        Plot.binX(
          { y: "proportion-facet" },
          { x: "dl", fy: "dataset", thresholds: 40, domain: [0, DL_CLIP], fill: "var(--theme-foreground-focus)", tip: true },
        ),
      ),
      Plot.ruleY([0]),
    ],
  });
}

/** Answer length against correction length (characters), one dot per row, one facet per dataset. `rows`: dataset, answer_chars, correction_chars, copy. */
export function LengthChart(rows, { width, caption } = {}) {
  const data = Array.from(rows);
  const datasets = [...new Set(data.map((d) => d.dataset))];
  const top = Math.max(1, ...data.map((d) => Math.max(d.answer_chars, d.correction_chars)));
  const side = Math.min(360, Math.max(200, Math.floor((width - 40) / Math.max(1, datasets.length)) - 40));
  return Plot.plot({
    width: Math.min(width, 80 + datasets.length * (side + 40)),
    height: side + 70,
    marginLeft: 60,
    caption,
    x: { label: "answer characters →", domain: [0, top], grid: true },
    y: { label: "↑ correction characters", domain: [0, top], grid: true },
    fx: { label: null, domain: datasets },
    color: { legend: true, domain: ["edited", "copied"], range: ["var(--theme-foreground-focus)", "var(--theme-foreground-muted)"] },
    marks: [
      Plot.frame({ strokeOpacity: 0.15 }),
      Plot.line(
        [
          [0, 0],
          [top, top],
        ],
        { stroke: "var(--theme-foreground-faint)", strokeDasharray: "4 3" },
      ),
      Plot.dot(data, {
        fx: "dataset",
        x: "answer_chars",
        y: "correction_chars",
        stroke: (d) => (d.copy ? "copied" : "edited"),
        r: 1.8,
        strokeOpacity: 0.7,
        tip: true,
        title: (d) =>
          `${d.dataset} row ${d.row}: ${count(d.answer_chars)} → ${count(d.correction_chars)} characters${d.copy ? " (copied)" : ""}`,
      }),
    ],
  });
}
