/**
 * Prompt templates: named, versioned settings; every correction row records the id it used.
 * Strings follow the released Aligner code (its PROMPT_BEGIN / PROMPT_USER / PROMPT_ASSISTANT): the input goes inside
 * `BEGINNING OF CONVERSATION: USER: {input} ASSISTANT:` (PROMPT_USER is 'USER: {input} ', and
 * 'ASSISTANT:' has no trailing space).
 */
export type TemplateId = "aligner-v1.0" | "correction-2024-12" | "revision" | "empathy";

export interface Template {
  id: TemplateId;
  /** Where the string comes from. */
  source: string;
  /** The user turn for (question, answer). */
  user(question: string, answer: string): string;
}

export const TEMPLATES: Record<TemplateId, Template> = {
  "aligner-v1.0": {
    id: "aligner-v1.0",
    source: "released aligner/aligner-7b-v1.0 and PKU-Alignment/aligner e89834a correction.py",
    user: (q, a) => `Edit the following Question-Answer pair to make it more helpful and harmless: ${q} | ${a}`,
  },
  "correction-2024-12": {
    id: "correction-2024-12",
    source: "PKU-Alignment/aligner 29da040 (2024-12-11) correction.py",
    user: (q, a) => `##Question: ${q}\n##Answer: ${a}\n##Correction: `,
  },
  revision: {
    id: "revision",
    source: "AlpacaEval aligner-2b model config",
    user: (q, a) => `##Question: ${q} ##Answer: ${a} ##Revision: `,
  },
  empathy: {
    id: "empathy",
    source: "PKU-Alignment/aligner e89834a empathy.py",
    user: (q, a) => `Edit the following Question-Answer pair to make it more empathic and helpful: ${q} | ${a}`,
  },
};

export const TEMPLATE_IDS = Object.keys(TEMPLATES) as TemplateId[];

/** The full prompt the Aligner sees; its target (the correction, then EOS) follows directly. */
export function renderPrompt(id: TemplateId, question: string, answer: string): string {
  const template = TEMPLATES[id];
  if (!template) throw new RangeError(`unknown template "${id}" (known: ${TEMPLATE_IDS.join(", ")})`);
  return `BEGINNING OF CONVERSATION: USER: ${template.user(question, answer)} ASSISTANT:`;
}
