/**
 * The OpenAI wire format of `aligner serve`: request bodies checked field by field (a wrong one is a
 * 400 naming the field), prompts encoded for a model, and replies shaped like OpenAI's (and vLLM's)
 * `text_completion`, `chat.completion` and `list` objects.
 *
 * Supported: `model`, `prompt` (string or array of strings) / `messages`, `max_tokens`
 * (`max_completion_tokens`), `temperature`, `top_p`, `stop`, `seed`, `n` = 1, and vLLM's `top_k` and
 * `truncate_prompt_tokens` (keep the last k prompt tokens, BOS included: the engine's own behaviour for
 * long prompts). Refused with 400: streaming, n > 1, best_of > 1, echo, suffix, logprobs, tools.
 * Other fields are ignored.
 */
import { randomBytes } from "node:crypto";
import { chatPrompt } from "../engine/lm.js";
import { BOS_ID } from "../engine/tokenizer/bpe.js";
import type { Sampling, SequenceRequest, SequenceResult } from "./batcher.js";
import type { ServedModel } from "./registry.js";

/** A failure with an HTTP status, sent as OpenAI's `{error: {message, type, code, param}}`. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

export function errorBody(error: HttpError): { error: { message: string; type: string; code: string | null; param: string | null } } {
  const type = error.status >= 500 ? "server_error" : "invalid_request_error";
  return { error: { message: error.message, type, code: error.code, param: error.param } };
}

type Body = Record<string, unknown>;

const _bad = (param: string, message: string, code = "invalid_value") => new HttpError(400, `${param}: ${message}`, code, param);
const _unsupported = (param: string, what: string) =>
  new HttpError(400, `${param}: ${what} is not supported by aligner serve`, "unsupported", param);

function _number(
  body: Body,
  key: string,
  { min, max, integer = false, above = false }: { min: number; max: number; integer?: boolean; above?: boolean },
): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v))
    throw _bad(key, `expected a number, got ${JSON.stringify(v)?.slice(0, 40)}`, "invalid_type");
  if (integer && !Number.isInteger(v)) throw _bad(key, `expected an integer, got ${v}`, "invalid_type");
  if ((above ? v <= min : v < min) || v > max) throw _bad(key, `must be ${above ? ">" : "≥"} ${min} and ≤ ${max}, got ${v}`);
  return v;
}

function _strings(value: unknown, param: string, { max, nonEmpty }: { max: number; nonEmpty: boolean }): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || !list.every((s) => typeof s === "string"))
    throw _bad(param, "expected a string or an array of strings", "invalid_type");
  if (list.length === 0 || list.length > max) throw _bad(param, `expected 1 to ${max} strings, got ${list.length}`);
  if (nonEmpty && list.some((s) => s === "")) throw _bad(param, "strings must not be empty");
  return list as string[];
}

/** What a completion or chat request asks for, checked; `prompts` are raw text for the model. */
export interface ParsedRequest {
  /** The id the client used (echoed in the reply). */
  name: string;
  model: ServedModel;
  prompts: string[];
  /** Absent: 16 for completions (OpenAI's default), the model's room for chat. */
  maxTokens?: number;
  sampling: Sampling;
  stop: string[];
  truncate?: number;
  /** The field the prompt came from, for errors. */
  param: "prompt" | "messages";
}

