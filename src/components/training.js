// Training charts: loss curves per model and stage, throughput, and the warm-up sweep (ω against the
// fraction of warm-up data, the paper's Fig. 3 ablation).
import * as Plot from "npm:@observablehq/plot";
import { interval, omega as fmtOmega } from "./format.js";
import { DIMENSIONS, signedTick } from "./omega.js";

const STAGES = ["pretrain", "warmup", "main", "lm"];
const STAGE_LABELS = { pretrain: "pretraining (base)", warmup: "warm-up (Q-A-A identity)", main: "main (Q-A-C)", lm: "language model" };
const STAGE_COLORS = ["#6b8e23", "#e7a03c", "var(--theme-foreground-focus)", "var(--theme-foreground-muted)"];

/**
 * Train loss (lines) and validation loss (dots on a dashed line) against the global step, one facet
 * row per model, colored by stage. `rows`: model, stage, global_step, loss, val_loss.
 */
export function LossChart(rows, { width, caption } = {}) {
  const all = Array.from(rows);
  const data = all.filter((d) => d.loss != null);
  const models = [...new Set(all.map((d) => d.model))];
  const val = all.filter((d) => d.val_loss != null);
  return Plot.plot({
    width,
    height: 30 + models.length * 110,
    marginLeft: 50,
    marginRight: 120,
    caption,
    x: { label: "step →" },
    y: { label: "↑ loss (nats/token)", grid: true, nice: true },
    fy: { label: null, domain: models },
    color: { legend: true, domain: STAGES, range: STAGE_COLORS, tickFormat: (s) => STAGE_LABELS[s] ?? s },
    marks: [
      Plot.frame({ strokeOpacity: 0.15 }),
      Plot.lineY(data, {
        fy: "model",
        x: "global_step",
        y: "loss",
        stroke: "stage",
        z: "stage",
        strokeWidth: 1.5,
        tip: true,
        title: (d) => `${d.model} · ${d.stage} · step ${d.step}\ntrain loss ${d.loss.toFixed(3)}`,
      }),
      Plot.lineY(val, {
        fy: "model",
        x: "global_step",
        y: "val_loss",
        stroke: "stage",
        z: "stage",
        strokeDasharray: "4 3",
        strokeOpacity: 0.8,
      }),
      Plot.dot(val, { fy: "model", x: "global_step", y: "val_loss", stroke: "stage", r: 2, fill: "var(--theme-background)" }),
    ],
  });
}

/** Mean tokens per second per model and stage. `rows`: model, stage, tokens_per_s, backend. */
export function ThroughputChart(rows, { width, caption } = {}) {
  const data = Array.from(rows);
  return Plot.plot({
    width,
    height: 40 + data.length * 24,
    marginLeft: 170,
    marginRight: 70,
    caption,
    x: { label: "tokens / s →", grid: true },
    y: { label: null, domain: data.map((d) => `${d.model} · ${d.stage}`) },
    color: { domain: STAGES, range: STAGE_COLORS },
    marks: [
      Plot.barX(data, {
        y: (d) => `${d.model} · ${d.stage}`,
        x: "tokens_per_s",
        fill: "stage",
        tip: true,
        title: (d) => `${d.model} · ${d.stage}: ${Math.round(d.tokens_per_s).toLocaleString("en-US")} tokens/s on ${d.backend}`,
      }),
      Plot.text(data, {
        y: (d) => `${d.model} · ${d.stage}`,
        x: "tokens_per_s",
        text: (d) => Math.round(d.tokens_per_s).toLocaleString("en-US"),
        dx: 4,
        textAnchor: "start",
      }),
      Plot.ruleX([0]),
    ],
  });
}

/** ω (band: 95% interval) against the warm-up fraction, per dimension, seen vs held-out upstreams. */
export function SweepChart(rows, { width, caption } = {}) {
  const data = Array.from(rows);
  return Plot.plot({
    width,
    height: 280,
    marginRight: 20,
    caption,
    x: { percent: true, label: "warm-up fraction (%) →" },
    y: { percent: true, label: "↑ ω (%)", tickFormat: signedTick, grid: true, nice: true },
    fx: { label: null, domain: DIMENSIONS, tickFormat: (d) => ({ helpful: "Helpfulness", harmless: "Harmlessness" })[d] ?? d },
    color: {
      legend: true,
      domain: ["seen", "heldout"],
      range: ["var(--theme-foreground-focus)", "#e7a03c"],
      tickFormat: (k) => (k === "heldout" ? "held-out upstreams" : "seen upstreams"),
    },
    marks: [
      Plot.frame({ strokeOpacity: 0.15 }),
      Plot.ruleY([0], { strokeOpacity: 0.5 }),
      Plot.areaY(data, {
        fx: "dimension",
        x: "warmup_fraction",
        y1: "omega_lo",
        y2: "omega_hi",
        fill: "upstream_kind",
        fillOpacity: 0.15,
        z: "upstream_kind",
      }),
      Plot.lineY(data, {
        fx: "dimension",
        x: "warmup_fraction",
        y: "omega",
        stroke: "upstream_kind",
        z: "upstream_kind",
        marker: "circle",
      }),
      Plot.tip(
        data,
        Plot.pointer({
          fx: "dimension",
          x: "warmup_fraction",
          y: "omega",
          title: (d) =>
            `warm-up ${Math.round(d.warmup_fraction * 100)}%, ${d.upstream_kind === "heldout" ? "held-out" : "seen"}: ω ${fmtOmega(d.omega)} ${interval(d.omega_lo, d.omega_hi)} (n = ${d.n})`,
        }),
      ),
    ],
  });
}
