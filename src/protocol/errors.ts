import { z } from "zod";

/** The wire shape of every error a daemon answers: `{error: {code, message, hint?}}`. */
export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    hint: z.string().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/**
 * An error the user should see as-is: a stable code to match on, a message, and a hint
 * they can act on. `status` is the HTTP status a daemon answers with.
 */
export class RbeeError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = "RbeeError";
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.hint ? { hint: this.hint } : {}) } };
  }

  static from(err: unknown): RbeeError {
    if (err instanceof RbeeError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new RbeeError("INTERNAL", message, undefined, 500);
  }
}