function _common(body: unknown, models: ReadonlyMap<string, ServedModel>) {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new HttpError(400, "the body must be a JSON object", "invalid_type");
  const b = body as Body;
  if (b.model === undefined) throw _bad("model", "required", "missing_field");
  if (typeof b.model !== "string") throw _bad("model", "expected a string", "invalid_type");
  const model = models.get(b.model);
  if (!model)
    throw new HttpError(404, `The model "${b.model.slice(0, 100)}" does not exist (see GET /v1/models)`, "model_not_found", "model");
  if (b.stream !== undefined && b.stream !== false && b.stream !== null) throw _unsupported("stream", "streaming");
  if ((_number(b, "n", { min: 1, max: 128, integer: true }) ?? 1) !== 1) throw _unsupported("n", "more than one choice per prompt");
  const temperature = _number(b, "temperature", { min: 0, max: 2 }) ?? 1;
  const sampling: Sampling = {
    temperature,
    topP: _number(b, "top_p", { min: 0, max: 1, above: true }) ?? 1,
    topK: Math.max(0, _number(b, "top_k", { min: -1, max: 1_000_000, integer: true }) ?? 0),
  };
  const seed = _number(b, "seed", { min: -(2 ** 53), max: 2 ** 53, integer: true });
  if (seed !== undefined && temperature > 0) sampling.seed = seed;
  const maxTokens =
    _number(b, "max_tokens", { min: 1, max: 1_000_000, integer: true }) ??
    _number(b, "max_completion_tokens", { min: 1, max: 1_000_000, integer: true });
  const stop = b.stop === undefined || b.stop === null ? [] : _strings(b.stop, "stop", { max: 4, nonEmpty: true });
  const truncate = _number(b, "truncate_prompt_tokens", { min: 1, max: model.maxLen - 1, integer: true });
  return { b, request: { name: b.model, model, maxTokens, sampling, stop, truncate } };
}

/** POST /v1/completions: the raw prompt(s), continued as they are (BOS + prompt). */
export function parseCompletion(body: unknown, models: ReadonlyMap<string, ServedModel>): ParsedRequest {
  const { b, request } = _common(body, models);
  if (b.prompt === undefined) throw _bad("prompt", "required", "missing_field");
  if (Array.isArray(b.prompt) && b.prompt.some((p) => typeof p === "number" || Array.isArray(p)))
    throw _unsupported("prompt", "a token-id prompt");
  const prompts = _strings(b.prompt, "prompt", { max: 64, nonEmpty: false });
  if ((_number(b, "best_of", { min: 1, max: 128, integer: true }) ?? 1) !== 1) throw _unsupported("best_of", "best_of > 1");
  if (b.echo === true) throw _unsupported("echo", "echoing the prompt");
  if (typeof b.suffix === "string" && b.suffix !== "") throw _unsupported("suffix", "a suffix");
  if (b.logprobs !== undefined && b.logprobs !== null && b.logprobs !== 0) throw _unsupported("logprobs", "logprobs");
  return { ...request, prompts, param: "prompt" };
}

function _content(message: Body, i: number): string | null {
  const { content } = message;
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return null;
  if (
    Array.isArray(content) &&
    content.every((p) => typeof p === "object" && p !== null && (p as Body).type === "text" && typeof (p as Body).text === "string")
  ) {
    return content.map((p) => (p as { text: string }).text).join("");
  }
  throw _bad(`messages[${i}].content`, "expected a string or an array of text parts", "invalid_type");
}

/**
 * POST /v1/chat/completions: the last user message is the question, wrapped in the chat format the
 * zoo LMs and the Aligner were trained in (`chatPrompt`); a message that already starts with
 * `BEGINNING OF CONVERSATION:` (a rendered Aligner template) is passed through as it is.
 */
export function parseChat(body: unknown, models: ReadonlyMap<string, ServedModel>): ParsedRequest {
  const { b, request } = _common(body, models);
  if (b.messages === undefined) throw _bad("messages", "required", "missing_field");
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    throw _bad("messages", "expected a non-empty array of messages", "invalid_type");
  let question: string | undefined;
  b.messages.forEach((m: unknown, i) => {
    if (typeof m !== "object" || m === null || typeof (m as Body).role !== "string")
      throw _bad(`messages[${i}]`, "expected {role, content}", "invalid_type");
    const text = _content(m as Body, i);
    if ((m as Body).role === "user") {
      if (text === null) throw _bad(`messages[${i}].content`, "a user message needs content", "missing_field");
      question = text;
    }
  });
  if (question === undefined) throw _bad("messages", "no user message");
  if (b.logprobs === true) throw _unsupported("logprobs", "logprobs");
  if (Array.isArray(b.tools) && b.tools.length > 0) throw _unsupported("tools", "tool calling");
  return { ...request, param: "messages", prompts: [question.startsWith("BEGINNING OF CONVERSATION:") ? question : chatPrompt(question)] };
}

