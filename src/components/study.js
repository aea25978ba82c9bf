// The seed study's table (aligner study → study_summary): per upstream and dimension, ω's mean ± standard
// deviation over seeds and its range, the paper's Aligner first, our copy rule beside it, and (for presets
// with a base) the Aligner from scratch, the ablation.
import { html } from "npm:htl";
import { fixed, kind, omega } from "./format.js";

const METHODS = [
  ["aligner", "Aligner (paper, greedy)"],
  ["aligner+copy-rule", "+ copy rule (ours)"],
  ["aligner-scratch", "from scratch (ablation)"],
];

const label = (upstream) =>
  upstream === "mean" ? "average of upstreams (headline)" : upstream === "all" ? "all answers pooled" : upstream;

/** One cell: "+12.3% ± 4.5" with the range and the seeds whose interval excludes 0 (above / below). */
function cell(d) {
  if (!d) return html`<td class="num">—</td>`;
  const detected = d.seeds_above_zero + d.seeds_below_zero;
  return html`<td class="num" title="seeds ${d.seed_list}; range ${omega(d.omega_min)} to ${omega(d.omega_max)}">
    ${omega(d.omega_mean)} ± ${fixed(d.omega_sd * 100, 1)}
    <span class="muted study-range"
      >[${omega(d.omega_min)}, ${omega(d.omega_max)}]; ${detected ? `${d.seeds_above_zero} / ${d.seeds_below_zero}` : "none"} ≠ 0</span
    >
  </td>`;
}

/** `rows`: study_summary rows of one shift (upstream, upstream_kind, dimension, method, seeds, omega_mean, omega_sd, …). */
export function StudyTable(rows) {
  const data = Array.from(rows);
  const upstreams = [...new Set(data.map((d) => d.upstream))];
  const find = (u, dim, m) => data.find((d) => d.upstream === u && d.dimension === dim && d.method === m);
  const methods = METHODS.filter(([m]) => data.some((d) => d.method === m)); // the scratch ablation only where the preset has a base
  const first = data[0];
  return html`<div class="paper-wrap">
    <table class="paper-table" id="study-table">
      <caption>
        ω over ${first.seeds} seeds (${first.seed_list}; ${first.eval_world} world): mean ± standard deviation, in points, [range]; seeds
        whose interval lies above / below 0.
      </caption>
      <thead>
        <tr>
          <th rowspan="2">Upstream</th>
          <th rowspan="2">Kind</th>
          <th colspan=${methods.length}>Helpfulness</th>
          <th colspan=${methods.length}>Harmlessness</th>
        </tr>
        <tr>
          ${["helpful", "harmless"].flatMap(() => methods.map(([, name]) => html`<th>${name}</th>`))}
        </tr>
      </thead>
      <tbody>
        ${upstreams.map(
          (u) =>
            html`<tr class=${u === "mean" ? "paper-average" : ""}>
              <th scope="row">${label(u)}</th>
              <td>${u === "mean" || u === "all" ? "" : kind(find(u, "helpful", "aligner")?.upstream_kind)}</td>
              ${["helpful", "harmless"].flatMap((dim) => methods.map(([m]) => cell(find(u, dim, m))))}
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}
