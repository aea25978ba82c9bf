/**
 * The copy rule, our extension to the paper's Aligner (not part of its method): a copy of the answer
 * competes with the decoded correction, and the correction replaces the answer only if the Aligner
 * finds it likelier by a margin and its weakest token is not a guess. `calibrateCopyRule` chooses the
 * rule on the Aligner's validation rows.
 */
import { encodeExample, generateTexts, type Decoding, type Generated } from "../engine/lm.js";
import type { Logger } from "../engine/log.js";
import { scoreTokens } from "../engine/dpo.js";
import type { GPT } from "../engine/model.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { clusteredStandardError } from "./bootstrap.js";
import { renderPrompt, type TemplateId } from "./templates.js";

/**
 * When the decoded correction replaces the answer (preferCopies below): only if it is likelier
 * than the copy by more than `margin` nats and each of its tokens had probability ≥ `minTokenProb`.
 * { margin: 0, minTokenProb: 0 } keeps the likelier of the two.
 */
export interface CopyRule {
  margin: number;
  minTokenProb: number;
}

export const LIKELIER_OF_TWO: Readonly<CopyRule> = Object.freeze({ margin: 0, minTokenProb: 0 });

/** The cache-key part of a copy rule (empty for the likelier-of-two, so older stages keep their keys). */
export const copyRuleKey = (rule: CopyRule) => ({
  ...(rule.margin ? { copyMargin: rule.margin } : {}),
  ...(rule.minTokenProb ? { minTokenProb: rule.minTokenProb } : {}),
});

/**
 * Of two complete candidates per prompt, the decoded text and the answer itself (a copy), keeps the
 * decoded text only where `rule` lets it replace the answer. With the default rule that is the one
 * the model finds likelier: greedy decoding can leave the copy the model prefers on its first
 * uncertain token. Both are scored as training scores a target (summed log-probs, EOS included).
 */
export function preferCopies(
  model: GPT,
  tok: Tokenizer,
  prompts: readonly string[],
  answers: readonly string[],
  generated: readonly Generated[],
  rule: CopyRule = LIKELIER_OF_TWO,
): Generated[] {
  const candidates = _scoreCandidates(model, tok, prompts, answers, generated);
  const out = [...generated];
  candidates.open.forEach((i, k) => {
    if (!_keepsDecoded(candidates, k, rule)) out[i] = { text: answers[i]!, hitLimit: false };
  });
  return out;
}

interface Candidates {
  /** Rows whose decoded text is not already a copy. */
  open: number[];
  /** Per open row: the decoded text's summed and least token log-prob, the copy's summed log-prob. */
  decoded: Float64Array;
  weakest: Float64Array;
  copies: Float64Array;
}

function _scoreCandidates(
  model: GPT,
  tok: Tokenizer,
  prompts: readonly string[],
  answers: readonly string[],
  generated: readonly Generated[],
): Candidates {
  const open = generated.flatMap((g, i) => (g.text === answers[i] ? [] : [i])); // already copies need no scoring
  // Both candidates scored the same way, so that their comparison is exact.
  const decoded = scoreTokens(
    model,
    open.map((i) => encodeExample(tok, prompts[i]!, generated[i]!.text)),
  );
  const copies = scoreTokens(
    model,
    open.map((i) => encodeExample(tok, prompts[i]!, answers[i]!)),
  ).sum;
  return { open, decoded: decoded.sum, weakest: decoded.min, copies };
}

const _keepsDecoded = (c: Candidates, k: number, rule: CopyRule): boolean =>
  c.decoded[k]! - c.copies[k]! > rule.margin && (rule.minTokenProb <= 0 || c.weakest[k]! >= Math.log(rule.minTokenProb));

/** One candidate rule's outcome on the validation rows. */
export interface RuleScore {
  margin: number;
  min_token_prob: number;
  /** Mean oracle helpfulness and harmlessness of the kept outputs. */
  helpful: number;
  harmless: number;
  copy_rate: number;
  /** How far the rule's mean helpfulness + harmlessness lies below the best rule's, and that gap's paired standard error. */
  gap: number;
  gap_se: number;
}

/** A candidate rule's scores and its per-row helpfulness + harmlessness on the validation rows. */
export type RuleOutcome = Omit<RuleScore, "gap" | "gap_se"> & { perRow: number[] };

/**
 * The one-standard-error choice among candidate rules: the best by mean score, then every rule whose
 * mean lies within one paired standard error of it, and of those the strictest (the highest copy rate;
 * then the larger margin and probability). `questions` (one per row) makes the standard error
 * question-clustered (bootstrap.ts), the unit of every interval; without it each row is its own
 * question. Returns the choice, the best, the close rules and every rule's gap.
 */
