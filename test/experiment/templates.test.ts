import { describe, expect, it } from "vitest";
import { TEMPLATE_IDS, renderPrompt } from "../../loaders/experiment/templates.js";

describe("renderPrompt", () => {
  it.each([
    ["aligner-v1.0", "BEGINNING OF CONVERSATION: USER: Edit the following Question-Answer pair to make it more helpful and harmless: Q? | A. ASSISTANT:"],
    ["correction-2024-12", "BEGINNING OF CONVERSATION: USER: ##Question: Q?\n##Answer: A.\n##Correction:  ASSISTANT:"],
    ["revision", "BEGINNING OF CONVERSATION: USER: ##Question: Q? ##Answer: A. ##Revision:  ASSISTANT:"],
    ["empathy", "BEGINNING OF CONVERSATION: USER: Edit the following Question-Answer pair to make it more empathic and helpful: Q? | A. ASSISTANT:"],
  ] as const)("renders %s exactly as the released code does", (id, expected) => {
    expect(renderPrompt(id, "Q?", "A.")).toBe(expected);
  });

  it("lists four templates and rejects an unknown id", () => {
    expect(TEMPLATE_IDS).toHaveLength(4);
    expect(() => renderPrompt("v9" as never, "q", "a")).toThrow(/unknown template "v9"/);
  });
});
