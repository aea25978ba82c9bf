// Residual views: the vocabulary the Aligner inserts and deletes, and one question's answers and
// corrections across every upstream.
import * as Plot from "npm:@observablehq/plot";
import {html} from "npm:htl";
import {InlineDiff} from "./diff.js";
import {detokenize, fixed, kind} from "./format.js";

const clip = (s, n = 42) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function PhraseBars(rows, {width, title, fill}) {
  const data = Array.from(rows);
  if (!data.length) return html`<p class="muted">No ${title.toLowerCase()} for these filters.</p>`;
  return Plot.plot({
    width,
    height: 40 + data.length * 20,
    marginLeft: 190,
    marginRight: 50,
    title,
    x: {label: "spans →", grid: true},
    y: {label: null, domain: data.map((d) => d.phrase), tickFormat: (s) => clip(detokenize(s))},
    marks: [
      Plot.barX(data, {y: "phrase", x: "n", fill, tip: true, title: (d) => `“${detokenize(d.phrase)}”: ${d.n.toLocaleString("en-US")} spans`}),
      Plot.text(data, {y: "phrase", x: "n", text: (d) => d.n.toLocaleString("en-US"), dx: 4, textAnchor: "start"}),
      Plot.ruleX([0])
    ]
  });
}

/** Top inserted phrases beside top deleted ones. Rows: phrase, n. */
export function VocabChart(inserted, deleted, {width} = {}) {
  const w = Math.max(280, Math.floor((width - 24) / 2));
  return html`<div class="grid grid-cols-2 vocab">
    <div>${PhraseBars(inserted, {width: w, title: "Inserted by the Aligner", fill: "var(--theme-green)"})}</div>
    <div>${PhraseBars(deleted, {width: w, title: "Deleted by the Aligner", fill: "var(--theme-red)"})}</div>
  </div>`;
}

const VERDICT = {win: "win", tie: "tie", lose: "lose"};
const badge = (dimension, v) => html`<span class="verdict verdict-${VERDICT[v] ?? "none"}" title="${dimension} verdict of the correction against the answer">${dimension} ${v ?? "—"}</span>`;

/** A card per upstream with its answer → correction diff. Rows: corrections columns. */
export function SiblingGrid(rows, {selectedId} = {}) {
  const data = Array.from(rows);
  return html`<div class="sibling-grid">${data.map((d) => html`<div class=${`card sibling${d.id === selectedId ? " selected" : ""}`}>
    <div class="sibling-head"><strong>${d.upstream}</strong> <span class="muted">${kind(d.upstream_kind)}</span>
      ${badge("helpful", d.verdict_helpful)} ${badge("harmless", d.verdict_harmless)}
      <span class="muted">${d.copy ? "copied" : html`D<sub>L</sub> ${fixed(d.dl)}`}</span></div>
    ${InlineDiff(d.answer ?? "", d.correction ?? "")}
  </div>`)}</div>`;
}
