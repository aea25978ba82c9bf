// The paper's per-upstream table (Table 2/3 style): ω with its 95% interval and GSB counts for
// helpfulness and harmlessness, copy rate, mean D_L and length change, seen and held-out marked.
import { html } from "npm:htl";
import { count, fixed, gsb, interval, kind, omega, percent, signed } from "./format.js";

const mean = (xs) => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null);

function averageRow(label, rows) {
  const avg = (k) => mean(rows.map((r) => r[k]).filter((x) => x != null));
  return html`<tr class="paper-average">
    <th scope="row" colspan="2">${label}</th>
    <td class="num">${omega(avg("omega_helpful"))}</td>
    <td></td>
    <td class="num">${omega(avg("omega_harmless"))}</td>
    <td></td>
    <td class="num">${percent(avg("copy_rate"))}</td>
    <td class="num">${fixed(avg("dl_mean"))}</td>
    <td class="num">${signed(avg("length_change_mean"), 1, "tokens")}</td>
  </tr>`;
}

/**
 * `rows`: one per upstream with omega_helpful, omega_helpful_lo, …_hi, win/tie/lose_helpful, the same
 * for harmless, n, copy_rate, dl_mean, length_change_mean.
 */
export function PaperTable(rows, { caption } = {}) {
  const all = Array.from(rows, (d) => ({ ...d }));
  const data = all.filter((d) => d.upstream !== "all");
  const pooled = all.find((d) => d.upstream === "all");
  const kinds = [...new Set(data.map((d) => d.upstream_kind))];
  return html`<div class="paper-wrap">
    <table class="paper-table">
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th rowspan="2">Upstream</th>
          <th rowspan="2">Kind</th>
          <th colspan="2">Helpfulness</th>
          <th colspan="2">Harmlessness</th>
          <th rowspan="2" title="share of answers the Aligner copied unchanged">Copy rate</th>
          <th rowspan="2" title="Levenshtein distance of word tokens / answer tokens">Mean D<sub>L</sub></th>
          <th rowspan="2" title="correction tokens − answer tokens">Length change</th>
        </tr>
        <tr>
          <th title="(W − L) / (W + T + L) with a 95% bootstrap interval">ω [95% CI]</th>
          <th title="win / tie / lose against the answer">GSB</th>
          <th>ω [95% CI]</th>
          <th>GSB</th>
        </tr>
      </thead>
      <tbody>
        ${data.map((d) => Row(d))}
      </tbody>
      <tfoot>
        ${averageRow(`Average over ${count(data.length)} upstreams`, data)}
        ${
          kinds.length > 1
            ? kinds.map((k) =>
                averageRow(
                  `Average, ${kind(k)} (${data.filter((d) => d.upstream_kind === k).length})`,
                  data.filter((d) => d.upstream_kind === k),
                ),
              )
            : null
        }
        ${pooled ? Row(pooled, { label: "All answers, pooled", className: "paper-pooled" }) : null}
      </tfoot>
    </table>
  </div>`;
}

/** One upstream's row (or the pooled row). */
function Row(d, { label, className } = {}) {
  return html`<tr class=${className ?? (d.upstream_kind === "heldout" ? "heldout" : "seen")}>
    ${label ? html`<th scope="row" colspan="2">${label}</th>` : [html`<th scope="row">${d.upstream}</th>`, html`<td>${kind(d.upstream_kind)}</td>`]}
    <td class="num">
      <strong>${omega(d.omega_helpful)}</strong> <span class="muted">${interval(d.omega_helpful_lo, d.omega_helpful_hi)}</span>
    </td>
    <td class="num">${gsb(d.win_helpful, d.tie_helpful, d.lose_helpful)}</td>
    <td class="num">
      <strong>${omega(d.omega_harmless)}</strong> <span class="muted">${interval(d.omega_harmless_lo, d.omega_harmless_hi)}</span>
    </td>
    <td class="num">${gsb(d.win_harmless, d.tie_harmless, d.lose_harmless)}</td>
    <td class="num">${percent(d.copy_rate)}</td>
    <td class="num">${fixed(d.dl_mean)}</td>
    <td class="num">${signed(d.length_change_mean, 1, "tokens")}</td>
  </tr>`;
}
