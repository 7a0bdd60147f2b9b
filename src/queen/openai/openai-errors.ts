import { RbeeError } from "../../protocol/errors.ts";
import { challengeHeaders, errorType } from "../../http/errors.ts";

/** A request error that names the offending parameter, as OpenAI's `param` does. */
export class ParamError extends RbeeError {
  constructor(
    code: string,
    message: string,
    readonly param: string | null,
    status = 400,
  ) {
    super(code, message, undefined, status);
  }
}

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/**
 * Any error as OpenAI clients expect it: `{error: {message, type, param, code}}` with the
 * rbee code in lower case (MODEL_NOT_FOUND → model_not_found, as OpenAI spells it) and the
 * hint appended to the message, since the OpenAI shape has no place of its own for it.
 */
export function toOpenAiError(err: unknown): { status: number; body: OpenAiErrorBody; headers: Record<string, string> } {
  const e = RbeeError.from(err);
  const status = e.status >= 400 && e.status <= 599 ? e.status : 500;
  const message = e.hint ? `${e.message}. ${e.hint}` : e.message;
  const body = { error: { message, type: errorType(status), param: e instanceof ParamError ? e.param : null, code: e.code.toLowerCase() } };
  // A full queue or a busy worker clears in moments: tell clients when to come back.
  const headers: Record<string, string> = { ...(status === 503 ? { "retry-after": "1" } : {}), ...challengeHeaders(e) };
  return { status, body, headers };
}

export function openAiErrorResponse(err: unknown): Response {
  const { status, body, headers } = toOpenAiError(err);
  return Response.json(body, { status, headers });
}
