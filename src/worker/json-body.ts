import type { z } from "zod";
import { describeZodError } from "../http/errors.ts";
import { RbeeError } from "../protocol/errors.ts";

/** A worker route's JSON body, parsed by its schema; a bad one is a 400 saying what to send. */
export async function readJsonBody<T extends z.ZodType>(req: Request, schema: T, example: string): Promise<z.infer<T>> {
  let json: unknown;
  try {
    json = await req.json();
  } catch {
    throw new RbeeError("INVALID_JSON", "The request body is not JSON.", `Send ${example}.`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new RbeeError("INVALID_REQUEST", describeZodError(parsed.error));
  return parsed.data;
}
