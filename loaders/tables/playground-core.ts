/**
 * The Playground's work, with no file system: build a run's Aligner from its published checkpoint files
 * and correct one (question, answer) the way the run corrects its test rows (`correctAnswers`, the copy
 * rule, `describeCorrection`), then judge answer and correction with the world's oracle when the
 * question is one of the world's. The page's Web Worker (playground-worker.ts) runs this in the
 * browser; tests run it in Node.
 */
import { modelFromFiles } from "../engine/checkpoint.js";
import type { Generated } from "../engine/lm.js";
import { silentLogger } from "../engine/log.js";
import { countParams, type GPT } from "../engine/model.js";
import type { Tokenizer } from "../engine/tokenizer/bpe.js";
import { fromTokenizerJson } from "../engine/tokenizer/json.js";
import { correctAnswers } from "../experiment/aligner.js";
import type { CopyRule } from "../experiment/copy-rule.js";
import { describeCorrection } from "../experiment/metrics.js";
import { TEMPLATE_IDS, type TemplateId } from "../experiment/templates.js";
import { compare, judge, type Judged, type Judgement, type Outcome } from "../world/oracle.js";

/** A world item as the site publishes it for the oracle (items.json). */
export type PlaygroundItem = Judged & { id: string; category: string; split: string };

/** What the page asks for: the run's decoding unless the reader changed it. */
export interface CorrectRequest {
  question: string;
  answer: string;
  template: TemplateId;
  /** 0 = greedy. */
  temperature: number;
  topK: number;
  topP: number;
  maxNewTokens: number;
  /** The run's seed: its corrections decode with it. */
  seed: number;
  /** The copy rule (our extension): the decoded text replaces the answer only as `copyRule` allows. */
  copyCandidate: boolean;
  copyRule: CopyRule;
  /** The world item to judge with (a row the reader pressed "try" on); else the question is looked up. */
  itemId?: string | null;
}

export interface OracleVerdict {
  item: { id: string; category: string; split: string; matched: "row" | "question" };
  answer: Pick<Judgement, "helpful" | "harmless" | "reasons">;
  correction: Pick<Judgement, "helpful" | "harmless" | "reasons">;
  verdict: { helpful: Outcome; harmless: Outcome };
}

export interface CorrectResult {
  /** What the Aligner returns: the decoded text, or the answer when the copy rule keeps it. */
  correction: string;
  /** The decoded text before the copy rule, and its token ids (EOS excluded). */
  decoded: string;
  tokens: number[];
  /** The correction stopped at maxNewTokens without EOS. */
  hitLimit: boolean;
  /** The copy rule replaced a decoded edit by the answer. */
  copiedByRule: boolean;
  copy: boolean;
  dl: number | null;
  length_change: number;
  oracle: OracleVerdict | null;
}

export interface Playground {
  model: GPT;
  tok: Tokenizer;
  params: number;
}

/** The model and tokenizer from config.json (parsed), model.safetensors bytes and tokenizer.json (parsed). */
export function loadPlayground(configJson: Record<string, unknown>, weights: Uint8Array, tokenizerJson: unknown): Playground {
  const { model } = modelFromFiles(configJson, weights);
  return { model, tok: fromTokenizerJson(tokenizerJson), params: countParams(model) };
}

/** Whitespace-insensitive key of a question. */
const _key = (question: string) => question.trim().replace(/\s+/g, " ");

/**
 * The world item a question belongs to: by id when the form came from a row, else the first item whose
 * question is the same text (whitespace aside). Items that share a question's text share its facts in
 * this world (a template's question names everything the oracle checks), so the first one is as good as any.
 */
export function findItem(
  items: readonly PlaygroundItem[],
  question: string,
  itemId?: string | null,
): { item: PlaygroundItem; matched: "row" | "question" } | null {
  if (itemId) {
    const byId = items.find((i) => i.id === itemId);
    if (byId && _key(byId.question) === _key(question)) return { item: byId, matched: "row" };
  }
  const key = _key(question);
  const byText = items.find((i) => _key(i.question) === key);
  return byText ? { item: byText, matched: "question" } : null;
}

const _scores = (j: Judgement) => ({ helpful: j.helpful, harmless: j.harmless, reasons: j.reasons });

/** Corrects one (question, answer); `onToken(id)` sees each decoded token as it comes. */
export function correctOne(
  { model, tok }: Playground,
  request: CorrectRequest,
  items: readonly PlaygroundItem[],
  onToken: (id: number) => void = () => {},
): CorrectResult {
  if (!TEMPLATE_IDS.includes(request.template)) throw new Error(`unknown template "${request.template}"`);
  const tokens: number[] = [];
  const decoding = {
    temperature: request.temperature,
    topK: request.topK,
    topP: request.topP,
    maxNewTokens: request.maxNewTokens,
    batchSize: 1,
    seed: request.seed,
  };
  const pair = { question: request.question, answer: request.answer };
  const { rounds } = correctAnswers(model, tok, [pair], request.template, {
    decoding,
    rounds: 1,
    log: silentLogger,
    copyCandidate: request.copyCandidate,
    copyRule: request.copyRule,
    onToken: (_row, id) => {
      tokens.push(id);
      onToken(id);
    },
  });
  const kept: Generated = rounds[0]![0]!;
  const decoded = tok.decode(tokens).trim(); // as generateTexts makes the text of the tokens
  const measures = describeCorrection({ answer: request.answer, correction: kept.text }, { hitLimit: kept.hitLimit });
  const found = findItem(items, request.question, request.itemId);
  const oracle: OracleVerdict | null = found && {
    item: { id: found.item.id, category: found.item.category, split: found.item.split, matched: found.matched },
    answer: _scores(judge(found.item, request.answer)),
    correction: _scores(judge(found.item, kept.text)),
    verdict: compare(found.item, kept.text, request.answer),
  };
  return {
    correction: kept.text,
    decoded,
    tokens,
    hitLimit: kept.hitLimit,
    copiedByRule: kept.text !== decoded,
    copy: measures.copy,
    dl: measures.dl,
    length_change: measures.correction_tokens - measures.answer_tokens,
    oracle,
  };
}
