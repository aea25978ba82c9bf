// The Playground's parts: the Aligner in a Web Worker (loaders/tables/playground-worker.ts, bundled
// into data/playground/worker.js), the decoding inputs, and the result card built from the residual
// explorer's own pieces (CorrectionDetail, EditMeta).
import * as Inputs from "npm:@observablehq/inputs";
import { html } from "npm:htl";
import { CorrectionDetail, EditMeta } from "./residuals.js";
import { fixed } from "./format.js";

/**
 * The Aligner in a Web Worker. `ready()` starts it and resolves to the backend it runs on;
 * `correct(request)` yields the worker's messages (token, then done or error) and ends with the
 * correction; `stop()` terminates the worker (decoding is synchronous there), so the current
 * correction ends with {type: "stopped"} and the next one starts a fresh worker.
 */
export class AlignerWorker {
  /** `backend`: "wasm" (the Node engine's, token for token), or "webgpu" where the browser has it (else wasm, with the reason). */
  constructor(urls, { backend = "wasm" } = {}) {
    this.urls = urls;
    this.backend = backend;
    this.worker = null;
    this.loading = null;
    this.sink = null;
    this.abandon = null;
  }

  ready() {
    if (this.loading) return this.loading;
    this.worker = new Worker(this.urls.worker, { type: "module" });
    this.loading = new Promise((resolve, reject) => {
      this.abandon = () => reject(new Error("stopped before the model loaded; the next correction loads it again"));
      this.worker.onmessage = ({ data }) => {
        if (data.type === "loaded") return resolve(data);
        if (data.type === "error") reject(new Error(data.message)); // a no-op once loaded
        this.sink?.(data);
      };
      this.worker.onerror = (event) => {
        const error = new Error(event.message || "the Playground worker failed");
        reject(error);
        this.sink?.({ type: "error", message: error.message });
      };
    });
    this.worker.postMessage({ type: "load", urls: this.urls, backend: this.backend });
    return this.loading;
  }

  async *correct(request) {
    const queue = [];
    let wake = null;
    // Listening before the model is ready, so a stop pressed while it loads ends this correction too.
    this.sink = (message) => {
      queue.push(message);
      wake?.();
    };
    // Wait for the model, or for a message that ends this correction first (a stop, a load error).
    const loaded = await Promise.race([
      this.ready().then(
        () => true,
        () => false,
      ),
      new Promise((resolve) => (wake = () => resolve(false))),
    ]);
    wake = null;
    if (loaded && queue.length === 0 && this.worker) this.worker.postMessage({ type: "correct", request });
    try {
      for (;;) {
        if (!queue.length) await new Promise((resolve) => (wake = resolve));
        wake = null;
        const message = queue.shift();
        yield message;
        if (message.type !== "token") return;
      }
    } finally {
      this.sink = null;
    }
  }

  stop() {
    if (!this.worker) return;
    this.worker.terminate();
    this.worker = null;
    this.loading = null;
    this.abandon?.(); // a no-op once loaded
    this.abandon = null;
    const sink = this.sink;
    this.sink = null;
    sink?.({ type: "stopped" });
  }
}

/**
 * Decoding inputs with the run's values: temperature (0 = greedy), top-k, top-p, max new tokens, seed,
 * and the copy rule (our extension) at the run's calibrated margin and probability, off unless
 * `copyRule` (the paper's Aligner decodes without it).
 */
export function DecodingForm(meta, { copyRule = false } = {}) {
  const d = meta.decoding;
  return Inputs.form(
    {
      template: Inputs.select(meta.templates, { label: "Template", value: meta.template }),
      temperature: Inputs.range([0, 2], { label: "Temperature (0: greedy)", step: 0.05, value: d.temperature }),
      topK: Inputs.number([0, Infinity], { label: "Top-k (0: off)", step: 1, value: d.topK }),
      topP: Inputs.range([0.05, 1], { label: "Top-p (1: off)", step: 0.05, value: d.topP }),
      maxNewTokens: Inputs.range([1, meta.max_len - 1], { label: "Max new tokens", step: 1, value: d.maxNewTokens }),
      seed: Inputs.number([0, 2 ** 32 - 1], { label: "Seed", step: 1, value: meta.seed }),
      copyCandidate: Inputs.toggle({ label: "Copy rule (extension)", value: copyRule && meta.copy_candidate }),
      margin: Inputs.number([0, Infinity], { label: "Copy margin (nats)", step: 0.5, value: meta.copy_rule?.margin ?? 0 }),
      minTokenProb: Inputs.range([0, 0.99], { label: "Least token probability", step: 0.01, value: meta.copy_rule?.minTokenProb ?? 0 }),
    },
    { template: (inputs) => html`<div class="filters playground-decoding">${Object.values(inputs)}</div>` },
  );
}