/** BOS + the prompt's ids (the last `truncate` of them when asked), and the new tokens it may have. */
export function encodePrompt(request: ParsedRequest, prompt: string, defaultMaxTokens: number | "room"): SequenceRequest {
  const { model } = request;
  let ids = [BOS_ID, ...model.tok.encode(prompt)];
  if (request.truncate !== undefined && ids.length > request.truncate) ids = ids.slice(ids.length - request.truncate);
  if (ids.length >= model.maxLen) {
    throw new HttpError(
      400,
      `${request.name}'s maximum context length is ${model.maxLen} tokens and this prompt has ${ids.length} (BOS included); shorten it or set truncate_prompt_tokens`,
      "context_length_exceeded",
      request.param,
    );
  }
  const room = model.maxLen - ids.length;
  const wanted = request.maxTokens ?? (defaultMaxTokens === "room" ? room : defaultMaxTokens);
  return { ids, maxNewTokens: Math.min(wanted, room), sampling: request.sampling };
}

export interface Choice {
  text: string;
  finishReason: "stop" | "length";
  promptTokens: number;
  completionTokens: number;
}

const _firstStop = (text: string, stop: readonly string[]) => Math.min(...stop.map((s) => text.indexOf(s)).filter((i) => i >= 0), Infinity);

/** The decoded text of a result, cut before the first stop string (which then counts as the stop). */
export function toChoice(request: ParsedRequest, sequence: SequenceRequest, result: SequenceResult): Choice {
  const { tok } = request.model;
  let text = tok.decode(result.tokens);
  let finishReason: Choice["finishReason"] = result.finished ? "stop" : "length";
  let completionTokens = result.tokens.length;
  const cut = _firstStop(text, request.stop);
  if (cut !== Infinity) {
    text = text.slice(0, cut);
    finishReason = "stop";
    completionTokens =
      result.tokens.findIndex((_, j) => _firstStop(tok.decode(result.tokens.slice(0, j + 1)), request.stop) !== Infinity) + 1;
  }
  return { text, finishReason, promptTokens: sequence.ids.length, completionTokens };
}

function _envelope(prefix: string, object: string, name: string, choices: readonly Choice[]) {
  const prompt = choices.reduce((a, c) => a + c.promptTokens, 0);
  const completion = choices.reduce((a, c) => a + c.completionTokens, 0);
  return {
    id: `${prefix}-${randomBytes(12).toString("hex")}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: name,
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

/** A `text_completion`: the raw continuation of each prompt (the Aligner's starts with a space). */
export function completionReply(request: ParsedRequest, choices: readonly Choice[]) {
  return {
    ..._envelope("cmpl", "text_completion", request.name, choices),
    choices: choices.map((c, index) => ({ index, text: c.text, logprobs: null, finish_reason: c.finishReason })),
  };
}

/** A `chat.completion`: the reply trimmed, as the engine's generateTexts trims it. */
export function chatReply(request: ParsedRequest, choices: readonly Choice[]) {
  return {
    ..._envelope("chatcmpl", "chat.completion", request.name, choices),
    choices: choices.map((c, index) => ({
      index,
      message: { role: "assistant", content: c.text.trim(), refusal: null },
      logprobs: null,
      finish_reason: c.finishReason,
    })),
  };
}

/** One entry of GET /v1/models. */
export function modelCard(id: string, model: ServedModel) {
  return {
    id,
    object: "model",
    created: model.created,
    owned_by: "aligner-workbench",
    root: model.id,
    parent: id === model.id ? null : model.id,
    max_model_len: model.maxLen,
  };
}
