/**
 * Number and text formats shared by the pages: ω and rates as signed percentages ("+12.3%"),
 * intervals, GSB counts, durations and sizes. Null and NaN print as an em dash.
 */
type Num = number | null | undefined;

const missing = (x: Num): x is null | undefined => x == null || Number.isNaN(x);
const DASH = "—";
const MINUS = "−";

/** A signed number with `digits` decimals and an optional unit: "+1.3 tokens", "−0.20", "0.0%". */
export function signed(x: Num, digits = 1, unit = ""): string {
  if (missing(x)) return DASH;
  const text = Math.abs(x).toFixed(digits);
  const sign = Number(text) === 0 ? "" : x > 0 ? "+" : MINUS;
  return `${sign}${text}${unit ? (unit === "%" ? "%" : ` ${unit}`) : ""}`;
}

/** ω (a fraction in [−1, 1]) as a signed percentage: 0.123 → "+12.3%". */
export const omega = (x: Num, digits = 1): string => (missing(x) ? DASH : signed(x * 100, digits, "%"));

/** A rate in [0, 1] as an unsigned percentage: 0.34 → "34.0%". */
export const percent = (x: Num, digits = 1): string => (missing(x) ? DASH : `${(x * 100).toFixed(digits)}%`);

/** A ω interval in percent: "[+8.1, +16.0]". */
export const interval = (lo: Num, hi: Num, digits = 1): string =>
  missing(lo) || missing(hi) ? "" : `[${signed(lo * 100, digits)}, ${signed(hi * 100, digits)}]`;

/** A plain number with fixed decimals: 0.2134 → "0.21". */
export const fixed = (x: Num, digits = 2): string => (missing(x) ? DASH : x.toFixed(digits).replace("-", MINUS));

/** An integer with thousands separators: 50000 → "50,000". */
export const count = (x: Num): string => (missing(x) ? DASH : Math.round(x).toLocaleString("en-US"));

/** GSB counts as the paper writes them, good / same / bad: "412 / 300 / 88". */
export const gsb = (win: Num, tie: Num, lose: Num): string => `${count(win)} / ${count(tie)} / ${count(lose)}`;

/** Seconds as "42 s", "3 min 05 s" or "1 h 02 min". */
export function duration(seconds: Num): string {
  if (missing(seconds)) return DASH;
  const s = Math.round(seconds);
  if (s < 60) return `${seconds < 10 ? seconds.toFixed(1) : s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}

/** Bytes as "812 B", "23.4 kB", "1.2 MB". */
export function bytes(n: Num): string {
  if (missing(n)) return DASH;
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) ((v /= 1000), u++);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** "seen" / "heldout" as page text. */
export const kind = (k: string | null | undefined): string => (k === "heldout" ? "held-out" : (k ?? DASH));

/**
 * Space-joined word tokens (residual_ops spans) back to readable text for display: contractions
 * rejoined, no space before closing punctuation. "I can ' t help ." → "I can't help."
 */
export const detokenize = (s: string): string =>
  s
    .replace(/(\p{L}) (['’]) (t|s|re|ve|ll|d|m)\b/gu, "$1$2$3")
    .replace(/ ([.,!?;:)\]])/g, "$1")
    .replace(/([(\[]) /g, "$1");
