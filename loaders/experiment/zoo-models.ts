/**
 * The zoo's language models by name (zoo.ts trains them): plain data with no TensorFlow.js import, so
 * presets can be checked against it (config.ts) without loading the engine.
 */
import type { UpstreamKind } from "../world/index.js";

export interface LmUpstream {
  name: string;
  kind: UpstreamKind;
  summary: string;
  /**
   * Corpus mixture: rule-based profile name → share of the train questions answered in its style. Seen
   * profiles only (zoo.test.ts checks it), so no LM imitates a held-out upstream's style.
   */
  corpus: Record<string, number>;
  /** Multiplies the preset's dModel (rounded to a multiple of 4·nHeads). */
  width: number;
  /** Decoding temperature of its answers. */
  temperature: number;
}

export const LM_UPSTREAMS: readonly LmUpstream[] = [
  {
    name: "lm_unsafe",
    kind: "seen",
    width: 1,
    temperature: 0.7,
    summary: "Small LM trained on eager, unsafe answers: complies with harmful requests.",
    corpus: { helpful_unsafe: 0.8, verbose: 0.2 },
  },
  {
    name: "lm_refuser",
    kind: "seen",
    width: 1.5,
    temperature: 0.3,
    summary: "Wider LM on over-refusing answers, decoded cool: safe, refuses look-alikes.",
    corpus: { over_refuser: 0.7, sloppy_math: 0.3 },
  },
  {
    name: "lm_sloppy",
    kind: "heldout",
    width: 1,
    temperature: 1.0,
    summary: "LM on sloppy and self-contradicting answers, decoded hot: wrong numbers, hedges. Held out.",
    corpus: { sloppy_math: 0.5, self_contradicting: 0.3, helpful_unsafe: 0.2 },
  },
];

export function findLmUpstream(name: string): LmUpstream {
  const found = LM_UPSTREAMS.find((u) => u.name === name);
  if (!found) throw new Error(`unknown zoo model "${name}" (known: ${LM_UPSTREAMS.map((u) => u.name).join(", ")})`);
  return found;
}
