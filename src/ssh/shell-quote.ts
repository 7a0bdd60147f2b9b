import { RbeeError } from "../protocol/errors.ts";

/**
 * Quoting for values that reach a remote shell. Every value we did not write ourselves goes
 * through `shellQuote` (or a validator) before it is put into a command line: inside single
 * quotes a POSIX shell expands nothing, so the only character to handle is the quote itself.
 */
export function shellQuote(value: string): string {
  if (value.includes("\0")) {
    throw new RbeeError("INVALID_ARGUMENT", "a value for a remote command contains a NUL byte", "Remove the NUL byte.");
  }
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Quotes every argument and joins them into one command line. */
export function shellCommand(...args: string[]): string {
  return args.map(shellQuote).join(" ");
}

/**
 * Runs a script under `sh -c` so it is read by a POSIX shell whatever login shell the
 * remote account has (sshd hands the command line to the login shell first).
 */
export function shScript(script: string): string {
  return `sh -c ${shellQuote(script)}`;
}

/**
 * A path under the remote home: `"$HOME"/'rest'`. A leading `~` is never quoted (it would
 * stop expanding), so paths are written relative to $HOME instead.
 */
export function homePath(relative: string): string {
  const rest = relative.replace(/^~?\/*/, "");
  return rest ? `"$HOME"/${shellQuote(rest)}` : `"$HOME"`;
}
