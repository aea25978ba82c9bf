/**
 * Word-level diff between an answer and its correction, for the residual explorer: an LCS over word,
 * punctuation and whitespace tokens (so the rendering keeps the original spacing), merged into runs
 * of equal, deleted and inserted text, and rendered inline or side by side with <del> and <ins>.
 */
export type DiffOp = "equal" | "delete" | "insert";
export interface DiffPart {
  op: DiffOp;
  text: string;
}

/** Words, single punctuation marks and whitespace runs; joining the tokens gives the text back. */
export function diffTokens(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
}

/** Above this many DP cells the diff gives up and shows the whole text as replaced. */
const MAX_CELLS = 4_000_000;

/**
 * The word-level diff of `a` → `b` as merged parts: equal text, then deletions before insertions at
 * each change. Concatenating equal+delete parts gives `a`; equal+insert parts gives `b`.
 */
export function wordDiff(a: string, b: string): DiffPart[] {
  const x = diffTokens(a);
  const y = diffTokens(b);
  // Trim the common prefix and suffix: most corrections touch one span.
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) (endX--, endY--);
  const parts: DiffPart[] = [];
  const push = (op: DiffOp, text: string) => {
    if (!text) return;
    const last = parts[parts.length - 1];
    if (last && last.op === op) last.text += text;
    else parts.push({ op, text });
  };
  push("equal", x.slice(0, start).join(""));
  const n = endX - start;
  const m = endY - start;
  if (n * m > MAX_CELLS) {
    push("delete", x.slice(start, endX).join(""));
    push("insert", y.slice(start, endY).join(""));
  } else {
    // lcs[i][j] = LCS length of x[start+i:endX] and y[start+j:endY], filled backwards.
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] =
          x[start + i] === y[start + j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    let del = "";
    let ins = "";
    const flush = () => {
      push("delete", del);
      push("insert", ins);
      del = ins = "";
    };
    while (i < n || j < m) {
      if (i < n && j < m && x[start + i] === y[start + j]) {
        flush();
        push("equal", x[start + i]!);
        (i++, j++);
      } else if (j >= m || (i < n && lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) del += x[start + i++]!;
      else ins += y[start + j++]!;
    }
    flush();
  }
  push("equal", x.slice(endX).join(""));
  return _absorbWhitespace(parts);
}

/**
 * A lone whitespace run between two changes goes into both sides, so "a b" → "c d" reads as one
 * change; each run of changes becomes one deletion followed by one insertion.
 */
function _absorbWhitespace(parts: readonly DiffPart[]): DiffPart[] {
  const out: DiffPart[] = [];
  let del = "";
  let ins = "";
  const flush = () => {
    if (del) out.push({ op: "delete", text: del });
    if (ins) out.push({ op: "insert", text: ins });
    del = ins = "";
  };
  parts.forEach((p, k) => {
    const prev = parts[k - 1];
    const next = parts[k + 1];
    const between =
      p.op === "equal" && /^\s+$/.test(p.text) && prev !== undefined && prev.op !== "equal" && next !== undefined && next.op !== "equal";
    if (p.op === "delete" || between) del += p.text;
    if (p.op === "insert" || between) ins += p.text;
    if (p.op === "equal" && !between) {
      flush();
      out.push({ ...p });
    }
  });
  flush();
  return out;
}

/** Word tokens (no whitespace) deleted and inserted by a diff. */
export function diffStats(parts: readonly DiffPart[]): { deleted: number; inserted: number; kept: number } {
  const words = (s: string) => diffTokens(s).filter((t) => !/^\s+$/.test(t)).length;
  const stats = { deleted: 0, inserted: 0, kept: 0 };
  for (const p of parts) stats[p.op === "delete" ? "deleted" : p.op === "insert" ? "inserted" : "kept"] += words(p.text);
  return stats;
}

function _span(part: DiffPart): Node {
  if (part.op === "equal") return document.createTextNode(part.text);
  const el = document.createElement(part.op === "delete" ? "del" : "ins");
  el.className = `diff-${part.op}`;
  el.textContent = part.text;
  return el;
}

/** The answer → correction diff inline: deletions struck through, insertions underlined. */
export function InlineDiff(answer: string, correction: string): HTMLElement {
  const div = document.createElement("div");
  div.className = "diff diff-inline";
  const parts = wordDiff(answer, correction);
  if (parts.every((p) => p.op === "equal")) div.classList.add("diff-copy");
  div.append(...parts.map(_span));
  return div;
}

/** The answer (deletions marked) beside the correction (insertions marked). */
export function SideBySideDiff(answer: string, correction: string, labels = ["Answer", "Correction"]): HTMLElement {
  const parts = wordDiff(answer, correction);
  const column = (label: string, keep: DiffOp) => {
    const col = document.createElement("div");
    col.className = "diff diff-column";
    const h = document.createElement("div");
    h.className = "diff-label";
    h.textContent = label;
    const body = document.createElement("div");
    body.append(...parts.filter((p) => p.op === "equal" || p.op === keep).map(_span));
    col.append(h, body);
    return col;
  };
  const grid = document.createElement("div");
  grid.className = "diff-side-by-side";
  grid.append(column(labels[0]!, "delete"), column(labels[1]!, "insert"));
  return grid;
}
