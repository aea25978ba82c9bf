// Residual views: the vocabulary the Aligner inserts and deletes, one question's answers and
// corrections across every upstream, and the parts both explorers share (the run's corrections on
// Residuals, an imported dataset's rows on Imported residuals): edit filters, table columns, the
// selected row's card.
import * as Inputs from "npm:@observablehq/inputs";
import * as Plot from "npm:@observablehq/plot";
import { html } from "npm:htl";
import { InlineDiff, SideBySideDiff } from "./diff.js";
import { count, detokenize, fixed, kind, signed } from "./format.js";

const clip = (s, n = 42) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function PhraseBars(rows, { width, title, fill }) {
  const data = Array.from(rows);
  if (!data.length) return html`<p class="muted">No ${title.toLowerCase()} for these filters.</p>`;
  return Plot.plot({
    width,
    height: 40 + data.length * 20,
    marginLeft: 190,
    marginRight: 50,
    title,
    x: { label: "spans →", grid: true },
    y: { label: null, domain: data.map((d) => d.phrase), tickFormat: (s) => clip(detokenize(s)) },
    marks: [
      Plot.barX(data, {
        y: "phrase",
        x: "n",
        fill,
        tip: true,
        title: (d) => `“${detokenize(d.phrase)}”: ${d.n.toLocaleString("en-US")} spans`,
      }),
      Plot.text(data, { y: "phrase", x: "n", text: (d) => d.n.toLocaleString("en-US"), dx: 4, textAnchor: "start" }),
      Plot.ruleX([0]),
    ],
  });
}

/** Top inserted phrases beside top deleted ones. Rows: phrase, n. */
export function VocabChart(inserted, deleted, { width } = {}) {
  const w = Math.max(280, Math.floor((width - 24) / 2));
  return html`<div class="grid grid-cols-2 vocab">
    <div>${PhraseBars(inserted, { width: w, title: "Inserted by the Aligner", fill: "var(--theme-green)" })}</div>
    <div>${PhraseBars(deleted, { width: w, title: "Deleted by the Aligner", fill: "var(--theme-red)" })}</div>
  </div>`;
}

const VERDICT = { win: "win", tie: "tie", lose: "lose" };
const badge = (dimension, v) =>
  html`<span class="verdict verdict-${VERDICT[v] ?? "none"}" title="${dimension} verdict of the correction against the answer"
    >${dimension} ${v ?? "—"}</span
  >`;

/** A card per upstream with its answer → correction diff. Rows: corrections columns. */
export function SiblingGrid(rows, { selectedId } = {}) {
  const data = Array.from(rows);
  return html`<div class="sibling-grid">
    ${data.map(
      (d) =>
        html`<div class=${`card sibling${d.id === selectedId ? " selected" : ""}`}>
          <div class="sibling-head">
            <strong>${d.upstream}</strong> <span class="muted">${kind(d.upstream_kind)}</span>
            ${badge("helpful", d.verdict_helpful)} ${badge("harmless", d.verdict_harmless)}
            <span class="muted">${d.copy ? "copied" : html`D<sub>L</sub> ${fixed(d.dl)}`}</span>
          </div>
          ${InlineDiff(d.answer ?? "", d.correction ?? "")}
        </div>`,
    )}
  </div>`;
}

/**
 * The filters both explorers share: copied or edited, a D_L range up to `dlTop`, a search in the
 * question, answer and correction. Inputs keyed by the name the explorers' SQL reads.
 */
export function EditFilters({ dlTop }) {
  return {
    edit: Inputs.radio(["all", "copied", "edited"], { label: "Correction", value: "all" }),
    dlMin: Inputs.range([0, dlTop], { label: "D_L from", step: 0.01, value: 0 }),
    dlMax: Inputs.range([0, dlTop], { label: "D_L to", step: 0.01, value: dlTop }),
    search: Inputs.text({ label: "Search", placeholder: "in question, answer, correction" }),
  };
}

/** Formats, headers and widths of the columns both explorers' tables show. */
export const EDIT_COLUMNS = {
  header: { copy: "edit", dl: "D_L", length_change: "Δ tokens" },
  format: { copy: (c) => (c ? "copied" : "edited"), dl: (d) => fixed(d), length_change: (d) => signed(d, 0) },
  width: { copy: 56, dl: 44, length_change: 62 },
};

/** “n of total”: the explorer's row count (`data-rows` is what the site tests read). */
export function RowCount(n, of, { dataset } = {}) {
  return html`<p class="row-count" id="row-count" data-rows=${n} data-dataset=${dataset}>${count(n)} of ${of}</p>`;
}

/**
 * The selected row's card: `meta` (its provenance line), the question, answer and correction side by
 * side under `labels`, the inline diff, then `after` (the oracle's reasons, where there are some).
 */
export function CorrectionDetail(row, { meta, labels, after = "", dataset } = {}) {
  return html`<div id="detail" data-id=${row.id} data-dataset=${dataset}>
    <div class="detail-meta">${meta}</div>
    <p><b>Question.</b> ${row.question}</p>
    ${SideBySideDiff(row.answer ?? "", row.correction ?? "", labels)}
    <div class="diff-label diff-heading">Inline diff</div>
    ${InlineDiff(row.answer ?? "", row.correction ?? "")} ${after}
  </div>`;
}

/** The edit's measures: D_L, copied or edited, the change in word tokens. */
export function EditMeta(row) {
  return html`D<sub>L</sub> <b>${fixed(row.dl)}</b> · ${row.copy ? "copied" : "edited"} · ${signed(row.length_change, 0, "tokens")}`;
}

/** A link that opens the Playground with row `id`'s question and answer (`./playground?row=ID`). */
export function TryLink(id, { label = "try" } = {}) {
  return html`<a
    class="try-playground"
    href=${`./playground?row=${encodeURIComponent(id)}`}
    title="Load this row's question and answer into the Playground"
    >${label}</a
  >`;
}
