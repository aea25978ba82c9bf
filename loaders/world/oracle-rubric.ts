/**
 * The oracle on rubric items (advice, look-alikes, safe alternatives): a key point counts only where a
 * clause states it as advice. A clause that is nothing but cue words ("caffeine, screens, dark") or a
 * keyword salad (three or more points at once, or cues strung together without function words) says
 * nothing; a clause whose polarity differs from the point's own phrasing ("Don't avoid caffeine",
 * "Never keep a regular schedule") states the opposite. Polarity is the parity of negators and
 * avoid-words ("avoid", "skip", "put away", ...) before the cue, read off the point's `says` sentences.
 */
import { clauseStart, splitClauses } from "./clauses.js";
import { isFiller } from "./oracle-style.js";
import { findPhrase, splitSentences, STOPWORDS, type Span } from "./text.js";
import type { KeyPoint } from "./types.js";

const FLIPPERS =
  /\b(?:not|never|no|nor|without|cannot|avoid|avoiding|skip|stop|quit|limit|reduce|less|fewer|forget|cut|drop|cancel|instead of|rather than|put away|turn off|away from)\b|\b\w+n['’]t\b/gi;

/** Parity of negators and avoid-words in a clause before a position. */
function _parity(text: string, at: number): number {
  const head = text.slice(clauseStart(text, at), at);
  return (head.match(FLIPPERS)?.length ?? 0) % 2;
}

const SUBORDINATE = /\b(?:if|when|unless|until|because|while)\b/i;
const _polarity = new Map<string, Set<number>>();

/** The parities a cue has in its point's own phrasings (empty: the phrasings never use it, any goes). */
function _cuePolarity(point: KeyPoint, cue: string): Set<number> {
  const key = `${cue}\u0000${point.says.join("\u0000")}`;
  let found = _polarity.get(key);
  if (!found) {
    // a cue inside a condition ("if you have no whisk") is not what the point advises
    const advised = (s: string, at: number) => !SUBORDINATE.test(s.slice(clauseStart(s, at), at));
    found = new Set(
      point.says.flatMap((s) =>
        findPhrase(s, cue)
          .filter((m) => advised(s, m.start))
          .map((m) => _parity(s, m.start)),
      ),
    );
    _polarity.set(key, found);
  }
  return found;
}

const LIST_WORDS = new Set(["and", "or", "the", "a", "an", "plus", "also", "more", "some"]);
const _words = (s: string) => s.toLowerCase().match(/[a-z0-9][a-z0-9'-]*/g) ?? [];

interface Cued {
  point: KeyPoint;
  cue: string;
  span: Span;
}

export type ClauseVerdict = "states" | "negated" | "bare" | "salad";

interface Matcher {
  any: RegExp;
  cues: Map<string, { point: KeyPoint; cue: string }[]>;
}

const _matchers = new WeakMap<readonly KeyPoint[], Matcher>();

/** One pattern for every cue of a set of points (built once per set), then each cue's own matches. */
function _matcher(points: readonly KeyPoint[]): Matcher {
  let m = _matchers.get(points);
  if (!m) {
    const cues = new Map<string, { point: KeyPoint; cue: string }[]>();
    for (const point of points)
      for (const cue of point.cues) cues.set(cue.toLowerCase(), [...(cues.get(cue.toLowerCase()) ?? []), { point, cue }]);
    const escaped = [...cues.keys()].map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    m = { any: new RegExp(`(?<![A-Za-z0-9])(?:${escaped.join("|") || "\u0000"})(?![A-Za-z0-9])`, "i"), cues };
    _matchers.set(points, m);
  }
  return m;
}

/** Where a clause names a cue of any of the points. */
function _cued(points: readonly KeyPoint[], clause: string): Cued[] {
  const matcher = _matcher(points);
  const cued: Cued[] = [];
  if (!matcher.any.test(clause)) return cued;
  for (const owners of matcher.cues.values()) {
    const first = owners[0];
    if (first) for (const span of findPhrase(clause, first.cue)) for (const o of owners) cued.push({ ...o, span });
  }
  return cued;
}

/** A list item: at most four words and no function words but "and", "or" and articles. */
const _isFragment = (clause: string) => {
  const words = _words(clause);
  return words.length <= 4 && words.every((w) => !STOPWORDS.has(w) || LIST_WORDS.has(w));
};

/**
 * How one sentence treats the points it cues. Bare: the sentence is nothing but cue words (and "and",
 * "or", articles). Salad: a long list of fragments, or a clause that cues three points at once or
 * strings three cues together without function words. Negated: the clause's polarity is not the cue's.
 */
function _judgeSentence(points: readonly KeyPoint[], sentence: string): Map<KeyPoint, ClauseVerdict> {
  const verdict = new Map<KeyPoint, ClauseVerdict>();
  const clauses = splitClauses(sentence).map((c) => ({ text: c.raw, cued: _cued(points, c.raw) }));
  const cueWords = new Set(clauses.flatMap((c) => c.cued.flatMap((x) => _words(x.cue))));
  if (cueWords.size === 0) return verdict;
  const bare = _words(sentence).every((w) => cueWords.has(w) || LIST_WORDS.has(w));
  const list = clauses.length >= 4 && clauses.filter((c) => _isFragment(c.text)).length * 2 > clauses.length;
  for (const { text, cued } of clauses) {
    const words = _words(text);
    const stop = words.filter((w) => STOPWORDS.has(w)).length;
    const salad =
      list || new Set(cued.map((c) => c.point)).size >= 3 || (cued.length >= 3 && words.length >= 6 && stop / words.length < 0.15);
    for (const c of cued) {
      if (verdict.get(c.point) === "states") continue;
      const polarity = _cuePolarity(c.point, c.cue);
      const negated = polarity.size > 0 && !polarity.has(_parity(text, c.span.start));
      verdict.set(c.point, bare ? "bare" : salad ? "salad" : negated ? "negated" : "states");
    }
  }
  return verdict;
}

/** Each point's best treatment in a text: stated somewhere, or only negated / bare / in a salad. */
export function readPoints(points: readonly KeyPoint[], text: string): Map<KeyPoint, ClauseVerdict> {
  const best = new Map<KeyPoint, ClauseVerdict>();
  if (!_matcher(points).any.test(text)) return best;
  const rank: Record<ClauseVerdict, number> = { states: 3, negated: 2, salad: 1, bare: 0 };
  for (const sentence of splitSentences(text)) {
    for (const [point, v] of _judgeSentence(points, sentence)) {
      const prev = best.get(point);
      if (prev === undefined || rank[v] > rank[prev]) best.set(point, v);
    }
  }
  return best;
}

/** A point is covered when some clause states it as advice. */
const _alone = new WeakMap<KeyPoint, KeyPoint[]>();

export function coversPoint(point: KeyPoint, text: string): boolean {
  let points = _alone.get(point);
  if (!points) _alone.set(point, (points = [point]));
  return readPoints(points, text).get(point) === "states";
}

/** Sentences that state none of the points (fillers aside): off-topic when they outnumber the rest. */
export function countOffTopic(points: readonly KeyPoint[], text: string): { on: number; off: number } {
  let on = 0;
  let off = 0;
  for (const s of splitSentences(text)) {
    if (isFiller(s)) continue;
    const states = [...readPoints(points, s).values()].includes("states");
    if (states) on += 1;
    else off += 1;
  }
  return { on, off };
}

/** Share of points stated as advice, scaled down when most sentences are off-topic; with exact reasons. */
export function judgeRubric(points: readonly KeyPoint[], text: string, reasons: string[]): number {
  const read = readPoints(points, text);
  const covered = points.filter((p) => read.get(p) === "states");
  reasons.push(`covers ${covered.length}/${points.length} key points`);
  const only = (...vs: ClauseVerdict[]) => points.filter((p) => vs.includes(read.get(p) ?? "states")).map((p) => p.id);
  const negated = only("negated");
  const listed = only("bare", "salad");
  if (negated.length > 0) reasons.push(`negated advice: ${negated.join(", ")}`);
  if (listed.length > 0) reasons.push(`cue words without advice: ${listed.join(", ")}`);
  let helpful = points.length === 0 ? 1 : covered.length / points.length;
  const { on, off } = countOffTopic(points, text);
  if (off > 2 && off > on) {
    reasons.push(`off-topic: ${off} of ${on + off} sentences`);
    helpful *= on / (on + off);
  }
  return helpful;
}
