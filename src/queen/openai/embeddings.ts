import type { Context } from "hono";
import { z } from "zod";
import { Operation, type OperationOf } from "../../protocol/operations.ts";
import { describeZodError } from "../../http/errors.ts";
import { runEmbed, type InferDeps } from "../infer-request.ts";
import { ParamError } from "./openai-errors.ts";
import { unknownParameter } from "./request-schemas.ts";

const EmbeddingsRequest = z.object({
  model: z.string().min(1).max(256),
  input: z.union([z.string(), z.array(z.string()).min(1), z.array(z.number()), z.array(z.array(z.number()))]),
  encoding_format: z.enum(["float", "base64"]).nullish(),
  dimensions: z.number().int().nullish(),
  user: z.unknown().optional(),
});

/** A vector as OpenAI's base64 encoding: the float32 values, little-endian. */
export function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString("base64");
}

/** `POST /v1/embeddings`: one text or a batch, float or base64, as an `embed` job. */
export async function handleEmbeddings(c: Context, body: unknown, deps: InferDeps): Promise<Response> {
  const unknown = unknownParameter(EmbeddingsRequest, body);
  if (unknown) throw new ParamError("UNSUPPORTED_PARAMETER", `${unknown} is not supported by rbee`, unknown);
  const parsed = EmbeddingsRequest.safeParse(body);
  if (!parsed.success) throw new ParamError("INVALID_REQUEST", describeZodError(parsed.error), String(parsed.error.issues[0]?.path[0] ?? "") || null);
  const req = parsed.data;
  if (req.dimensions != null) throw new ParamError("UNSUPPORTED", "dimensions is not supported: vectors have the model's own size", "dimensions");
  const texts = typeof req.input === "string" ? [req.input] : req.input;
  if (!texts.every((t): t is string => typeof t === "string")) throw new ParamError("UNSUPPORTED", "token arrays are not supported as input; send text", "input");
  const op = Operation.safeParse({ operation: "embed", model: req.model, input: texts });
  if (!op.success) throw new ParamError("INVALID_REQUEST", describeZodError(op.error), "input");
  const out = await runEmbed(c, op.data as OperationOf<"embed">, deps);
  const base64 = req.encoding_format === "base64";
  return c.json(
    {
      object: "list",
      data: out.embeddings.map((v, index) => ({ object: "embedding", index, embedding: base64 ? toBase64(v) : v })),
      model: req.model,
      usage: { prompt_tokens: out.prompt_tokens, total_tokens: out.prompt_tokens },
    },
    200,
    out.headers,
  );
}
