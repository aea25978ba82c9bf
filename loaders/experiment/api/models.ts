/**
 * The two model clients of the paper's pipeline: an **upstream** model answers a question (chat
 * completions, e.g. GPT-4 or any OpenAI-compatible server) and the **corrector** rewrites the answer
 * (plain completions over a named template, e.g. vLLM serving the released Aligner-7B).
 */
import { renderPrompt, type TemplateId } from "../templates.js";
import { createApiClient, type ApiClient, type ApiConfig, type ClientOptions, type ClientStats } from "./client.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The text of `choices[0].message.content` of a chat completion; throws on any other shape. */
export function chatText(json: Record<string, unknown>): string {
  const choice = (json.choices as { message?: { content?: unknown } }[] | undefined)?.[0];
  const content = choice?.message?.content;
  if (typeof content !== "string") throw new TypeError("no choices[0].message.content string");
  return content;
}

/** The text of `choices[0].text` of a completion; throws on any other shape. */
export function completionText(json: Record<string, unknown>): string {
  const text = (json.choices as { text?: unknown }[] | undefined)?.[0]?.text;
  if (typeof text !== "string") throw new TypeError("no choices[0].text string");
  return text;
}

export interface SamplingOptions {
  maxTokens?: number; // 512: the paper's answers and corrections are paragraphs
  temperature?: number; // 0: reruns hit the cache and tables are reproducible
}

/** One chat completion `messages` → the reply's text (shared by the upstream and the judge). */
export async function chat(
  client: ApiClient,
  messages: ChatMessage[],
  { maxTokens = 512, temperature = 0, truncatePromptTokens }: SamplingOptions & { truncatePromptTokens?: number } = {},
): Promise<string> {
  const body = {
    model: client.config.model,
    messages,
    max_tokens: maxTokens,
    temperature,
    ...(truncatePromptTokens ? { truncate_prompt_tokens: truncatePromptTokens } : {}),
  };
  const prompt = messages.map((m) => m.content).join("\n");
  return (await client.post("/chat/completions", body, { prompt, read: chatText })).text;
}

export interface Upstream {
  /** The upstream model's answer to `question`. */
  answer(question: string): Promise<string>;
  stats(): ClientStats;
}

export interface UpstreamOptions extends SamplingOptions, ClientOptions {
  /** A system message before the question; none by default (the question alone, as the paper asks it). */
  system?: string;
  /** vLLM's `truncate_prompt_tokens`: the server keeps the prompt's last N tokens (not sent when absent). */
  truncatePromptTokens?: number;
}

/** An upstream model over chat completions: question → answer. */
export function createUpstream(
  config: ApiConfig,
  { system, maxTokens, temperature, truncatePromptTokens, ...client }: UpstreamOptions = {},
): Upstream {
  const api = createApiClient(config, client);
  return {
    stats: api.stats,
    answer: (question) =>
      chat(api, [...(system ? [{ role: "system" as const, content: system }] : []), { role: "user", content: question }], {
        maxTokens,
        temperature,
        truncatePromptTokens,
      }),
  };
}

export interface Corrector {
  readonly template: TemplateId;
  /** The correction of `answer` to `question`, trimmed of surrounding whitespace. */
  correct(question: string, answer: string): Promise<string>;
  /** The same, with whether the server stopped at its token limit (`finish_reason: "length"`). */
  correctWithFinish(question: string, answer: string): Promise<{ text: string; hitLimit: boolean }>;
  stats(): ClientStats;
}

export interface CorrectorOptions extends SamplingOptions, ClientOptions {
  /** The prompt template the corrector was trained on (recorded in every correction row). */
  template?: TemplateId; // "aligner-v1.0": the released Aligner-7B v1.0
  /** Stop strings, for servers that do not stop at the model's EOS. */
  stop?: string[];
  /** vLLM's `truncate_prompt_tokens`: the server keeps the prompt's last N tokens (not sent when absent). */
  truncatePromptTokens?: number;
}

/**
 * A corrector over plain completions: `renderPrompt(template, question, answer)` → correction. The
 * text is trimmed: the template ends at `ASSISTANT:` so the model's reply starts with a space, and a
 * correction that copies the answer should compare equal to it.
 */
export function createCorrector(
  config: ApiConfig,
  { template = "aligner-v1.0", stop, truncatePromptTokens, maxTokens = 512, temperature = 0, ...client }: CorrectorOptions = {},
): Corrector {
  const api = createApiClient(config, client);
  const correctWithFinish = async (question: string, answer: string) => {
    const prompt = renderPrompt(template, question, answer);
    const body = {
      model: config.model,
      prompt,
      max_tokens: maxTokens,
      temperature,
      ...(stop ? { stop } : {}),
      ...(truncatePromptTokens ? { truncate_prompt_tokens: truncatePromptTokens } : {}),
    };
    const reply = await api.post("/completions", body, { prompt, read: completionText });
    const finish = (reply.json.choices as { finish_reason?: unknown }[] | undefined)?.[0]?.finish_reason;
    return { text: reply.text.trim(), hitLimit: finish === "length" };
  };
  return {
    template,
    stats: api.stats,
    correctWithFinish,
    correct: async (question, answer) => (await correctWithFinish(question, answer)).text,
  };
}
