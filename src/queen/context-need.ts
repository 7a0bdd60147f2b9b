import { RbeeError } from "../protocol/errors.ts";
import type { OperationOf, ScheduledOp } from "../protocol/operations.ts";
import { DEFAULT_MAX_TOKENS } from "./infer-request.ts";


/**
 * Most tokenizers average 3–4 bytes of text per token, so bytes / 4 is a low guess: the queen
 * holds no tokenizer. A worker whose context the guess wrongly fits refuses with the exact
 * count (PROMPT_TOO_LONG), and the request is scheduled again with that (`exactNeed`).
 */
const BYTES_PER_TOKEN = 4;

/** Tokens of context a request needs per slot: its prompt (estimated) plus the tokens it asks for. */
export function contextNeed(op: ScheduledOp): number {
  if (op.operation !== "infer") return 0;
  const text = op.prompt ?? (op.messages ?? []).map((m) => m.content).join("\n");
  return Math.ceil(Buffer.byteLength(text) / BYTES_PER_TOKEN) + askedTokens(op);
}

/** After a worker's PROMPT_TOO_LONG: the need with the prompt's exact size, else undefined. */
export function exactNeed(op: ScheduledOp, err: unknown): number | undefined {
  if (op.operation !== "infer" || !(err instanceof RbeeError)) return undefined;
  const tokens = /The prompt is (\d+) tokens/.exec(err.message)?.[1];
  if (!tokens || !/PROMPT_TOO_LONG/.test(err.code === "HIVE_JOB_FAILED" ? err.message : err.code)) return undefined;
  return Number(tokens) + 1 + askedTokens(op);
}

/**
 * max_tokens counts when the client set it: the API rooms put DEFAULT_MAX_TOKENS for "no limit"
 * (generation stops at the context's end then, as llama-server and Ollama do).
 */
const askedTokens = (op: OperationOf<"infer">) => (op.max_tokens < DEFAULT_MAX_TOKENS ? op.max_tokens : 0);
