// Run pickers and facts: which run a page shows (the latest by default) and what it ran with.
import * as Inputs from "npm:@observablehq/inputs";
import { html } from "npm:htl";
import { duration } from "./format.js";

const when = (iso) =>
  iso
    ? String(iso)
        .replace("T", " ")
        .replace(/:\d\d(\.\d+)?Z$/, " UTC")
    : "—";

/**
 * A select over the runs (rows of `runs`, latest first), valued by run_id; with no run, a note whose
 * value is null. `value` picks the initial run (default: the first row, the latest).
 */
export function RunPicker(runs, { label = "Run", value } = {}) {
  const rows = Array.from(runs);
  if (!rows.length) return Object.assign(html`<p class="note-empty">No run in these tables.</p>`, { value: null });
  const byId = new Map(rows.map((r) => [r.run_id, r]));
  return Inputs.select(
    rows.map((r) => r.run_id),
    {
      label,
      value: value ?? rows[0].run_id,
      format: (id) => `${id} · ${byId.get(id).preset} · ${when(byId.get(id).started_at)}`,
    },
  );
}

/** A line of facts about one run: preset, seed, backend, threads, template, start and duration. */
export function RunFacts(run) {
  if (!run) return html`<p class="note-empty">No run selected.</p>`;
  return html`<div class="facts" id="run-facts">
    <span>preset <b>${run.preset}</b></span>
    <span>seed <b>${run.seed}</b></span>
    <span>backend <b>${run.backend}</b>${run.threads ? ` (${run.threads} threads)` : ""}</span>
    <span>template <b>${run.template ?? "—"}</b></span>
    <span>started <b>${when(run.started_at)}</b></span>
    <span title="wall time of the last aligner run of this preset; cached stages take no time"
      >last run <b>${duration(run.duration_s)}</b></span
    >
    <span class="muted">${run.run_id}</span>
  </div>`;
}