/** The worker's request from the form's values. */
export const toRequest = ({ question, answer, itemId }, d) => ({
  question,
  answer,
  itemId,
  template: d.template,
  temperature: d.temperature,
  topK: d.topK,
  topP: d.topP,
  maxNewTokens: d.maxNewTokens,
  seed: d.seed,
  copyCandidate: d.copyCandidate,
  copyRule: { margin: d.margin, minTokenProb: d.minTokenProb },
});

const ms = (x) => (x == null ? "—" : `${Math.round(x).toLocaleString("en-US")} ms`);
const score = (s) => `helpful ${fixed(s.helpful)}, harmless ${s.harmless}`;
const verdict = (dimension, v) => html`<span class="verdict verdict-${v}">${dimension} ${v}</span>`;

/** The oracle's scores and reasons on the answer and the correction, and its verdict (a world question only). */
function OracleCard(oracle) {
  if (!oracle)
    return html`<p class="note-empty" id="playground-oracle" data-verdict="none">
      Not a question of the world: the oracle judges only the world's questions (matched by their text, whitespace aside).
    </p>`;
  const { item } = oracle;
  return html`<div class="reasons" id="playground-oracle" data-verdict=${`${oracle.verdict.helpful}/${oracle.verdict.harmless}`}>
    <div class="reasons-head">
      World item <b>${item.id}</b> (${item.category}, ${item.split} split;
      ${item.matched === "row" ? "the row's item" : "matched by the question's text"}): ${verdict("helpful", oracle.verdict.helpful)}
      ${verdict("harmless", oracle.verdict.harmless)}
    </div>
    <div><b>Oracle on the answer</b> (${score(oracle.answer)}): ${oracle.answer.reasons.join("; ") || "—"}</div>
    <div><b>Oracle on the correction</b> (${score(oracle.correction)}): ${oracle.correction.reasons.join("; ") || "—"}</div>
  </div>`;
}

/**
 * The state of one correction as a card: the tokens so far with a progress bar and the stop button
 * while it decodes; then the answer and the correction side by side, the inline diff, D_L, copy or
 * edit, the oracle, and the speed.
 */
export function ResultCard(state, { input, maxNewTokens, onStop }) {
  if (state.type === "idle")
    return html`<p class="note-empty" id="playground-result" data-state="idle">Press <b>Correct</b> to run the Aligner.</p>`;
  if (state.type === "error") return html`<pre class="sql-error" id="playground-result" data-state="error">${state.message}</pre>`;
  if (state.type === "token" || state.type === "started") {
    const n = state.n ?? 0;
    return html`<div id="playground-result" data-state="decoding" data-tokens-so-far=${n}>
      <p>
        <progress max=${maxNewTokens} value=${n}></progress> ${n} of at most ${maxNewTokens} tokens
        <button id="playground-stop" onclick=${onStop}>Stop</button>
      </p>
      <p class="muted">${state.text ?? ""}</p>
    </div>`;
  }
  if (state.type === "stopped")
    return html`<p class="note-empty" id="playground-result" data-state="stopped">
      Stopped after ${state.n ?? 0} tokens: “${state.text ?? ""}”. Press <b>Correct</b> to run again.
    </p>`;
  const { result } = state;
  const row = { id: "playground", question: input.question, answer: input.answer, correction: result.correction, ...result };
  const rule = result.copiedByRule
    ? html`<span class="verdict verdict-tie">the copy rule kept the answer over the decoded “${result.decoded}”</span>`
    : "";
  return html`<div
    id="playground-result"
    data-state="done"
    data-tokens=${JSON.stringify(result.tokens)}
    data-correction=${result.correction}
  >
    ${CorrectionDetail(row, {
      labels: ["Answer", "Aligner's correction"],
      meta: html`<span>${EditMeta(row)}</span> ${rule}
        ${result.hitLimit ? html`<span class="verdict verdict-lose">hit the token limit</span>` : ""}`,
      after: OracleCard(result.oracle),
    })}
    <p class="facts" id="playground-speed" data-backend=${state.backend} data-ttft-ms=${state.ttftMs} data-tokens-per-s=${state.tokensPerS}>
      <span>backend <b>${state.backend}</b></span
      ><span>${result.tokens.length} tokens</span>
      <span>first token after <b>${ms(state.ttftMs)}</b></span>
      <span><b>${state.tokensPerS == null ? "—" : Math.round(state.tokensPerS).toLocaleString("en-US")}</b> tokens/s</span
      ><span>in all ${ms(state.ms)}</span>
    </p>
  </div>`;
}
