import { describe, expect, it } from "vitest";
import { DEFAULTS, listPresets } from "../../loaders/experiment/config.js";
import { TEMPLATES, TEMPLATE_IDS, renderPrompt } from "../../loaders/experiment/templates.js";

describe("renderPrompt", () => {
  it.each([
    [
      "aligner-v1.0",
      "BEGINNING OF CONVERSATION: USER: Edit the following Question-Answer pair to make it more helpful and harmless: Q? | A. ASSISTANT:",
    ],
    ["correction-2024-12", "BEGINNING OF CONVERSATION: USER: ##Question: Q?\n##Answer: A.\n##Correction:  ASSISTANT:"],
    ["revision", "BEGINNING OF CONVERSATION: USER: ##Question: Q? ##Answer: A. ##Revision:  ASSISTANT:"],
    [
      "empathy",
      "BEGINNING OF CONVERSATION: USER: Edit the following Question-Answer pair to make it more empathic and helpful: Q? | A. ASSISTANT:",
    ],
  ] as const)("renders %s exactly as the released code does", (id, expected) => {
    expect(renderPrompt(id, "Q?", "A.")).toBe(expected);
  });

  it.each(TEMPLATE_IDS)("renders %s as one conversation turn holding the question, then the answer", (id) => {
    const question = "What is 23 plus 19?";
    const answer = "23 + 19 = 41.";
    const prompt = renderPrompt(id, question, answer);
    expect(prompt.startsWith("BEGINNING OF CONVERSATION: USER: ")).toBe(true);
    expect(prompt.endsWith(" ASSISTANT:")).toBe(true); // the correction follows directly
    expect(prompt.indexOf(question)).toBeGreaterThan(0);
    expect(prompt.indexOf(answer)).toBeGreaterThanOrEqual(prompt.indexOf(question) + question.length);
    expect(prompt.split("ASSISTANT:")).toHaveLength(2); // no second turn inside the user's
    expect(renderPrompt(id, question, "another answer")).not.toBe(prompt);
  });

  it("has unique ids, each naming its own template and its source, and no two templates alike", () => {
    expect(new Set(TEMPLATE_IDS).size).toBe(TEMPLATE_IDS.length);
    for (const id of TEMPLATE_IDS) {
      expect(TEMPLATES[id].id).toBe(id);
      expect(TEMPLATES[id].source.trim()).not.toBe("");
    }
    const prompts = TEMPLATE_IDS.map((id) => renderPrompt(id, "Q?", "A."));
    expect(new Set(prompts).size).toBe(prompts.length);
  });

  it("knows the default template and every preset's", () => {
    expect(TEMPLATE_IDS).toContain(DEFAULTS.aligner.template);
    for (const preset of listPresets()) expect(TEMPLATE_IDS, preset.name).toContain(preset.config.aligner.template);
  });

  it("rejects an unknown id, listing the known ones", () => {
    expect(() => renderPrompt("v9" as never, "q", "a")).toThrow(`unknown template "v9" (known: ${TEMPLATE_IDS.join(", ")})`);
  });
});