export function chooseCopyRule(
  rules: readonly RuleOutcome[],
  questions?: readonly string[],
): {
  chosen: RuleScore;
  best: RuleScore;
  close: RuleScore[];
  curve: RuleScore[];
} {
  if (rules.length === 0) throw new Error("chooseCopyRule: no rules");
  const best = rules.reduce((a, b) => (b.helpful + b.harmless > a.helpful + a.harmless + 1e-12 ? b : a));
  const n = best.perRow.length;
  const keys = questions ?? best.perRow.map((_, i) => String(i));
  const curve: RuleScore[] = rules.map(({ perRow, ...rule }) => {
    const gaps = best.perRow.map((x, i) => x - perRow[i]!);
    const gap = gaps.reduce((a, b) => a + b, 0) / Math.max(1, n);
    return { ...rule, gap, gap_se: clusteredStandardError(gaps, keys) };
  });
  const close = curve.filter((c) => c.gap <= c.gap_se + 1e-12);
  const stricter = (a: RuleScore, b: RuleScore) =>
    b.copy_rate > a.copy_rate ||
    (b.copy_rate === a.copy_rate && (b.margin > a.margin || (b.margin === a.margin && b.min_token_prob > a.min_token_prob)));
  return { chosen: close.reduce((a, b) => (stricter(a, b) ? b : a)), best: curve[rules.indexOf(best)]!, close, curve };
}

/** The prompts `calibrateCopyRule` decodes: each row's question and answer in the template. */
export const calibrationPrompts = (rows: readonly { question: string; answer: string }[], template: TemplateId) =>
  rows.map((r) => renderPrompt(template, r.question, r.answer));

/**
 * Calibrates the copy rule on held-out rows with known scores (the Aligner's validation split): decodes
 * each row once, then for every (margin, minTokenProb) pair keeps the decoded text only where the rule
 * lets it replace the answer, and scores the kept outputs (helpfulness + harmlessness per row). It
 * returns, with every rule's scores, the strictest rule (the most copies; then the larger margin and
 * probability) among those within one standard error of the best: the one-standard-error rule of
 * Breiman et al. (1984), here for a shift the validation rows cannot show. Rules the validation rows
 * cannot tell apart differ where the Aligner is unsure, and on new kinds of questions an edit it is
 * unsure of breaks more answers than it mends (README: "What the default run finds"). The margin is a
 * prior for leaving an answer alone; the probability floor refuses edits whose weakest token is a guess.
 */
export function calibrateCopyRule(
  model: GPT,
  tok: Tokenizer,
  rows: readonly { question: string; answer: string }[],
  template: TemplateId,
  {
    decoding,
    margins,
    minTokenProbs = [0],
    score,
    log,
    generated: decoded,
  }: {
    decoding: Decoding;
    margins: readonly number[];
    minTokenProbs?: readonly number[];
    score: (row: number, text: string) => { helpful: number; harmless: number };
    log: Logger;
    /** The rows' decoded texts when already at hand (`generateTextsOn(calibrationPrompts(…), decoding)`); decoded here otherwise. */
    generated?: readonly Generated[];
  },
): CopyRule & { curve: RuleScore[] } {
  if (margins.length === 0 || minTokenProbs.length === 0) throw new Error("calibrateCopyRule: no margins or probabilities to choose from");
  const prompts = calibrationPrompts(rows, template);
  const answers = rows.map((r) => r.answer);
  const generated = [...(decoded ?? generateTexts(model, tok, prompts, decoding, log, "calibrate copy rule"))];
  if (generated.length !== rows.length) throw new Error(`calibrateCopyRule: ${generated.length} decoded texts for ${rows.length} rows`);
  const candidates = _scoreCandidates(model, tok, prompts, answers, generated);
  const openAt = new Map(candidates.open.map((i, k) => [i, k]));
  const judged = new Map<string, { helpful: number; harmless: number }>();
  const judge = (i: number, text: string) => {
    const key = `${i}\u0000${text}`;
    if (!judged.has(key)) judged.set(key, score(i, text));
    return judged.get(key)!;
  };
  const n = Math.max(1, rows.length);
  const rules: RuleOutcome[] = [];
  for (const margin of [...margins].sort((a, b) => a - b)) {
    for (const minTokenProb of [...minTokenProbs].sort((a, b) => a - b)) {
      let helpful = 0;
      let harmless = 0;
      let copies = 0;
      const perRow = rows.map((r, i) => {
        const k = openAt.get(i);
        const copy = k === undefined || !_keepsDecoded(candidates, k, { margin, minTokenProb });
        const s = judge(i, copy ? r.answer : generated[i]!.text);
        helpful += s.helpful;
        harmless += s.harmless;
        copies += copy ? 1 : 0;
        return s.helpful + s.harmless;
      });
      rules.push({ margin, min_token_prob: minTokenProb, helpful: helpful / n, harmless: harmless / n, copy_rate: copies / n, perRow });
    }
  }
  const { chosen, best, curve, close } = chooseCopyRule(
    rules,
    rows.map((r) => r.question),
  );
  log.info(
    `copy rule: margin ${chosen.margin} nats, token probability ≥ ${chosen.min_token_prob} (score ${(chosen.helpful + chosen.harmless).toFixed(3)}, the strictest of ${close.length} rules within one standard error of the best ` +
      `${(best.helpful + best.harmless).toFixed(3)}, of ${curve.length} on ${rows.length} validation rows; likelier-of-two ${(curve[0]!.helpful + curve[0]!.harmless).toFixed(3)})`,
  );
  return { margin: chosen.margin, minTokenProb: chosen.min_token_prob, curve };
}
