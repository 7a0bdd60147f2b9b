import { RbeeError } from "../protocol/errors.ts";

/**
 * How the keeper shows an error, once: `✗ CODE: message` and `  hint: …` for a person;
 * with --json, one line `{"error":{"code","message","hint"}}` on stdout (the daemon's own
 * error body), so a script reads `.error.code` whatever failed.
 */
export function formatError(err: RbeeError): string {
  return `✗ ${err.code}: ${err.message}\n${err.hint ? `  hint: ${err.hint}\n` : ""}`;
}

export function formatErrorJson(err: RbeeError): string {
  return `${JSON.stringify(err.toBody())}\n`;
}

export function printError(out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; json: boolean }, err: unknown): void {
  const error = RbeeError.from(err);
  if (out.json) out.stdout.write(formatErrorJson(error));
  else out.stderr.write(formatError(error));
}
