// ω charts: the paper's win rate per upstream and dimension with interval bars, baselines beside it,
// and run-to-run deltas. ω = (W − L) / (W + T + L), shown in percent.
import * as Plot from "npm:@observablehq/plot";
import { kind, omega as fmtOmega, interval } from "./format.js";

export const METHODS = ["aligner", "always-copy", "gold"];
export const METHOD_LABELS = { aligner: "Aligner", "always-copy": "always-copy (baseline)", gold: "gold corrections (ceiling)" };
export const METHOD_COLORS = ["var(--theme-foreground-focus)", "var(--theme-foreground-muted)", "#e7a03c"];
export const DIMENSION_LABELS = { helpful: "Helpfulness", harmless: "Harmlessness" };
export const DIMENSIONS = ["helpful", "harmless"];
/** Signed percent ticks: "+20", "0", "−10". */
export const signedTick = (d) => (d > 0 ? `+${d}` : d < 0 ? `−${-d}` : "0");

/** Upstream names in table order (seen, held-out, then the pooled "all") and labels marking them. */
export function upstreamOrder(rows) {
  const kinds = new Map(rows.map((d) => [d.upstream, d.upstream_kind]));
  const rank = (u) => (u === "all" ? 2 : kinds.get(u) === "heldout" ? 1 : 0);
  const names = [...kinds.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return { names, label: (u) => (u === "all" ? "all (pooled)" : kinds.get(u) === "heldout" ? `${u} (held-out)` : u) };
}

/**
 * ω with its interval for each upstream (rows of facets), dimension (columns) and method (one line per
 * method inside a facet). `rows`: summary rows of one run and category.
 */
export function OmegaChart(rows, { width, caption } = {}) {
  const data = Array.from(rows);
  const { names, label } = upstreamOrder(data);
  const methods = METHODS.filter((m) => data.some((d) => d.method === m));
  return Plot.plot({
    width,
    height: 40 + names.length * (methods.length * 14 + 14),
    marginLeft: 150,
    marginRight: 20,
    caption,
    x: { percent: true, label: "ω (%)", tickFormat: signedTick, grid: true, nice: true },
    y: { axis: null, domain: methods, padding: 0.3 },
    fx: { label: null, domain: DIMENSIONS, tickFormat: (d) => DIMENSION_LABELS[d] ?? d },
    fy: { label: null, domain: names, tickFormat: label },
    color: { legend: true, domain: methods, range: METHOD_COLORS, tickFormat: (m) => METHOD_LABELS[m] ?? m },
    marks: [
      Plot.frame({ strokeOpacity: 0.15 }),
      Plot.ruleX([0], { strokeOpacity: 0.5 }),
      Plot.ruleY(data, { fx: "dimension", fy: "upstream", y: "method", x1: "omega_lo", x2: "omega_hi", stroke: "method", strokeWidth: 2 }),
      Plot.dot(data, {
        fx: "dimension",
        fy: "upstream",
        y: "method",
        x: "omega",
        fill: "method",
        r: 3.5,
        channels: {
          upstream: { value: "upstream", label: "upstream" },
          kind: { value: (d) => kind(d.upstream_kind), label: "kind" },
          interval: { value: (d) => interval(d.omega_lo, d.omega_hi), label: "95% CI" },
        },
        title: (d) =>
          `${METHOD_LABELS[d.method] ?? d.method} on ${d.upstream === "all" ? "all answers (pooled)" : `${d.upstream} (${kind(d.upstream_kind)})`}\n${DIMENSION_LABELS[d.dimension] ?? d.dimension}: ω ${fmtOmega(d.omega)} ${interval(d.omega_lo, d.omega_hi)}`,
        tip: true,
      }),
    ],
  });
}

/** Δω (run − reference) per upstream and dimension, one dot per method. */
export function DeltaChart(rows, { width, caption } = {}) {
  const data = Array.from(rows);
  const { names, label } = upstreamOrder(data);
  const methods = METHODS.filter((m) => data.some((d) => d.method === m));
  return Plot.plot({
    width,
    height: 50 + names.length * 22,
    marginLeft: 150,
    caption,
    x: { percent: true, label: "Δω (percentage points)", tickFormat: signedTick, grid: true, nice: true },
    y: { label: null, domain: names, tickFormat: label },
    fx: { label: null, domain: DIMENSIONS, tickFormat: (d) => DIMENSION_LABELS[d] ?? d },
    color: { legend: true, domain: methods, range: METHOD_COLORS, tickFormat: (m) => METHOD_LABELS[m] ?? m },
    marks: [
      Plot.frame({ strokeOpacity: 0.15 }),
      Plot.ruleX([0], { strokeOpacity: 0.5 }),
      Plot.dot(data, {
        fx: "dimension",
        y: "upstream",
        x: "delta_omega",
        fill: "method",
        r: 4,
        tip: true,
        title: (d) =>
          `${METHOD_LABELS[d.method] ?? d.method}, ${d.upstream}: Δω ${fmtOmega(d.delta_omega)} (${fmtOmega(d.omega_ref)} → ${fmtOmega(d.omega_run)})`,
      }),
    ],
  });
}
